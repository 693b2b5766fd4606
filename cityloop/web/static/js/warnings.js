// Warnings: the confirmation queue (confirm → an event; dismiss → a counted false alarm),
// and the active warnings, each with its cause and its CAP message.
import { CL, t, api, el, $, live, fail, toast, fmtTime, levelBadge } from "./common.js";

const canDecide = CL.user.operator;

function causeOf(w) {
  const h = (w.history || []).find((x) => x.cause) || {};
  const c = h.cause || {};
  const parts = [];
  if (c.rule) parts.push(c.rule);
  if (c.reason) parts.push(c.reason);
  if (c.readings) parts.push(`${c.readings.length || Object.keys(c.readings).length} readings`);
  if (!parts.length) parts.push(`${w.rule_type}: ${w.value ?? "—"} ${w.threshold != null ? `≥ ${w.threshold}` : ""}`);
  return parts.join(" · ");
}

async function queueRow(w) {
  const full = await api(`/api/v1/warnings/${w.id}`);
  const tr = el("tr", { dataset: { warning: w.id } },
    el("td", {}, levelBadge(w.level)), el("td", {}, `${w.rule} · ${w.subject}`, w.predicted ? " (predicted)" : "", w.anomaly ? " (anomaly)" : ""),
    el("td", { class: "muted" }, causeOf(full)), el("td", {}, `${w.value ?? "—"}${w.threshold != null ? ` / ${w.threshold}` : ""}`),
    el("td", {}, el("a", { href: w.cap, target: "_blank" }, "CAP 1.2")));
  const cell = el("td", {});
  if (canDecide) {
    const reason = el("input", { placeholder: t("reason"), class: "dismiss-reason" });
    const ok = el("button", { class: "btn primary confirm" }, t("confirm"));
    const no = el("button", { class: "btn danger dismiss" }, t("dismiss"));
    ok.addEventListener("click", async () => {
      try { await api(`/api/v1/warning-confirmations/${w.id}/confirm`, { method: "POST", body: { note: reason.value || null } }); toast(`${w.id}: ${t("confirm")} ✓`); load(); } catch (e) { fail(e); }
    });
    no.addEventListener("click", async () => {
      if (!reason.value.trim()) { reason.focus(); toast(t("reason"), "error"); return; }
      try { await api(`/api/v1/warning-confirmations/${w.id}/dismiss`, { method: "POST", body: { reason: reason.value } }); toast(`${w.id}: ${t("dismiss")} ✓`); load(); } catch (e) { fail(e); }
    });
    cell.append(el("div", { class: "row" }, reason, ok, no));
  }
  tr.append(cell);
  return tr;
}

async function load() {
  const [queue, active] = await Promise.all([
    api("/api/v1/warnings", { query: { confirmation: "pending", active: "true" } }),
    api("/api/v1/warnings", { query: { active: "true" } }),
  ]);
  const qrows = await Promise.all(queue.map(queueRow));
  $("#queue").replaceChildren(...(qrows.length ? qrows : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, t("none")))]));
  $("#queue-count").textContent = qrows.length;
  $("#active").replaceChildren(...(active.length ? active.map((w) => el("tr", { dataset: { warning: w.id } },
    el("td", {}, levelBadge(w.level)), el("td", {}, `${w.rule} · ${w.subject}`),
    el("td", { class: "muted" }, `${w.rule_type} · ${fmtTime(w.raised_at)}`),
    el("td", {}, `${w.value ?? "—"}${w.threshold != null ? ` / ${w.threshold}` : ""}`),
    el("td", {}, w.event_id ? el("a", { href: `/ui/events/${w.event_id}` }, "→") : "—"),
    el("td", {}, el("a", { href: w.cap, target: "_blank" }, "CAP 1.2")))) : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, t("none")))]));
  $("#active-count").textContent = active.length;
}

let timer = null;
live({ warning: () => { clearTimeout(timer); timer = setTimeout(() => load().catch(fail), 300); } });
load().catch(fail);
