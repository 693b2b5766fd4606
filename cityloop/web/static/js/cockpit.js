// The leader's cockpit: the territory's key figures, their trend, the scorecards, and what
// people report most.
import { CL, t, api, el, $, fail, LEVEL_COLORS } from "./common.js";

const level = CL.user.level;
const by = level === "city" ? "district" : "street";
let names = new Map();

async function kpis() {
  const v = await api("/api/v1/vital-signs");
  renderKpis(v.values, null);
  const [cards, places] = await Promise.all([api("/api/v1/scorecards", { query: { by } }), api("/api/v1/jurisdictions", { query: { level: by } })]);
  names = new Map(places.map((j) => [j.code, j.name]));
  renderKpis(v.values, cards.items || []);
}

function renderKpis(x, items) {
  const pending = items === null;
  items = items || [];
  const sum = (k) => items.reduce((s, i) => s + (i[k] || 0), 0);
  const rated = items.filter((i) => i.rating_mean != null);
  const sat = rated.length ? rated.reduce((s, i) => s + i.rating_mean * i.ratings, 0) / Math.max(1, rated.reduce((s, i) => s + i.ratings, 0)) : null;
  const resolved = sum("resolved"); const onTime = sum("disposed_on_time");
  const aw = x.active_warnings || {};
  const tiles = [
    ["open_events", x.open_events], ["overdue_events", x.overdue_events],
    ["events", pending ? "…" : sum("received")], ["satisfaction", sat != null ? `${sat.toFixed(2)} / 5` : "—"],
    ["on_time", resolved ? `${Math.round((100 * onTime) / resolved)}%` : "—"],
    ["online_rate", x.online_rate != null ? `${Math.round(x.online_rate * 1000) / 10}%` : "—"],
    ["active_warnings", Object.values(aw).reduce((s, n) => s + n, 0)], ["resources_available", x.resources_available ?? "—"],
  ];
  $("#kpis").replaceChildren(...tiles.map(([k, val]) => el("div", { class: "tile", dataset: { kpi: k } }, el("b", {}, val ?? "—"), el("span", {}, t(k)))));
  $("#scores").replaceChildren(...items.slice(0, 12).map((i) => el("tr", {}, el("td", {}, i.rank), el("td", {}, names.get(i.key) || i.key),
    el("td", {}, i.rating_mean != null ? i.rating_mean.toFixed(2) : "—"),
    el("td", {}, i.dispose_on_time_rate != null ? `${Math.round(i.dispose_on_time_rate * 100)}%` : "—"), el("td", {}, i.score != null ? i.score.toFixed(1) : "—"))));
}

async function trend() {
  const hist = await api("/api/v1/vital-signs/history", { query: { resolution: level === "street" ? "hour" : "minute" } });
  const canvas = $("#trend"); const ctx = canvas.getContext("2d");
  const w = (canvas.width = canvas.clientWidth * devicePixelRatio); const h = (canvas.height = canvas.clientHeight * devicePixelRatio);
  ctx.scale(devicePixelRatio, devicePixelRatio);
  const W = w / devicePixelRatio, H = h / devicePixelRatio;
  const series = [["open_events", "#3aa0ff"], ["overdue_events", "#ff4d4f"]];
  const pts = hist.map((s) => s.values);
  const max = Math.max(1, ...pts.flatMap((v) => series.map(([k]) => v[k] || 0)));
  ctx.strokeStyle = "#1f3350"; ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) { const y = 10 + ((H - 30) * i) / 4; ctx.beginPath(); ctx.moveTo(30, y); ctx.lineTo(W - 5, y); ctx.stroke(); ctx.fillStyle = "#7d8fa8"; ctx.font = "10px sans-serif"; ctx.fillText(String(Math.round(max * (1 - i / 4))), 2, y + 3); }
  for (const [k, col] of series) {
    ctx.beginPath(); ctx.strokeStyle = col; ctx.lineWidth = 2;
    pts.forEach((v, i) => { const x = 30 + ((W - 35) * i) / Math.max(1, pts.length - 1); const y = 10 + (H - 30) * (1 - (v[k] || 0) / max); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.stroke();
  }
  $("#trend-legend").replaceChildren(...series.map(([k, col]) => el("span", { class: "key" }, el("i", { style: `background:${col}` }), t(k))),
    el("span", { class: "muted" }, `${hist.length} samples`));
}

async function byType() {
  const counts = await api("/api/v1/dashboard/counts", { query: { by: "type" } }).catch(() => null);
  let rows;
  if (counts && counts.groups) rows = counts.groups.map((i) => [`${i.key || "—"} ${(CL.lang === "en" ? i.label_en : i.label_zh) || ""}`, i.count]);
  else {
    const tr = await api("/api/v1/demand/trends", { query: { by } });
    const agg = new Map();
    for (const i of tr.items) agg.set(i.type_code, (agg.get(i.type_code) || 0) + i.current);
    const types = await api("/api/v1/event-types");
    rows = [...agg.entries()].map(([k, n]) => [`${k} ${(types.find((x) => x.code === k) || {}).name || ""}`, n]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...rows.map((r) => r[1]));
  $("#by-type").replaceChildren(...rows.slice(0, 15).map(([k, n]) => el("div", { class: "bar" }, el("span", {}, k), el("i", { style: `width:${(100 * n) / max}%` }), el("span", {}, n))));
}

Promise.all([kpis(), trend(), byType()]).catch(fail);
void LEVEL_COLORS;
