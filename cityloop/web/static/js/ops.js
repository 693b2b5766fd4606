// The operations centre: one map with layers, vital signs, warnings, the live stream,
// supervision lists and plan activations, all within the user's territory.
import {
  CL, t, api, tryApi, el, $, live, fail, fmtTime, stateBadge, levelBadge, typeName,
  STATE_COLORS, LEVEL_COLORS, stateName,
} from "./common.js";
import { CityMap, PolygonLayer, ClusterLayer, HeatLayer, showTerritory } from "./map.js";

const user = CL.user;
const OPEN = ["reported", "triaged", "dispatched", "returned", "accepted", "in_progress", "suspended", "resolved", "verified"];
const GONE = new Set(["closed", "cancelled", "merged"]);
const SENSOR_COLORS = { online: "#3ddc97", offline: "#6b7785", alarm: "#ff3b3b" };
const RES_COLORS = { available: "#b37feb", assigned: "#ff85c0", unavailable: "#595959" };

const tip = $("#map-tip");
const map = new CityMap($("#map"), {
  tileUrl: CL.tile_url,
  onView: () => { loadEvents(); loadSensors(); },
  onClick: (hit, lonlat, x, y) => {
    if (!hit) return;
    const it = hit.item;
    if (it.item && it.item.id && hit.layer === events) location.href = `/ui/events/${it.item.id}`;
    else if (it.cluster) { const [lon, lat] = map.unproject(x, y); map.zoom += 1.5; zoomTo(lon, lat); }
  },
});
function zoomTo(lon, lat) {
  const s = Math.sin((lat * Math.PI) / 180);
  map.cx = lon / 360 + 0.5; map.cy = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  map.viewChanged();
}
map.onHover = (hit, x, y) => {
  if (!hit) { tip.hidden = true; return; }
  const it = hit.item;
  let text;
  if (it.cluster) text = `${it.count} · ${it.cluster.slice(0, 3).map((p) => p.ref || p.id).join(", ")}${it.cluster.length > 3 ? " …" : ""}`;
  else if (it.item) text = hit.layer.label ? hit.layer.label(it.item) : it.item.id;
  tip.textContent = text; tip.style.left = `${x + 14}px`; tip.style.top = `${y + 8}px`; tip.hidden = false;
};

// ---- layers ---------------------------------------------------------------------------
const base = map.add(new PolygonLayer([], () => ({})));
const events = map.add(new ClusterLayer({ color: (p) => STATE_COLORS[p.state] || "#888", radius: 5, cell: 58,
  label: (p) => `${p.ref || ""} ${stateName(p.state)} ${typeName(p)} ${p.title || ""}` }));
const heat = map.add(new HeatLayer());
const sensors = map.add(new ClusterLayer({ color: (p) => SENSOR_COLORS[p.state] || "#888", radius: 3, cell: 30,
  label: (p) => `${p.id} ${p.type} ${p.state}` }));
sensors.visible = false;
const resources = map.add(new ClusterLayer({ color: (p) => RES_COLORS[p.state] || "#888", radius: 4, shape: "square",
  label: (p) => `${CL.lang === "en" ? p.name_en : p.name_zh} (${p.state})` }));
resources.visible = false;
const warnings = map.add(new ClusterLayer({ color: (p) => LEVEL_COLORS[p.level] || "#888", radius: 7, shape: "triangle", cell: 20,
  label: (p) => `${p.rule} · ${p.subject} · ${p.level}` }));
// names of the territories above every marker
const names = map.add(new PolygonLayer([], () => ({})));

CL.ops = { map, layers: { base, events, heat, sensors, resources, warnings, names } }; // for scripted checks

const LAYERS = [
  ["jurisdictions", base, "layer_jurisdictions"], ["events", events, "layer_events"],
  ["warnings", warnings, "layer_warnings"], ["sensors", sensors, "layer_sensors"],
  ["resources", resources, "layer_resources"], ["heat", heat, "layer_heat"],
];
const box = $("#layers");
for (const [key, layer, label] of LAYERS) {
  const cb = el("input", { type: "checkbox", id: `layer-${key}`, checked: layer.visible !== false });
  cb.addEventListener("change", () => {
    layer.visible = cb.checked; map.redraw();
    if (key === "sensors" && cb.checked) loadSensors();
    if (key === "resources" && cb.checked) loadResources();
    if (key === "heat" && cb.checked) loadHeat();
  });
  box.append(el("label", { class: "layer" }, cb, t(label)));
}
$("#state-legend").append(...OPEN.map((s) => el("span", { class: "key" }, el("i", { style: `background:${STATE_COLORS[s]}` }), stateName(s))));

async function loadBase() {
  await showTerritory(map, base, names, api, user, CL.city.code);
}

let eventPoints = new Map();
async function loadEvents() {
  const [a, b, c, d] = map.bbox();
  const agg = await tryApi("/api/v1/dashboard/map", { query: { bbox: [a, b, c, d].map((v) => v.toFixed(5)).join(","), zoom: Math.round(map.zoom), layer: "events" } });
  if (agg) {
    eventPoints = new Map((agg.points || []).map((p) => [p.id, p]));
    events.set([...eventPoints.values()], agg.cells || []);
    return;
  }
  const page = await api("/api/v1/events", { query: { state: OPEN, limit: 500 } });
  eventPoints = new Map(page.items.map((e) => [e.id, flat(e)]));
  events.set([...eventPoints.values()]);
}
function flat(e) {
  return { id: e.id, ref: e.ref, state: e.state, type_code: e.type_code, type_name: e.type_name, severity: e.severity, title: e.title, lon: e.location.lon, lat: e.location.lat };
}
async function loadHeat() {
  if (!heat.visible) return;
  const [a, b, c, d] = map.bbox();
  const agg = await tryApi("/api/v1/dashboard/map", { query: { bbox: [a, b, c, d].map((v) => v.toFixed(5)).join(","), zoom: Math.round(map.zoom), layer: "heat" } });
  if (agg) { heat.set([...(agg.cells || []), ...(agg.points || []).map((p) => ({ ...p, count: p.count || 1 }))]); return; }
  const page = await api("/api/v1/events", { query: { limit: 500 } });
  heat.set(page.items.filter((e) => e.location.lon != null).map((e) => ({ lon: e.location.lon, lat: e.location.lat, count: 1 })));
}
async function loadSensors() {
  if (!sensors.visible) return;
  const [a, b, c, d] = map.bbox();
  const r = await api("/api/v1/map/sensors", { query: { bbox: [a, b, c, d].map((v) => v.toFixed(5)).join(",") } });
  sensors.set(r.points, r.cells);
}
async function loadResources() {
  const r = await api("/api/v1/map/resources");
  resources.set(r.resources);
}

// ---- panels ---------------------------------------------------------------------------
async function loadVitals() {
  const v = await api("/api/v1/vital-signs");
  const x = v.values; const how = v.how || {};
  const pct = (n) => (n == null ? "—" : `${Math.round(n * 1000) / 10}%`);
  const num = (n, u = "") => (n == null ? "—" : `${n}${u}`);
  const aw = x.active_warnings || {};
  const tiles = [
    ["open_events", num(x.open_events), how.open_events],
    ["overdue_events", num(x.overdue_events), how.overdue_events, x.overdue_events ? "red" : ""],
    ["online_rate", pct(x.online_rate), how.online_rate],
    ["rain", num(x.rainfall_1h_max_mm, " mm"), how.rainfall_1h_max_mm],
    ["aqi", num(x.aqi_max), how.aqi_max],
    ["congestion", num(x.congestion_index), how.congestion_index],
    ["crowd", num(x.crowd_density_max, " /m²"), how.crowd_density_max],
    ["resources_available", num(x.resources_available), how.resources_available],
  ];
  $("#vitals").replaceChildren(
    ...tiles.map(([k, val, h, cls]) => el("div", { class: `tile ${cls || ""}`, title: h || "", dataset: { vital: k } }, el("b", {}, val), el("span", {}, t(k)))),
    el("div", { class: "tile wide", title: how.active_warnings || "" },
      el("span", {}, t("active_warnings")),
      el("div", { class: "levels" }, ...["red", "orange", "yellow", "blue"].map((l) => el("span", { class: "lvl", style: `--c:${LEVEL_COLORS[l]}` }, `${aw[l] || 0}`)))),
  );
}

let warningItems = new Map();
async function loadWarnings() {
  const list = await api("/api/v1/warnings", { query: { active: "true" } });
  warningItems = new Map(list.map((w) => [w.id, w]));
  renderWarnings();
}
function renderWarnings() {
  const list = [...warningItems.values()].filter((w) => w.active);
  const order = { red: 0, orange: 1, yellow: 2, blue: 3 };
  list.sort((a, b) => (order[a.level] ?? 9) - (order[b.level] ?? 9));
  warnings.set(list.filter((w) => w.lon != null));
  $("#warnings-count").textContent = list.length;
  $("#warnings").replaceChildren(...(list.length ? list.slice(0, 60).map((w) => el("li", { class: "warning-item", dataset: { warning: w.id } },
    levelBadge(w.level), el("span", { class: "grow" }, `${w.rule} · ${w.subject}`),
    el("span", { class: "muted small" }, w.value != null ? `${w.value}${w.threshold != null ? ` / ${w.threshold}` : ""}` : ""),
    w.event_id ? el("a", { href: `/ui/events/${w.event_id}`, class: "small" }, "→") : null,
  )) : [el("li", { class: "muted" }, t("none"))]));
}

const stream = $("#stream");
let streamCount = 0;
function streamRow(e, fresh = false) {
  const li = el("li", { class: `stream-item ${fresh ? "flash" : ""}`, dataset: { event: e.id, ref: e.ref } },
    el("span", { class: "time" }, fmtTime(e.at || e.updated_at || e.created_at)),
    stateBadge(e.state),
    el("a", { href: `/ui/events/${e.id}`, class: "grow" }, `${e.ref} · ${typeName(e)} · ${e.title || ""}`),
  );
  return li;
}
async function loadStream() {
  const recent = await tryApi("/api/v1/dashboard/stream-recent", { query: { limit: 30 } });
  const items = recent ? (recent.items || recent) : (await api("/api/v1/events", { query: { limit: 30 } })).items;
  stream.replaceChildren(...items.map((e) => streamRow({ ...e, type_name: e.type_name })));
  streamCount = items.length; $("#stream-count").textContent = streamCount;
}

async function loadSupervision() {
  const row = (e) => el("li", { dataset: { event: e.id } }, stateBadge(e.state), el("a", { href: `/ui/events/${e.id}`, class: "grow" }, `${e.ref} · ${e.type_name || e.type_code || ""}`), el("span", { class: "muted small" }, fmtTime(e.deadline || e.dispose_by)));
  let reds; let yellows;
  const dash = await tryApi("/api/v1/dashboard/overdue", { query: { limit: 60 } });
  if (dash) {
    reds = dash.items.filter((e) => e.supervision === "red");
    yellows = dash.items.filter((e) => e.supervision === "yellow");
  } else {
    reds = (await api("/api/v1/supervision", { query: { color: "red", limit: 30 } })).items;
    yellows = (await api("/api/v1/supervision", { query: { color: "yellow", limit: 30 } })).items;
  }
  $("#overdue").replaceChildren(...(reds.length ? reds.map(row) : [el("li", { class: "muted" }, t("none"))]));
  $("#overdue-count").textContent = reds.length;
  $("#neardue").replaceChildren(...(yellows.length ? yellows.map(row) : [el("li", { class: "muted" }, t("none"))]));
  $("#neardue-count").textContent = yellows.length;
}

async function loadPlans() {
  const acts = await api("/api/v1/plan-activations", { query: { status: "active" } });
  $("#plans").replaceChildren(...(acts.length ? acts.map((a) => el("li", { dataset: { activation: a.id } },
    el("span", { class: "lvl", style: "--c:#ff8c1a" }, a.level), el("a", { href: `/ui/plans#${a.id}`, class: "grow" }, `${a.plan_name || a.plan_id} · ${a.jurisdiction}`),
    el("span", { class: "muted small" }, fmtTime(a.activated_at)))) : [el("li", { class: "muted" }, t("none"))]));
}

// ---- live -----------------------------------------------------------------------------
let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { loadVitals().catch(fail); loadSupervision().catch(fail); }, 600);
}
live({
  event: (e) => {
    if (GONE.has(e.state)) eventPoints.delete(e.id);
    else eventPoints.set(e.id, { ...e, pulse: true });
    events.set([...eventPoints.values()], events.cells);
    stream.prepend(streamRow(e, true));
    while (stream.children.length > 80) stream.lastChild.remove();
    $("#stream-count").textContent = ++streamCount;
    refreshSoon();
  },
  warning: (w) => {
    warningItems.set(w.id, w);
    renderWarnings();
    refreshSoon();
  },
  plan: () => { loadPlans().catch(fail); },
});

(async () => {
  try {
    await loadBase();
    await Promise.all([loadEvents(), loadVitals(), loadWarnings(), loadStream(), loadSupervision(), loadPlans()]);
  } catch (e) { fail(e); }
})();
setInterval(() => loadVitals().catch(() => {}), 30000);
