// The event board: filters, the manual triage queue (the classifier's suggestion and its
// reasons), and bulk dispatch of the selected events.
import { CL, t, api, el, $, live, fail, toast, fmtTime, stateBadge, typeName, eventTypes, deptName } from "./common.js";

const operator = CL.user.operator;
const STATES = ["reported", "triaged", "dispatched", "returned", "accepted", "in_progress", "suspended", "resolved", "verified", "closed", "cancelled", "merged"];
const SOURCES = ["citizen", "hotline", "grid", "sensor", "department", "plan"];
const selected = new Set();
let cursor = null;
let filters = {};

function options(select, values, label) {
  for (const v of values) select.append(el("option", { value: v }, label ? label(v) : v));
}

async function init() {
  options($("#f-state"), STATES, (s) => t(`st_${s}`));
  options($("#f-source"), SOURCES);
  const types = await eventTypes();
  for (const ty of types) $("#f-type").append(el("option", { value: ty.code }, `${ty.code} ${ty.name}`));
  const qs = new URLSearchParams(location.search);
  for (const k of ["state", "type_code", "severity", "source", "q"]) {
    const v = qs.get(k);
    const input = $(`#filters [name=${k}]`);
    if (v && input) input.value = v;
  }
  readFilters();
  await Promise.all([loadEvents(), operator ? loadTriage() : null]);
}

function readFilters() {
  const f = new FormData($("#filters"));
  filters = {};
  for (const [k, v] of f.entries()) if (v) filters[k] = v;
}

$("#filters").addEventListener("submit", (e) => {
  e.preventDefault(); readFilters();
  const u = new URL(location.href); u.search = new URLSearchParams(filters).toString(); history.replaceState(null, "", u);
  loadEvents().catch(fail);
});

async function eventRow(e, fresh = false) {
  const tr = el("tr", { class: fresh ? "flash" : "", dataset: { event: e.id, ref: e.ref, state: e.state } });
  if (operator) {
    const can = e.allowed_actions.includes("dispatch");
    const cb = el("input", { type: "checkbox", class: "sel", disabled: !can, checked: selected.has(e.id) && can });
    cb.addEventListener("change", () => { cb.checked ? selected.add(e.id) : selected.delete(e.id); updateSel(); });
    tr.append(el("td", {}, cb));
  }
  tr.append(
    el("td", {}, el("a", { href: `/ui/events/${e.id}` }, e.ref)),
    el("td", {}, stateBadge(e.state)),
    el("td", {}, typeName(e)),
    el("td", {}, e.severity),
    el("td", {}, e.title),
    el("td", { class: "muted" }, e.location.address || (e.location.chain ? e.location.chain.street || "" : "")),
    el("td", {}, await deptName(e.lead_unit)),
    el("td", { class: "time" }, fmtTime(e.created_at)),
    el("td", { class: "time" }, fmtTime(e.dispose_by)),
  );
  return tr;
}

async function loadEvents(more = false) {
  const page = await api("/api/v1/events", { query: { ...filters, limit: 100, cursor: more ? cursor : null } });
  cursor = page.next_cursor;
  const rows = await Promise.all(page.items.map((e) => eventRow(e)));
  if (more) $("#events").append(...rows); else $("#events").replaceChildren(...rows);
  $("#events-count").textContent = $("#events").children.length;
  $("#more").hidden = !cursor;
}
$("#more").addEventListener("click", () => loadEvents(true).catch(fail));

function updateSel() {
  const n = selected.size;
  const b = $("#bulk-dispatch");
  if (!b) return;
  $("#sel-count").textContent = n; b.disabled = n === 0;
}

if (operator) {
  $("#sel-all").addEventListener("change", (e) => {
    document.querySelectorAll("#events input.sel:not([disabled])").forEach((cb) => {
      cb.checked = e.target.checked;
      const id = cb.closest("tr").dataset.event;
      cb.checked ? selected.add(id) : selected.delete(id);
    });
    updateSel();
  });
  $("#bulk-dispatch").addEventListener("click", async () => {
    const ids = [...selected];
    let ok = 0; const failed = [];
    for (const id of ids) {
      try { await api(`/api/v1/events/${id}/dispatch`, { method: "POST", body: {} }); ok++; selected.delete(id); } catch (e) { failed.push(`${id}: ${e.message}`); }
    }
    updateSel();
    toast(`${t("a_dispatch")}: ${ok}/${ids.length}${failed.length ? ` — ${failed.join("; ")}` : ""}`, failed.length ? "error" : "info");
    await loadEvents();
  });
}

async function loadTriage() {
  const page = await api("/api/v1/triage-queue", { query: { limit: 50 } });
  const types = await eventTypes();
  const rows = await Promise.all(page.items.map(async (e) => {
    const tl = await api(`/api/v1/events/${e.id}/timeline`);
    const first = (tl[0] && tl[0].payload) || {};
    const sug = first.suggestion || null;
    const reasons = [...(first.triage_reasons || []), ...((sug && sug.reasons) || [])];
    const select = el("select", { class: "triage-type" }, el("option", { value: "" }, "—"), ...types.map((ty) => el("option", { value: ty.code, selected: sug && sug.type === ty.code }, `${ty.code} ${ty.name}`)));
    if (!sug && e.type_code) select.value = e.type_code;
    const go = el("button", { class: "btn primary triage-accept" }, t("accept_suggestion"));
    go.addEventListener("click", async () => {
      if (!select.value) { toast(t("type"), "error"); return; }
      try {
        await api(`/api/v1/events/${e.id}/triage`, { method: "POST", body: { type_code: select.value } });
        toast(`${e.ref}: ${t("st_triaged")}`);
        await Promise.all([loadTriage(), loadEvents()]);
      } catch (err) { fail(err); }
    });
    const sugName = sug ? (types.find((x) => x.code === sug.type) || {}).name || sug.type : "—";
    return el("tr", { dataset: { event: e.id, ref: e.ref } },
      el("td", {}, el("a", { href: `/ui/events/${e.id}` }, e.ref)),
      el("td", {}, e.title),
      el("td", { class: "muted" }, e.location.address || (e.location.chain ? e.location.chain.street || "" : "—")),
      el("td", {}, sug ? `${sugName} · ${t("confidence")} ${Math.round(sug.confidence * 100)}%` : "—"),
      el("td", {}, el("ul", { class: "reasons" }, ...reasons.slice(0, 5).map((r) => el("li", {}, typeof r === "string" ? r : JSON.stringify(r))))),
      el("td", {}, el("div", { class: "row" }, select, go)),
    );
  }));
  $("#triage").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, t("none")))]));
  $("#triage-count").textContent = rows.length;
}

function matches(e) {
  if (filters.state && filters.state !== e.state) return false;
  if (filters.type_code && filters.type_code !== e.type_code) return false;
  if (filters.severity && filters.severity !== e.severity) return false;
  if (filters.source && filters.source !== e.source) return false;
  return !filters.q;
}

let triageTimer = null;
live({
  event: async (msg) => {
    if (operator && (msg.state === "reported" || msg.action === "triage")) {
      clearTimeout(triageTimer); triageTimer = setTimeout(() => loadTriage().catch(fail), 300);
    }
    const existing = document.querySelector(`#events tr[data-event="${msg.id}"]`);
    if (!existing && !matches(msg)) return;
    try {
      const e = await api(`/api/v1/events/${msg.id}`);
      const row = await eventRow(e, true);
      const again = document.querySelector(`#events tr[data-event="${msg.id}"]`);
      if (again) again.replaceWith(row);
      else if (matches(e)) $("#events").prepend(row);
      $("#events-count").textContent = $("#events").children.length;
    } catch (err) { console.warn(err); }
  },
});

init().catch(fail);
