// Shared helpers of every page: the token, API calls, texts, the live stream, small DOM tools.
export const CL = window.CL;
export const t = (key) => (CL.t && CL.t[key]) || key;
export const lang = CL.lang;

const TOKEN = "cityloop_token";

export function token() {
  const m = document.cookie.match(/(?:^|;\s*)cityloop_token=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

export function setToken(value, seconds) {
  document.cookie = `${TOKEN}=${encodeURIComponent(value)}; path=/; max-age=${seconds}; SameSite=Strict`;
}

export function clearToken() {
  document.cookie = `${TOKEN}=; path=/; max-age=0; SameSite=Strict`;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// fetch JSON from the API with the user's token and language; throws ApiError on failure.
export async function api(path, { method = "GET", body, form, query } = {}) {
  const url = new URL(path, location.origin);
  if (!url.searchParams.has("lang")) url.searchParams.set("lang", lang);
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => url.searchParams.append(k, x));
    else url.searchParams.set(k, v);
  }
  const headers = {};
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(url, { method, headers, body: payload });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (r.status === 401 && CL.user) { location.href = `/ui/login?next=${encodeURIComponent(location.pathname)}`; }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

// GET that answers null when the endpoint does not exist (yet): 404 or 405.
export async function tryApi(path, opts) {
  try { return await api(path, opts); } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (sel, root = document) => root.querySelector(sel);

export function toast(message, kind = "info") {
  const box = $("#toast");
  if (!box) return;
  box.textContent = message;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

export function fail(e) { toast(`${t("error")}: ${e.message || e}`, "error"); console.error(e); }

export const STATE_COLORS = {
  reported: "#f5a623", triaged: "#f8d04a", dispatched: "#4aa8ff", returned: "#ff7a45",
  accepted: "#36cfc9", in_progress: "#2f80ed", suspended: "#a0a0a0", resolved: "#73d13d",
  verified: "#52c41a", closed: "#5b6b7a", cancelled: "#444c56", merged: "#444c56",
};
export const LEVEL_COLORS = { blue: "#2f7bff", yellow: "#ffd21f", orange: "#ff8c1a", red: "#ff3b3b" };
export const SEVERITY_ORDER = ["I", "II", "III", "IV"];

export const stateName = (s) => t(`st_${s}`);
export const typeName = (d) => (lang === "en" ? d.type_name_en : d.type_name_zh) || d.type_name || d.type_code || "—";

export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(lang === "en" ? "en-GB" : "zh-CN", { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

export function stateBadge(state) {
  return el("span", { class: "state", style: `--c:${STATE_COLORS[state] || "#888"}`, dataset: { state } }, stateName(state));
}

export function levelBadge(level) {
  return el("span", { class: "lvl", style: `--c:${LEVEL_COLORS[level] || "#888"}`, dataset: { level } }, level);
}

// The live stream (Server-Sent Events read through fetch, so the token goes in a header);
// reconnects after a second and resumes from the last id it saw.
export function live(handlers) {
  let last = null;
  let stopped = false;
  const dot = $("#live-dot");
  async function run() {
    while (!stopped) {
      try {
        const headers = { Authorization: `Bearer ${token()}`, Accept: "text/event-stream" };
        if (last) headers["Last-Event-ID"] = last;
        const r = await fetch("/api/v1/live", { headers });
        if (!r.ok || !r.body) throw new Error(`live ${r.status}`);
        if (dot) { dot.classList.add("on"); dot.title = t("live"); }
        const reader = r.body.getReader();
        const decoder = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const chunk = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let ev = "message"; let data = ""; let id = null;
            for (const line of chunk.split("\n")) {
              if (line.startsWith("event:")) ev = line.slice(6).trim();
              else if (line.startsWith("data:")) data += line.slice(5).trim();
              else if (line.startsWith("id:")) id = line.slice(3).trim();
            }
            if (id) last = id;
            if (data && handlers[ev]) {
              try { handlers[ev](JSON.parse(data)); } catch (e) { console.error(e); }
            }
          }
        }
      } catch (e) { console.warn(e); }
      if (dot) { dot.classList.remove("on"); dot.title = t("offline"); }
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
  run();
  return () => { stopped = true; };
}

// Header controls: the language switch and logging out.
function wireHeader() {
  document.querySelectorAll("#lang-toggle").forEach((b) => b.addEventListener("click", (e) => {
    e.preventDefault();
    document.cookie = `cityloop_lang=${b.dataset.lang}; path=/; max-age=31536000; SameSite=Lax`;
    const u = new URL(location.href); u.searchParams.delete("lang"); location.href = u.toString();
  }));
  const out = $("#logout");
  if (out) out.addEventListener("click", () => { clearToken(); location.href = "/ui/login"; });
}
wireHeader();

// Accessibility toggles of the portal pages, remembered in the browser.
export function wireAccessibility() {
  for (const [id, cls] of [["large-text", "large-text"], ["high-contrast", "high-contrast"]]) {
    const b = document.getElementById(id);
    if (!b) continue;
    const on = localStorage.getItem(`cl-${cls}`) === "1";
    document.body.classList.toggle(cls, on);
    b.setAttribute("aria-pressed", String(on));
    b.addEventListener("click", () => {
      const now = !document.body.classList.contains(cls);
      document.body.classList.toggle(cls, now);
      b.setAttribute("aria-pressed", String(now));
      localStorage.setItem(`cl-${cls}`, now ? "1" : "0");
    });
  }
}

// Reference data, fetched once per page.
const cache = new Map();
export function once(key, loader) {
  if (!cache.has(key)) cache.set(key, loader());
  return cache.get(key);
}
export const eventTypes = () => once("types", () => api("/api/v1/event-types"));
export const departments = () => once("depts", () => api("/api/v1/departments"));
export async function deptName(code) {
  if (!code) return "—";
  const list = await departments();
  const d = list.find((x) => x.code === code);
  return d ? d.name : code;
}
