// One event: facts, supervision, routing reasons, merged reports, the timeline, and the
// actions the user's role and the event's state allow (each with the form it needs): merge
// into another event (candidates of the same type nearby are offered), split a wrongly
// merged report off into an event of its own.
import { CL, t, api, el, $, live, fail, toast, fmtTime, stateBadge, stateName, eventTypes, deptName, departments, STATE_COLORS } from "./common.js";
import { CityMap, PolygonLayer, ClusterLayer, bboxOf } from "./map.js";

const id = $("#detail").dataset.event;
const NOTE = ["accept", "start", "verify", "close", "resume"];
const REASON = ["return", "reject", "reopen", "suspend", "cancel", "escalate"];
let event = null;
let map = null;

// ``keepForm``: a live refresh leaves an open action form alone while its action still applies.
async function load(keepForm = false) {
  event = await api(`/api/v1/events/${id}`);
  const [timeline, reports] = await Promise.all([
    api(`/api/v1/events/${id}/timeline`),
    api(`/api/v1/events/${id}/reports`).catch(() => []),
  ]);
  renderHead(); renderActions(keepForm); await renderFacts(); renderSupervision(timeline);
  renderRouting(timeline); renderTimeline(timeline); renderReports(reports); renderAttachments();
  await renderMap();
}

function renderHead() {
  $("#head").replaceChildren(el("h2", {}, stateBadge(event.state), " ", el("span", { id: "event-ref" }, event.ref), " · ", event.type_name || event.type_code || "—", " · ", event.title));
  document.title = `${event.ref} · ${CL.city.name}`;
}

async function renderFacts() {
  const c = event.location.chain || {};
  const co = await Promise.all(event.co_units.map(deptName));
  const rows = [
    [t("state"), stateBadge(event.state)], [t("type"), `${event.type_code || "—"} ${event.type_name || ""}`],
    [t("severity"), event.severity], [t("source"), event.source],
    [t("place"), `${event.location.address || ""} ${[c.district, c.street, c.grid].filter(Boolean).join(" / ")}`],
    [t("lead_unit"), await deptName(event.lead_unit)], [t("co_units"), co.join("、") || "—"],
    [t("level"), event.handling_level], [t("created"), fmtTime(event.created_at)],
    [t("deadline"), fmtTime(event.dispose_by)], ["", event.description],
  ];
  if (event.reporter) rows.push(["☎", `${event.reporter.name || ""} ${event.reporter.phone || ""} ${event.reporter.email || ""}`]);
  $("#facts").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function renderSupervision(timeline) {
  const open = !["closed", "cancelled", "merged"].includes(event.state);
  const overdue = timeline.some((e) => e.action === "overdue");
  const near = timeline.some((e) => e.action === "remind");
  const now = Date.now();
  let key = "sv_ok";
  if (open && (overdue || (event.dispose_by && new Date(event.dispose_by) < now))) key = "sv_red";
  else if (open && near) key = "sv_yellow";
  const color = { sv_red: "#ff4d4f", sv_yellow: "#ffd21f", sv_ok: "#52c41a" }[key];
  $("#supervision").replaceChildren(el("p", {}, el("span", { class: "lvl", style: `--c:${color}`, id: "supervision-state", dataset: { state: key } }, t(key)),
    " ", el("span", { class: "muted" }, `${t("deadline")}: ${fmtTime(event.dispose_by)}`)));
}

function renderRouting(timeline) {
  const items = [];
  for (const e of timeline) {
    const reasons = (e.payload && (e.payload.reasons || e.payload.triage_reasons)) || [];
    if (!reasons.length && !["dispatch", "escalate", "triage"].includes(e.action)) continue;
    items.push(el("li", {}, el("b", {}, `${t(`a_${e.action}`) !== `a_${e.action}` ? t(`a_${e.action}`) : e.action} `),
      el("span", { class: "muted small" }, fmtTime(e.at)),
      el("ul", { class: "reasons" }, ...reasons.map((r) => el("li", {}, typeof r === "string" ? r : JSON.stringify(r))), e.note ? el("li", {}, e.note) : null)));
  }
  $("#routing").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, t("none"))]));
}

function renderTimeline(timeline) {
  $("#timeline").replaceChildren(...timeline.map((e) => {
    const label = t(`a_${e.action}`) !== `a_${e.action}` ? t(`a_${e.action}`) : e.action;
    const p = e.payload || {};
    const extra = [p.result, p.measures, p.people != null ? `${t("people")} ${p.people}` : null, p.vehicles != null ? `${t("vehicles")} ${p.vehicles}` : null, p.score != null ? `★ ${p.score}` : null].filter(Boolean).join(" · ");
    return el("li", { dataset: { action: e.action } },
      el("div", {}, el("b", {}, label), " ", e.from_state ? `${t(`st_${e.from_state}`)} → ` : "", el("span", { style: `color:${STATE_COLORS[e.to_state] || "inherit"}` }, t(`st_${e.to_state}`)),
        " ", el("span", { class: "muted small" }, `${fmtTime(e.at)} · ${e.actor} (${e.role}${e.unit ? `, ${e.unit}` : ""})`)),
      e.note ? el("div", {}, e.note) : null,
      extra && extra !== e.note ? el("div", { class: "muted" }, extra) : null);
  }));
}

function renderReports(reports) {
  const splittable = event.allowed_actions.includes("split") && reports.length > 1;
  $("#reports").replaceChildren(...(reports.length ? reports.map((r) => el("li", { dataset: { report: r.ref } },
    el("b", {}, r.ref), " ", el("span", { class: "muted small" }, `${r.channel} · ${fmtTime(r.received_at)}`),
    splittable ? el("button", { class: "btn ghost small split", type: "button", onclick: () => splitForm(r) }, t("a_split")) : null,
    el("div", {}, r.text))) : [el("li", { class: "muted" }, t("none"))]));
}

// Undo a wrong merge: the report becomes an event of its own, back in the triage queue.
function splitForm(report) {
  const reason = el("textarea", { name: "reason", rows: 2, required: true });
  const form = el("form", { class: "form", id: "form-split" },
    el("b", {}, `${t("a_split")} · ${report.ref}`), field(t("reason"), reason));
  const cancel = el("button", { class: "btn ghost", type: "button" }, t("cancel"));
  cancel.addEventListener("click", () => $("#action-form").replaceChildren());
  form.append(el("div", { class: "row" }, el("button", { class: "btn primary", type: "submit" }, `${t("a_split")} · ${t("submit")}`), cancel));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const made = await api(`/api/v1/events/${id}/split`, { method: "POST", body: { report_id: report.id, reason: reason.value } });
      toast(`${report.ref} → ${made.ref} ✓`);
      $("#action-form").replaceChildren();
      // kept apart from the action form, which a live refresh of this event redraws
      $("#notice").replaceChildren(el("p", { id: "split-result" }, `${t("a_split")}: ${report.ref} → `, el("a", { href: `/ui/events/${made.id}` }, made.ref)));
      await load(true);
    } catch (err) { fail(err); }
  });
  $("#action-form").replaceChildren(form);
  reason.focus();
}

// Open events of the same type in the same street (newest first): what this one may duplicate.
async function mergeCandidates() {
  const street = event.location.chain && event.location.chain.street;
  const page = await api("/api/v1/events", { query: {
    type_code: event.type_code || undefined, jurisdiction: street || undefined, limit: 50,
    state: ["reported", "triaged", "dispatched", "returned", "accepted", "in_progress", "suspended", "resolved", "verified"] } });
  return page.items.filter((e) => e.id !== event.id);
}

function renderAttachments() {
  $("#attachments").replaceChildren(...(event.attachments.length ? event.attachments.map((a) => a.content_type.startsWith("image/")
    ? el("a", { href: `/api/v1/uploads/${a.key}`, target: "_blank" }, el("img", { alt: a.name, src: "", dataset: { key: a.key } }))
    : el("a", { href: `/api/v1/uploads/${a.key}` }, a.name)) : [el("span", { class: "muted" }, t("none"))]));
  // uploads need the token: fetch them as blobs
  document.querySelectorAll("#attachments img[data-key]").forEach(async (img) => {
    const r = await fetch(`/api/v1/uploads/${img.dataset.key}`, { headers: { Authorization: `Bearer ${(document.cookie.match(/cityloop_token=([^;]+)/) || [])[1]}` } });
    if (r.ok) img.src = URL.createObjectURL(await r.blob());
  });
}

async function renderMap() {
  const { lon, lat, chain } = event.location;
  if (lon == null) return;
  if (!map) map = new CityMap($("#map"), { tileUrl: CL.tile_url });
  map.layers = [];
  const code = (chain && (chain.community || chain.street)) || null;
  if (code) {
    const j = await api(`/api/v1/jurisdictions/${code}`, { query: { geometry: "true" } });
    map.add(new PolygonLayer([j], () => ({ fill: "rgba(40,90,160,.18)", stroke: "#4db5ff", width: 1.5 })));
    map.fit(...bboxOf([j]));
  } else map.fit(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01);
  const pts = map.add(new ClusterLayer({ color: (p) => STATE_COLORS[p.state], radius: 7 }));
  pts.set([{ lon, lat, state: event.state, pulse: true }]);
}

// ---- actions --------------------------------------------------------------------------
function renderActions(keepForm) {
  const box = $("#actions");
  box.replaceChildren(...event.allowed_actions.filter((a) => a !== "split").map((a) => {
    const b = el("button", { class: `btn ${["cancel", "reject", "return"].includes(a) ? "danger" : "primary"}`, dataset: { action: a } }, t(`a_${a}`));
    b.addEventListener("click", () => openForm(a));
    return b;
  }));
  if (!event.allowed_actions.length) box.append(el("span", { class: "muted" }, t("read_only")));
  const open = $("#action-form form");
  const still = open && event.allowed_actions.includes(open.id.replace("form-", ""));
  if (!(keepForm && still)) $("#action-form").replaceChildren();
}

function field(label, input) { return el("label", {}, label, input); }

async function openForm(action) {
  const form = el("form", { class: "form", id: `form-${action}` });
  const inputs = {};
  if (action === "triage") {
    const types = await eventTypes();
    inputs.type_code = el("select", { name: "type_code" }, ...types.map((ty) => el("option", { value: ty.code, selected: ty.code === event.type_code }, `${ty.code} ${ty.name}`)));
    form.append(field(t("type"), inputs.type_code));
  } else if (action === "dispatch") {
    const depts = await departments();
    inputs.lead_unit = el("select", { name: "lead_unit" }, el("option", { value: "" }, `${t("routing")} (${t("all")})`), ...depts.map((d) => el("option", { value: d.code }, `${d.code} ${d.name}`)));
    form.append(field(t("lead_unit"), inputs.lead_unit));
  } else if (action === "resolve" || action === "feedback") {
    form.append(el("b", {}, t("feedback_form")));
    inputs.result = el("textarea", { name: "result", rows: 3, required: true });
    form.append(field(t("result"), inputs.result));
    if (action === "resolve") { inputs.measures = el("textarea", { name: "measures", rows: 2 }); form.append(field(t("measures"), inputs.measures)); }
    inputs.people = el("input", { name: "people", type: "number", min: 0 });
    inputs.vehicles = el("input", { name: "vehicles", type: "number", min: 0 });
    form.append(el("div", { class: "row" }, field(t("people"), inputs.people), field(t("vehicles"), inputs.vehicles)));
    if (action === "resolve") { inputs.files = el("input", { name: "files", type: "file", multiple: true, accept: "image/*,video/mp4" }); form.append(field(t("attachments"), inputs.files)); }
  } else if (action === "merge") {
    const near = await mergeCandidates();
    inputs.into = el("input", { name: "into", list: "merge-candidates", required: true, placeholder: t("merge_into_hint") });
    const options = el("datalist", { id: "merge-candidates" }, ...near.map((e) => el("option", { value: e.ref }, `${e.title || ""} · ${stateName(e.state)}`)));
    const pick = el("ul", { class: "list plain", id: "merge-list" }, ...near.slice(0, 8).map((e) => el("li", {},
      el("a", { href: "#", dataset: { ref: e.ref }, onclick: (ev) => { ev.preventDefault(); inputs.into.value = e.ref; } }, e.ref),
      ` · ${e.title || ""} · `, stateBadge(e.state), el("span", { class: "muted small" }, ` ${fmtTime(e.created_at)}`))));
    form.append(field(t("merge_into"), inputs.into), options, near.length ? pick : el("p", { class: "muted" }, t("merge_none_near")));
    inputs.note = el("input", { name: "note" });
    form.append(field(t("note"), inputs.note));
  } else if (REASON.includes(action)) {
    inputs.reason = el("textarea", { name: "reason", rows: 2, required: true });
    form.append(field(t("reason"), inputs.reason));
  } else if (NOTE.includes(action)) {
    inputs.note = el("input", { name: "note" });
    form.append(field(t("note"), inputs.note));
  }
  const cancel = el("button", { class: "btn ghost", type: "button" }, t("cancel"));
  cancel.addEventListener("click", () => $("#action-form").replaceChildren());
  form.append(el("div", { class: "row" }, el("button", { class: "btn primary", type: "submit" }, `${t(`a_${action}`)} · ${t("submit")}`), cancel));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api(`/api/v1/events/${id}/${action}`, { method: "POST", body: await bodyOf(action, inputs) });
      toast(`${event.ref}: ${t(`a_${action}`)} ✓`);
      $("#action-form").replaceChildren();
      await load(true);
    } catch (err) { fail(err); }
  });
  $("#action-form").replaceChildren(form);
}

async function bodyOf(action, inputs) {
  const num = (i) => (i && i.value !== "" ? Number(i.value) : null);
  if (action === "triage") return { type_code: inputs.type_code.value };
  if (action === "dispatch") return inputs.lead_unit.value ? { lead_unit: inputs.lead_unit.value } : {};
  if (action === "merge") return { into: inputs.into.value.trim(), note: inputs.note.value || null };
  if (action === "resolve" || action === "feedback") {
    const body = { result: inputs.result.value, people: num(inputs.people), vehicles: num(inputs.vehicles) };
    if (action === "resolve") {
      body.measures = inputs.measures.value || null;
      body.attachments = [];
      for (const f of inputs.files.files) {
        const fd = new FormData(); fd.append("file", f);
        const up = await api("/api/v1/uploads", { method: "POST", form: fd });
        body.attachments.push(up.key);
      }
    }
    return body;
  }
  if (REASON.includes(action)) return { reason: inputs.reason.value };
  if (NOTE.includes(action)) return inputs.note.value ? { note: inputs.note.value } : {};
  return {};
}

live({ event: (m) => { if (m.id === id) load(true).catch(fail); } });
load().catch(fail);
