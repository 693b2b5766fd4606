// The page behind a citizen's personal link: where the problem stands; confirm the fix when
// it is resolved; rate the handling after closure.
import { t, api, el, $, fail, wireAccessibility } from "./common.js";

wireAccessibility();
const box = $("#citizen");
const token = box.dataset.token;

async function load() {
  let v;
  try { v = await api(`/api/v1/citizen/${encodeURIComponent(token)}`); } catch (e) {
    box.replaceChildren(el("p", { class: "error" }, e.message)); return;
  }
  const r = v.request || {};
  const parts = [
    el("h1", {}, r.service_name || t("portal_title")),
    el("div", { class: "status-box", id: "citizen-status", dataset: { state: v.state } },
      el("p", {}, el("b", {}, r.service_request_id || ""), " · ", t(`st_${v.state}`)),
      el("p", {}, r.status_notes || ""), el("p", { class: "muted" }, `${t("agency")}: ${r.agency_responsible || "—"}`)),
  ];
  if (v.can_verify) {
    const comment = el("textarea", { id: "verify-comment", rows: 2 });
    const yes = el("button", { class: "btn primary", id: "fixed-yes" }, t("fixed_yes"));
    const no = el("button", { class: "btn", id: "fixed-no" }, t("fixed_no"));
    const send = (fixed) => async () => {
      try { await api(`/api/v1/citizen/${token}/verification`, { method: "POST", body: { fixed, comment: comment.value || null } }); await load(); } catch (e) { fail(e); }
    };
    yes.addEventListener("click", send(true)); no.addEventListener("click", send(false));
    parts.push(el("h2", {}, t("fixed_q")), el("label", {}, t("comment"), comment), el("div", { class: "row" }, yes, no));
  }
  if (v.can_rate) {
    let score = 0;
    const stars = el("div", { class: "stars", role: "radiogroup" });
    for (let i = 1; i <= 5; i++) {
      const b = el("button", { type: "button", "aria-label": `${i}`, dataset: { score: i } }, "★");
      b.addEventListener("click", () => { score = i; stars.querySelectorAll("button").forEach((x) => x.classList.toggle("on", Number(x.dataset.score) <= i)); });
      stars.append(b);
    }
    const comment = el("textarea", { id: "rate-comment", rows: 2 });
    const send = el("button", { class: "btn primary big", id: "rate-send" }, t("rate"));
    send.addEventListener("click", async () => {
      if (!score) return;
      try { await api(`/api/v1/citizen/${token}/rating`, { method: "POST", body: { score, comment: comment.value || null } }); await load(); } catch (e) { fail(e); }
    });
    parts.push(el("h2", {}, t("rate_intro")), stars, el("label", {}, t("comment"), comment), send);
  }
  if (v.rating) parts.push(el("p", { class: "ok", id: "rated" }, `${t("thanks")}: ${"★".repeat(v.rating.score)}`));
  box.replaceChildren(...parts);
}
load();
