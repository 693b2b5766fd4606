// A small canvas map in Web Mercator: the city's own polygons as the base (an XYZ tile layer
// only when the city configures one), points clustered when dense, server cells, a heat map.
const TILE = 256;

function mx(lon) { return lon / 360 + 0.5; }
function my(lat) {
  const s = Math.sin((lat * Math.PI) / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}
function lonOf(x) { return (x - 0.5) * 360; }
function latOf(y) { return (90 - (360 * Math.atan(Math.exp((y - 0.5) * 2 * Math.PI))) / Math.PI); }

export class CityMap {
  constructor(canvas, { onClick, onView, interactive = true, tileUrl = null } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.layers = [];
    this.onClick = onClick;
    this.onView = onView;
    this.tileUrl = tileUrl;
    this.tiles = new Map();
    this.zoom = 10;
    this.cx = 0.5; this.cy = 0.5;
    this.resize();
    new ResizeObserver(() => this.resize()).observe(canvas);
    if (interactive) this.wire();
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.w = Math.max(1, r.width); this.h = Math.max(1, r.height);
    this.canvas.width = Math.round(this.w * dpr); this.canvas.height = Math.round(this.h * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (this.fitBox) this.fit(...this.fitBox, true);
    this.redraw();
  }

  get scale() { return TILE * 2 ** this.zoom; }
  project(lon, lat) {
    return [(mx(lon) - this.cx) * this.scale + this.w / 2, (my(lat) - this.cy) * this.scale + this.h / 2];
  }
  unproject(x, y) {
    return [lonOf((x - this.w / 2) / this.scale + this.cx), latOf((y - this.h / 2) / this.scale + this.cy)];
  }
  bbox() {
    const [a, b] = this.unproject(0, this.h); const [c, d] = this.unproject(this.w, 0);
    return [a, b, c, d];
  }

  fit(minlon, minlat, maxlon, maxlat, quiet = false) {
    this.fitBox = [minlon, minlat, maxlon, maxlat];
    const x0 = mx(minlon), x1 = mx(maxlon), y0 = my(maxlat), y1 = my(minlat);
    this.cx = (x0 + x1) / 2; this.cy = (y0 + y1) / 2;
    const zx = Math.log2((this.w * 0.92) / TILE / Math.max(x1 - x0, 1e-9));
    const zy = Math.log2((this.h * 0.92) / TILE / Math.max(y1 - y0, 1e-9));
    this.zoom = Math.min(zx, zy, 18);
    if (!quiet) this.viewChanged();
  }

  add(layer) { this.layers.push(layer); layer.map = this; this.redraw(); return layer; }

  redraw() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = null; this.draw(); });
  }

  draw() {
    const ctx = this.ctx;
    ctx.clearRect(0, 0, this.w, this.h);
    if (this.tileUrl) this.drawTiles();
    for (const l of this.layers) if (l.visible !== false) l.draw(ctx, this);
  }

  drawTiles() {
    const z = Math.max(0, Math.min(19, Math.round(this.zoom)));
    const n = 2 ** z; const k = this.scale / (TILE * n);
    const [x0, y0] = [(this.cx - this.w / 2 / this.scale) * n, (this.cy - this.h / 2 / this.scale) * n];
    const [x1, y1] = [(this.cx + this.w / 2 / this.scale) * n, (this.cy + this.h / 2 / this.scale) * n];
    for (let x = Math.floor(x0); x <= Math.floor(x1); x++) {
      for (let y = Math.floor(y0); y <= Math.floor(y1); y++) {
        const key = `${z}/${x}/${y}`;
        let img = this.tiles.get(key);
        if (!img) {
          img = new Image();
          img.onload = () => this.redraw();
          img.src = this.tileUrl.replace("{z}", z).replace("{x}", x).replace("{y}", y);
          this.tiles.set(key, img);
        }
        if (img.complete && img.naturalWidth) {
          const px = (x / n - this.cx) * this.scale + this.w / 2;
          const py = (y / n - this.cy) * this.scale + this.h / 2;
          this.ctx.drawImage(img, px, py, TILE * k + 0.5, TILE * k + 0.5);
        }
      }
    }
  }

  viewChanged() {
    this.redraw();
    clearTimeout(this.viewTimer);
    this.viewTimer = setTimeout(() => this.onView && this.onView(this.bbox(), this.zoom), 250);
  }

  hit(x, y) {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      if (l.visible === false || !l.hit) continue;
      const h = l.hit(x, y);
      if (h) return { layer: l, item: h };
    }
    return null;
  }

  wire() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, cx: this.cx, cy: this.cy, moved: false }; });
    window.addEventListener("mousemove", (e) => {
      if (drag) {
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
        this.cx = drag.cx - dx / this.scale; this.cy = drag.cy - dy / this.scale;
        this.redraw();
      } else if (this.onHover && e.target === c) {
        const r = c.getBoundingClientRect();
        this.onHover(this.hit(e.clientX - r.left, e.clientY - r.top), e.clientX - r.left, e.clientY - r.top);
      }
    });
    window.addEventListener("mouseup", (e) => {
      if (!drag) return;
      const wasDrag = drag.moved; drag = null;
      if (wasDrag) { this.viewChanged(); return; }
      if (e.target !== c) return;
      const r = c.getBoundingClientRect();
      const x = e.clientX - r.left, y = e.clientY - r.top;
      if (this.onClick) this.onClick(this.hit(x, y), this.unproject(x, y), x, y);
    });
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      const x = e.clientX - r.left, y = e.clientY - r.top;
      const [lon, lat] = this.unproject(x, y);
      this.zoom = Math.max(3, Math.min(19, this.zoom - Math.sign(e.deltaY) * 0.5));
      const [nx, ny] = this.project(lon, lat);
      this.cx += (nx - x) / this.scale; this.cy += (ny - y) / this.scale;
      this.viewChanged();
    }, { passive: false });
    // touch: tap to pick (portal)
    c.addEventListener("touchend", (e) => {
      if (e.changedTouches.length !== 1 || !this.onClick) return;
      const tch = e.changedTouches[0]; const r = c.getBoundingClientRect();
      const x = tch.clientX - r.left, y = tch.clientY - r.top;
      this.onClick(this.hit(x, y), this.unproject(x, y), x, y);
      e.preventDefault();
    });
  }
}

function ringsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

export function bboxOf(features) {
  let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
  for (const f of features) for (const poly of ringsOf(f.geometry)) for (const [x, y] of poly[0]) {
    if (x < a) a = x; if (y < b) b = y; if (x > c) c = x; if (y > d) d = y;
  }
  return [a, b, c, d];
}

// Jurisdiction polygons: {code, name, level, geometry}; style(f) → {fill, stroke, width, label}.
export class PolygonLayer {
  constructor(features, style) { this.features = features; this.style = style; this.visible = true; }
  draw(ctx, map) {
    for (const f of this.features) {
      const s = this.style(f);
      if (!s.fill && !s.stroke) continue;
      ctx.beginPath();
      for (const poly of ringsOf(f.geometry)) for (const ring of poly) {
        ring.forEach(([lon, lat], i) => { const [x, y] = map.project(lon, lat); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
        ctx.closePath();
      }
      if (s.fill) { ctx.fillStyle = s.fill; ctx.fill("evenodd"); }
      if (s.stroke) { ctx.strokeStyle = s.stroke; ctx.lineWidth = s.width || 1; ctx.stroke(); }
    }
    ctx.font = "600 12px system-ui, sans-serif"; ctx.textAlign = "center";
    for (const f of this.features) {
      const s = this.style(f);
      if (!s.label || !f.center) continue;
      const [x, y] = map.project(...f.center);
      ctx.lineWidth = 3; ctx.strokeStyle = s.halo || "rgba(4,10,20,.85)"; ctx.strokeText(s.label, x, y);
      ctx.fillStyle = s.labelColor || "rgba(200,220,255,.7)";
      ctx.fillText(s.label, x, y);
    }
  }
}

// Points clustered in screen space when they crowd; color(p) per point. Server cells
// ({lon, lat, count, by_state}) are drawn as clusters too.
export class ClusterLayer {
  constructor({ color, radius = 5, cell = 46, label = null, shape = "circle" }) {
    Object.assign(this, { color, radius, cell, label, shape });
    this.points = []; this.cells = []; this.visible = true; this.drawn = [];
  }
  set(points, cells = []) { this.points = points; this.cells = cells; if (this.map) this.map.redraw(); }
  draw(ctx, map) {
    // Points and server cells fall into one screen grid; a group of one point is a dot,
    // anything more a cluster whose ring shows the share of each colour.
    const groups = new Map();
    this.drawn = [];
    const add = (lon, lat, n, counts, item) => {
      const [x, y] = map.project(lon, lat);
      if (x < -30 || y < -30 || x > map.w + 30 || y > map.h + 30) return;
      const key = `${Math.floor(x / this.cell)},${Math.floor(y / this.cell)}`;
      let g = groups.get(key);
      if (!g) { g = { x: 0, y: 0, w: 0, n: 0, counts: {}, items: [] }; groups.set(key, g); }
      g.x += x * n; g.y += y * n; g.w += n; g.n += n;
      for (const [c, k] of Object.entries(counts)) g.counts[c] = (g.counts[c] || 0) + k;
      if (item) g.items.push(item);
    };
    for (const p of this.points) {
      if (p.lon == null || p.lat == null) continue;
      add(p.lon, p.lat, 1, { [this.color(p)]: 1 }, p);
    }
    for (const c of this.cells) {
      const counts = {};
      for (const [state, n] of Object.entries(c.by_state || {})) {
        if (!n) continue;
        const col = this.color({ state }); counts[col] = (counts[col] || 0) + n;
      }
      add(c.lon, c.lat, c.count || 1, counts, null);
    }
    for (const g of groups.values()) {
      const x = g.x / g.w, y = g.y / g.w;
      if (g.n === 1 && g.items.length === 1) {
        const p = g.items[0];
        this.dot(ctx, x, y, this.color(p), p);
        this.drawn.push({ x, y, r: this.radius + 3, item: p });
      } else if (g.n === 1) { // a server cell holding one event
        this.dot(ctx, x, y, Object.keys(g.counts)[0] || "#888", null);
        this.drawn.push({ x, y, r: this.radius + 3, cluster: [], count: 1, counts: g.counts });
      } else {
        this.cluster(ctx, x, y, g.n, g.counts);
        this.drawn.push({ x, y, r: 12 + Math.log2(Math.max(g.n, 2)) * 3, cluster: g.items, count: g.n, counts: g.counts });
      }
    }
  }
  dot(ctx, x, y, color, p) {
    ctx.beginPath();
    if (this.shape === "square") ctx.rect(x - this.radius, y - this.radius, this.radius * 2, this.radius * 2);
    else if (this.shape === "triangle") { ctx.moveTo(x, y - this.radius * 1.4); ctx.lineTo(x + this.radius * 1.2, y + this.radius); ctx.lineTo(x - this.radius * 1.2, y + this.radius); ctx.closePath(); }
    else ctx.arc(x, y, this.radius, 0, Math.PI * 2);
    ctx.fillStyle = color; ctx.fill();
    ctx.lineWidth = 1; ctx.strokeStyle = "rgba(0,0,0,.6)"; ctx.stroke();
    if (p && p.pulse) { ctx.beginPath(); ctx.arc(x, y, this.radius + 5, 0, Math.PI * 2); ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.stroke(); }
  }
  cluster(ctx, x, y, n, counts) {
    const r = 12 + Math.log2(Math.max(n, 2)) * 3;
    let a = -Math.PI / 2;
    const total = Object.values(counts).reduce((s, v) => s + v, 0) || 1;
    for (const [col, k] of Object.entries(counts)) {
      const b = a + (k / total) * Math.PI * 2;
      ctx.beginPath(); ctx.moveTo(x, y); ctx.arc(x, y, r, a, b); ctx.closePath();
      ctx.fillStyle = col; ctx.fill(); a = b;
    }
    ctx.beginPath(); ctx.arc(x, y, r * 0.62, 0, Math.PI * 2); ctx.fillStyle = "rgba(10,18,30,.9)"; ctx.fill();
    ctx.fillStyle = "#fff"; ctx.font = "bold 11px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.fillText(n > 9999 ? `${Math.round(n / 1000)}k` : String(n), x, y);
    ctx.textBaseline = "alphabetic";
  }
  hit(x, y) {
    for (const d of this.drawn) if ((d.x - x) ** 2 + (d.y - y) ** 2 <= d.r * d.r) return d;
    return null;
  }
}

// A heat map of weighted points ({lon, lat, count}).
export class HeatLayer {
  constructor() { this.points = []; this.visible = false; }
  set(points) { this.points = points; if (this.map) this.map.redraw(); }
  draw(ctx, map) {
    if (!this.points.length) return;
    const off = document.createElement("canvas");
    off.width = Math.ceil(map.w); off.height = Math.ceil(map.h);
    const o = off.getContext("2d");
    const max = Math.max(...this.points.map((p) => p.count || 1));
    const r = 26;
    for (const p of this.points) {
      const [x, y] = map.project(p.lon, p.lat);
      const g = o.createRadialGradient(x, y, 0, x, y, r);
      const a = Math.min(1, 0.25 + (0.75 * (p.count || 1)) / max);
      g.addColorStop(0, `rgba(0,0,0,${a})`); g.addColorStop(1, "rgba(0,0,0,0)");
      o.fillStyle = g; o.fillRect(x - r, y - r, r * 2, r * 2);
    }
    const img = o.getImageData(0, 0, off.width, off.height);
    const d = img.data;
    for (let i = 0; i < d.length; i += 4) {
      const v = d[i + 3] / 255;
      if (!v) continue;
      d[i] = 255; d[i + 1] = Math.round(255 * (1 - v)); d[i + 2] = Math.round(60 * (1 - v)); d[i + 3] = Math.round(200 * Math.min(1, v * 1.4));
    }
    o.putImageData(img, 0, 0);
    ctx.drawImage(off, 0, 0, map.w, map.h);
  }
}

// Jurisdictions with geometry, with a label point each (the centre of the outer ring's box).
export async function loadJurisdictions(api, query) {
  const list = await api("/api/v1/jurisdictions", { query: { ...query, geometry: "true" } });
  for (const f of list) {
    const [a, b, c, d] = bboxOf([f]);
    f.center = [(a + c) / 2, (b + d) / 2];
  }
  return list;
}

// The user's own territory drawn in `base` with its parts and neighbours for context, their
// names in `names`; the map fitted to it.
export async function showTerritory(map, base, names, api, user, cityCode) {
  const level = user.level;
  const code = user.jurisdiction;
  let own; const parts = [];
  if (level === "city") {
    parts.push(...(await loadJurisdictions(api, { level: "district" })).map((f) => ({ ...f, role: "district" })));
    parts.push(...(await loadJurisdictions(api, { level: "street" })).map((f) => ({ ...f, role: "street" })));
    own = parts.filter((f) => f.role === "district");
  } else {
    const mine = await api(`/api/v1/jurisdictions/${code}`, { query: { geometry: "true" } });
    const [a, b, c, d] = bboxOf([mine]); mine.center = [(a + c) / 2, (b + d) / 2];
    const district = user.chain.district;
    const around = await loadJurisdictions(api, { parent: level === "district" ? cityCode : district });
    parts.push(...around.filter((f) => f.code !== code).map((f) => ({ ...f, role: "context" })));
    if (level === "district" || level === "street") {
      const kids = await loadJurisdictions(api, { parent: code });
      parts.push(...kids.map((f) => ({ ...f, role: "child" })));
    }
    parts.push({ ...mine, role: "own" });
    own = [mine];
  }
  base.features = parts;
  names.features = parts.filter((f) => f.role === "district" || f.role === "child" || f.role === "context");
  names.style = (f) => ({ label: f.role === "child" && map.zoom <= 12.5 ? null : f.name, labelColor: f.role === "context" ? "rgba(150,160,180,.55)" : "rgba(220,235,255,.92)" });
  base.style = (f) => {
    if (f.role === "district") return { fill: "rgba(40,90,160,.16)", stroke: "rgba(110,170,255,.75)", width: 1.4 };
    if (f.role === "street") return { stroke: "rgba(110,170,255,.22)", width: 0.6 };
    if (f.role === "context") return { fill: "rgba(255,255,255,.03)", stroke: "rgba(140,160,190,.25)", width: 0.8 };
    if (f.role === "child") return { fill: "rgba(40,90,160,.14)", stroke: "rgba(110,170,255,.45)", width: 0.8 };
    return { stroke: "#4db5ff", width: 2.4, fill: "rgba(40,120,220,.08)" };
  };
  map.fit(...bboxOf(own));
}
