// Emergency plans: activate a plan at a level (with its conditions shown), and for each
// activation upgrade, downgrade, terminate, and follow its progress board.
import { CL, t, api, el, $, live, fail, toast, fmtTime, deptName } from "./common.js";

const LEVELS = ["IV", "III", "II", "I"];
let plans = [];
let current = location.hash ? location.hash.slice(1) : null;
const name = (p) => (CL.lang === "en" ? p.name_en : p.name_zh) || p.name;

async function loadPlans() {
  plans = await api("/api/v1/plans");
  $("#plan-list").replaceChildren(...plans.map((p) => {
    const level = el("select", { class: "plan-level" }, ...p.levels.map((l) => el("option", { value: l.level }, l.level)));
    const reason = el("input", { class: "plan-reason", placeholder: t("reason") });
    const go = el("button", { class: "btn primary activate" }, t("activate"));
    const cond = el("button", { class: "btn ghost" }, t("conditions"));
    const out = el("div", { class: "muted small" });
    go.addEventListener("click", async () => {
      if (!reason.value.trim()) { reason.focus(); toast(t("reason"), "error"); return; }
      try {
        const a = await api(`/api/v1/plans/${p.id}/activations`, { method: "POST", body: { level: level.value, reason: reason.value, event_ids: [], warning_ids: [] } });
        toast(`${name(p)} ${a.level}: ${t("activate")} ✓`);
        current = a.id; location.hash = a.id;
        await loadActivations();
      } catch (e) { fail(e); }
    });
    cond.addEventListener("click", async () => {
      try {
        const c = await api(`/api/v1/plans/${p.id}/conditions`);
        const holds = (c.levels || []).filter((l) => l.holds);
        out.replaceChildren(`suggested: ${c.suggested_level || "—"}`, ...holds.map((l) => el("div", {}, `${l.level}: ${(l.reasons || []).join("; ")}`)));
      } catch (e) { fail(e); }
    });
    return el("div", { class: "plan-card", dataset: { plan: p.id } },
      el("b", {}, name(p)), el("div", { class: "muted small" }, `${p.id} · ${p.event_types.join(", ")}`),
      el("div", { class: "row" }, level, reason, go, cond), out);
  }));
}

async function loadActivations() {
  const acts = await api("/api/v1/plan-activations");
  acts.sort((a, b) => (a.status === "active" ? -1 : 1) - (b.status === "active" ? -1 : 1) || (b.activated_at || "").localeCompare(a.activated_at || ""));
  $("#activations").replaceChildren(...acts.slice(0, 30).map((a) => {
    const p = plans.find((x) => x.id === a.plan_id);
    const li = el("li", { dataset: { activation: a.id }, class: a.id === current ? "flash" : "" },
      el("span", { class: "lvl", style: `--c:${a.status === "active" ? "#ff8c1a" : "#555"}` }, a.level),
      el("a", { href: `#${a.id}`, class: "grow" }, `${p ? name(p) : a.plan_id} · ${a.jurisdiction}`),
      el("span", { class: "muted small" }, `${a.status} · ${fmtTime(a.activated_at)}`));
    li.querySelector("a").addEventListener("click", () => { current = a.id; loadActivation().catch(fail); });
    return li;
  }));
  if (!current && acts.length) current = acts[0].id;
  await loadActivation();
}

async function loadActivation() {
  if (!current) { $("#activation").replaceChildren(); return; }
  const a = await api(`/api/v1/plan-activations/${current}`);
  const p = plans.find((x) => x.id === a.plan_id);
  const pr = a.progress || {};
  const rows = await Promise.all(a.tasks.map(async (task) => el("tr", { class: `task-${task.status}`, dataset: { task: task.id, status: task.status } },
    el("td", {}, task.level), el("td", {}, await deptName(task.department)), el("td", {}, task.action),
    el("td", {}, task.status), el("td", { class: "time" }, fmtTime(task.due_at)),
    el("td", { class: "muted small" }, (task.feedback || []).map((f) => f.text || f.feedback || JSON.stringify(f)).join("; ")))));
  const reason = el("input", { placeholder: t("reason"), class: "act-reason" });
  const kinds = a.status === "active" ? ["upgrade", "downgrade", "terminate"] : a.status === "proposed" ? ["confirm"] : [];
  if (a.status === "active" && a.pending_level) kinds.unshift("confirm");
  const buttons = kinds.map((k) => {
    const b = el("button", { class: `btn ${k === "terminate" ? "danger" : "primary"}`, dataset: { do: k } }, t(k));
    b.addEventListener("click", async () => {
      if (k !== "confirm" && !reason.value.trim()) { reason.focus(); toast(t("reason"), "error"); return; }
      try { await api(`/api/v1/plan-activations/${a.id}/${k}`, { method: "POST", body: { reason: reason.value } }); toast(`${t(k)} ✓`); await loadActivations(); } catch (e) { fail(e); }
    });
    return b;
  });
  const depts = await Promise.all(Object.entries(pr.departments || {}).map(async ([d, v]) => el("div", { class: "bar" },
    el("span", {}, await deptName(d)), el("div", { class: "progress" }, el("i", { style: `width:${v.total ? (100 * v.done) / v.total : 0}%` })), el("span", {}, `${v.done}/${v.total}`))));
  // keep what the user is typing across a live refresh (read it right before replacing)
  const before = document.querySelector("#activation-detail .act-reason");
  if (before && before.closest("#activation-detail").dataset.activation === a.id) {
    reason.value = before.value;
    if (document.activeElement === before) setTimeout(() => reason.focus(), 0);
  }
  $("#activation").replaceChildren(el("div", { class: "plan-card", id: "activation-detail", dataset: { activation: a.id, status: a.status } },
    el("h3", {}, `${p ? name(p) : a.plan_id} · ${t("level")} ${a.level} · ${a.status}`),
    el("p", { class: "muted small" }, a.reason),
    el("div", { class: "row" }, reason, ...buttons),
    el("h3", {}, `${t("progress")} ${pr.done || 0}/${pr.tasks || 0}`), el("div", { class: "bars" }, ...depts),
    el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ...[t("level"), t("department"), t("tasks"), t("status"), t("deadline"), t("feedback_form")].map((h) => el("th", {}, h)))),
      el("tbody", { id: "tasks" }, ...rows))));
}

window.addEventListener("hashchange", () => { current = location.hash.slice(1); loadActivation().catch(fail); });
let timer = null;
live({ plan: () => { clearTimeout(timer); timer = setTimeout(() => loadActivations().catch(fail), 300); } });
(async () => { await loadPlans(); await loadActivations(); })().catch(fail);
