// Review and replay (复盘): the city of a past window on the map, moved with a time slider.
// The state at the window's start comes from /replay/snapshot, every step inside it from
// /replay; the moment under the slider is folded here from both, so sliding needs no request.
// Incident review records are listed beside it: opening one replays its window and shows
// what was late and why, the warnings before the first report and the lessons noted.
import {
  CL, t, api, el, $, fail, fmtTime, stateBadge, levelBadge, STATE_COLORS, LEVEL_COLORS,
  stateName, toast,
} from "./common.js";
import { CityMap, PolygonLayer, ClusterLayer, showTerritory } from "./map.js";

const user = CL.user;
const OPEN = ["reported", "triaged", "dispatched", "returned", "accepted", "in_progress", "suspended", "resolved", "verified"];
const FINISHED = ["closed", "cancelled", "merged"];
const WRITERS = new Set(["city_operator", "district_operator", "street_operator", "leader", "auditor", "admin"]);
const STEPS_SHOWN = 80;

const tip = $("#map-tip");
const map = new CityMap($("#map"), {
  tileUrl: CL.tile_url,
  onClick: (hit) => {
    const it = hit && hit.item;
    if (it && it.item && it.item.id && hit.layer === events) location.href = `/ui/events/${it.item.id}`;
  },
});
map.onHover = (hit, x, y) => {
  if (!hit) { tip.hidden = true; return; }
  const it = hit.item;
  const text = it.cluster ? `${it.count} · ${it.cluster.slice(0, 3).map((p) => p.ref || p.id).join(", ")}` : hit.layer.label(it.item);
  tip.textContent = text; tip.style.left = `${x + 14}px`; tip.style.top = `${y + 8}px`; tip.hidden = false;
};
const base = map.add(new PolygonLayer([], () => ({})));
const events = map.add(new ClusterLayer({ color: (p) => STATE_COLORS[p.state] || "#888", radius: 5, cell: 40,
  label: (p) => `${p.ref} · ${stateName(p.state)} · ${p.type_code || ""}${p.unit ? ` · ${p.unit}` : ""} (${t("replay_since")} ${fmtTime(p.since)})` }));
const warnings = map.add(new ClusterLayer({ color: (p) => LEVEL_COLORS[p.level] || "#888", radius: 7, shape: "triangle", cell: 20,
  label: (p) => `${p.rule} · ${p.subject} · ${p.level}` }));
const names = map.add(new PolygonLayer([], () => ({})));
let showFinished = false;

const LAYERS = [["events", events, "layer_events"], ["warnings", warnings, "layer_warnings"]];
for (const [key, layer, label] of LAYERS) {
  const cb = el("input", { type: "checkbox", id: `layer-${key}`, checked: true });
  cb.addEventListener("change", () => { layer.visible = cb.checked; map.redraw(); });
  $("#layers").append(el("label", { class: "layer" }, cb, t(label)));
}
const finishedBox = el("input", { type: "checkbox", id: "layer-finished" });
finishedBox.addEventListener("change", () => { showFinished = finishedBox.checked; render(); });
$("#layers").append(el("label", { class: "layer" }, finishedBox, t("replay_show_finished")));
$("#state-legend").append(...OPEN.map((s) => el("span", { class: "key" }, el("i", { style: `background:${STATE_COLORS[s]}` }), stateName(s))));

// ---- the window and the moment --------------------------------------------------------
let win = null; // { from, to (ms), start: snapshot at from, steps: [...] with ms }
let at = null; // the moment under the slider (ms)
let shownAt = null; // the moment last drawn, to flash the steps that just happened

const pad = (n) => String(n).padStart(2, "0");
function inputValue(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
const iso = (ms) => new Date(ms).toISOString();
// the window and the open review stay in the address, so a replay can be shared or reloaded
function keepInAddress(params) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(params)) q.set(k, v);
  history.replaceState(null, "", `${location.pathname}?${q}`);
}

async function loadWindow(fromMs, toMs) {
  if (!(toMs > fromMs)) { toast(t("replay_bad_window"), "error"); return; }
  const [start, replay] = await Promise.all([
    api("/api/v1/replay/snapshot", { query: { at: iso(fromMs), include_finished: "true", limit: 50000 } }),
    api("/api/v1/replay", { query: { from: iso(fromMs), to: iso(toMs), limit: 50000 } }),
  ]);
  win = { from: fromMs, to: toMs, start, steps: replay.steps.map((s) => ({ ...s, ms: Date.parse(s.at) })) };
  $("#from").value = inputValue(fromMs); $("#to").value = inputValue(toMs);
  $("#slider-from").textContent = fmtTime(iso(fromMs)); $("#slider-to").textContent = fmtTime(iso(toMs));
  $("#slider").disabled = false; $("#play").disabled = false;
  $("#steps-count").textContent = win.steps.length;
  keepInAddress({ from: iso(fromMs), to: iso(toMs) });
  shownAt = null;
  seek(fromMs);
}

// The city at `ms`: the start snapshot with every step up to `ms` applied, in order.
function stateAt(ms) {
  const evs = new Map(win.start.events.map((e) => [e.ref, { ...e }]));
  const ws = new Map(win.start.warnings.map((w) => [w.id, { ...w }]));
  let applied = 0;
  for (const s of win.steps) {
    if (s.ms > ms) break;
    applied++;
    if (s.kind === "event") {
      let e = evs.get(s.ref);
      if (!e) {
        e = { id: s.event_id, ref: s.ref, type_code: s.type_code, lon: s.lon, lat: s.lat, district: s.district, street: s.street };
        evs.set(s.ref, e);
      }
      if (s.to) { e.state = s.to; e.since = s.at; }
      if (s.unit) e.unit = s.unit;
    } else if (s.level === "none") {
      ws.delete(s.id);
    } else {
      ws.set(s.id, { id: s.id, rule: s.rule, subject: s.subject, level: s.level, value: s.value, lon: s.lon, lat: s.lat });
    }
  }
  return { events: [...evs.values()], warnings: [...ws.values()], applied };
}

function seek(ms) {
  at = Math.max(win.from, Math.min(win.to, ms));
  $("#slider").value = String(Math.round(((at - win.from) / (win.to - win.from)) * 1000));
  render();
}

let frame = null;
function render() {
  if (!win || frame) return;
  frame = requestAnimationFrame(() => { frame = null; draw(); });
}

function draw() {
  const s = stateAt(at);
  const finished = new Set(FINISHED);
  events.set(s.events.filter((e) => e.lon != null && (showFinished || !finished.has(e.state))));
  warnings.set(s.warnings.filter((w) => w.lon != null));
  $("#moment-label").textContent = new Date(at).toLocaleString(CL.lang === "en" ? "en-GB" : "zh-CN");
  const by = {};
  for (const e of s.events) by[e.state] = (by[e.state] || 0) + 1;
  $("#moment-states").replaceChildren(...[...OPEN, ...FINISHED].filter((k) => by[k]).map((k) =>
    el("div", { class: "tile", dataset: { state: k } }, el("b", { style: `color:${STATE_COLORS[k]}` }, String(by[k])), el("span", {}, stateName(k)))));
  if (!Object.keys(by).length) $("#moment-states").replaceChildren(el("span", { class: "muted" }, t("none")));
  const lv = {};
  for (const w of s.warnings) lv[w.level] = (lv[w.level] || 0) + 1;
  $("#moment-levels").replaceChildren(el("span", { class: "muted small" }, t("active_warnings")),
    ...["red", "orange", "yellow", "blue"].map((l) => el("span", { class: "lvl", style: `--c:${LEVEL_COLORS[l]}`, dataset: { level: l } }, `${lv[l] || 0}`)));
  const upto = win.steps.slice(Math.max(0, s.applied - STEPS_SHOWN), s.applied).reverse();
  $("#steps").replaceChildren(...(upto.length ? upto.map((x) => stepRow(x, shownAt !== null && x.ms > shownAt)) : [el("li", { class: "muted" }, t("none"))]));
  shownAt = at;
  CL.replay.moment = { at: iso(at), events: s.events, warnings: s.warnings, applied: s.applied };
}

function stepRow(s, fresh) {
  const cls = `stream-item ${fresh ? "flash" : ""}`;
  if (s.kind === "event") {
    return el("li", { class: cls, dataset: { ref: s.ref, kind: "event" } },
      el("span", { class: "time" }, fmtTime(s.at)), s.to ? stateBadge(s.to) : null,
      s.event_id ? el("a", { href: `/ui/events/${s.event_id}`, class: "grow" }, `${s.ref} · ${s.action}${s.unit ? ` · ${s.unit}` : ""}`)
        : el("span", { class: "grow" }, `${s.ref} · ${s.action}`));
  }
  return el("li", { class: cls, dataset: { warning: s.id, kind: "warning" } },
    el("span", { class: "time" }, fmtTime(s.at)), s.level === "none" ? el("span", { class: "state" }, s.action) : levelBadge(s.level),
    el("span", { class: "grow" }, `${s.rule} · ${s.subject} · ${s.action}${s.value != null ? ` (${s.value})` : ""}`));
}

$("#slider").addEventListener("input", (e) => {
  if (!win) return;
  seek(win.from + ((win.to - win.from) * Number(e.target.value)) / 1000);
});

let timer = null;
function stop() { clearInterval(timer); timer = null; $("#play").textContent = "▶"; }
$("#play").addEventListener("click", () => {
  if (timer) { stop(); return; }
  if (at >= win.to) seek(win.from);
  $("#play").textContent = "⏸";
  timer = setInterval(() => {
    const stepMs = ((win.to - win.from) / 1000) * Number($("#speed").value);
    seek(at + stepMs);
    if (at >= win.to) stop();
  }, 200);
});

$("#window-form").addEventListener("submit", (e) => {
  e.preventDefault(); stop();
  loadWindow(new Date($("#from").value).getTime(), new Date($("#to").value).getTime()).catch(fail);
});
for (const b of document.querySelectorAll("[data-preset]")) {
  b.addEventListener("click", () => {
    stop();
    const now = Date.now();
    loadWindow(now - Number(b.dataset.preset) * 3600e3, now).catch(fail);
  });
}

// ---- incident reviews -----------------------------------------------------------------
async function loadReviews() {
  const { items } = await api("/api/v1/reviews", { query: { limit: 100 } });
  $("#reviews-count").textContent = items.length;
  $("#reviews").replaceChildren(...(items.length ? items.map((r) => el("li", { dataset: { review: r.id } },
    el("span", { class: "time" }, fmtTime(r.from)),
    el("a", { href: "#", class: "grow", onclick: (e) => { e.preventDefault(); openReview(r.id).catch(fail); } }, r.title),
    r.late_steps ? el("span", { class: "state", style: "--c:#ff3b3b", title: t("review_late") }, String(r.late_steps)) : null,
  )) : [el("li", { class: "muted" }, t("none"))]));
}

async function openReview(id) {
  stop();
  const r = await api(`/api/v1/reviews/${id}`);
  keepInAddress({ review: id });
  showReview(r);
  await loadWindow(Date.parse(r.from), Date.parse(r.to));
}

function showReview(r) {
  $("#review-panel").hidden = false;
  $("#review-panel").dataset.review = r.id;
  $("#review-title").textContent = r.title;
  const lead = r.lead_time_minutes;
  const before = r.warnings_before_first_report || [];
  const late = r.late || [];
  const body = [
    el("dl", { class: "facts" },
      el("dt", {}, t("review_first_report")), el("dd", {}, fmtTime(r.first_report_at)),
      el("dt", {}, t("review_lead_time")), el("dd", {}, lead == null ? "—" : `${Math.round(lead)} min`),
      el("dt", {}, t("review_events")), el("dd", {}, String((r.events || []).length))),
    el("h4", {}, `${t("review_warnings_before")} (${before.length})`),
    el("ul", { class: "list plain", id: "review-warnings" }, ...before.map((w) => el("li", {},
      levelBadge(w.level_at_raise), ` ${w.rule} · ${w.subject} · ${fmtTime(w.raised_at)} · ${Math.round(w.lead_minutes)} min`))),
    el("h4", {}, `${t("review_late")} (${late.length})`),
    el("ul", { class: "list plain", id: "review-late" }, ...late.map((x) => el("li", { dataset: { step: x.step } },
      el("b", {}, `${x.event_ref || ""} ${x.step}`), ` · ${x.unit || "—"} · +${Math.round(x.late_minutes)} min`,
      el("a", { href: "#", class: "small", onclick: (e) => { e.preventDefault(); seek(Date.parse(x.deadline)); } }, ` ${t("review_jump")}`),
      x.why && x.why.length ? el("ul", { class: "reasons" }, ...x.why.map((w) => el("li", {}, w))) : null))),
    el("h4", {}, `${t("review_lessons")} (${r.lessons.length})`),
    el("ol", { id: "review-lessons" }, ...r.lessons.map((l) => el("li", {}, l.text, el("span", { class: "muted small" }, ` — ${l.by}, ${fmtTime(l.at)}`)))),
  ];
  if (WRITERS.has(user.role)) {
    const text = el("textarea", { id: "lesson-text", rows: 2, placeholder: t("review_lesson_hint") });
    const add = el("button", { class: "btn", id: "lesson-add", type: "button" }, t("review_add_lesson"));
    add.addEventListener("click", async () => {
      if (!text.value.trim()) return;
      try {
        const updated = await api(`/api/v1/reviews/${r.id}/lessons`, { method: "POST", body: { text: text.value, version: r.version } });
        showReview(updated); loadReviews().catch(fail);
      } catch (e) { fail(e); }
    });
    body.push(el("div", { class: "form" }, text, add));
  }
  $("#review-body").replaceChildren(...body);
}

const created = $("#new-review");
if (created) {
  created.addEventListener("click", async () => {
    if (!win) return;
    try {
      const r = await api("/api/v1/reviews", { method: "POST", body: { from: iso(win.from), to: iso(win.to), territory: user.jurisdiction } });
      await loadReviews(); showReview(r);
      keepInAddress({ review: r.id });
    } catch (e) { fail(e); }
  });
}

CL.replay = { map, layers: { base, events, warnings, names }, seek: (ms) => seek(ms), moment: null };

(async () => {
  try {
    await showTerritory(map, base, names, api, user, CL.city.code);
    await loadReviews();
    const q = new URLSearchParams(location.search);
    if (q.get("review")) await openReview(q.get("review"));
    else if (q.get("from") && q.get("to")) await loadWindow(Date.parse(q.get("from")), Date.parse(q.get("to")));
    else { const now = Date.now(); await loadWindow(now - 24 * 3600e3, now); }
    CL.replay.ready = true;
  } catch (e) { fail(e); }
})();
