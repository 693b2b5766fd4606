// The citizen portal: pick the place on the city's map, describe the problem, add a photo,
// send; track a report by its number. Large text and high contrast on request.
import { CL, t, api, el, $, fail, wireAccessibility, ApiError } from "./common.js";
import { CityMap, PolygonLayer, ClusterLayer, loadJurisdictions, bboxOf } from "./map.js";

wireAccessibility();
let picked = null;
const pin = new ClusterLayer({ color: () => "#e53935", radius: 9 });
const map = new CityMap($("#map"), {
  tileUrl: CL.tile_url,
  onClick: async (_hit, [lon, lat]) => {
    picked = [lon, lat];
    $("#lon").value = lon.toFixed(6); $("#lat").value = lat.toFixed(6);
    pin.set([{ lon, lat }]);
    const where = await api("/api/v1/locate", { query: { lon, lat } });
    let place = where.street || "";
    if (where.inside) {
      const [d, st] = await Promise.all([where.district, where.street].map((c) => api(`/api/v1/jurisdictions/${c}`, { query: { geometry: "false" } })));
      place = `${d.name} ${st.name}`;
    }
    $("#picked").textContent = where.inside ? `${t("picked")}: ${place} (${lon.toFixed(5)}, ${lat.toFixed(5)})` : where.detail;
    $("#picked").dataset.inside = String(!!where.inside);
  },
});

CL.map = map; // for scripted checks (tests, kiosks)

(async () => {
  const districts = await loadJurisdictions(api, { level: "district" });
  map.add(new PolygonLayer(districts, () => ({ fill: "rgba(21,101,192,.08)", stroke: "#5a8fd0", width: 1.2, label: districts.length < 30 ? null : null })));
  map.add(new PolygonLayer(districts, (f) => ({ label: f.name, labelColor: document.body.classList.contains("high-contrast") ? "#fff" : "#33507a", halo: document.body.classList.contains("high-contrast") ? "#000" : "rgba(255,255,255,.85)" })));
  map.add(pin);
  map.fit(...bboxOf(districts));
  const types = await api("/api/v1/event-types");
  for (const ty of types) $("#category").append(el("option", { value: ty.code }, ty.name));
})().catch(fail);

$("#report-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!picked) { $("#picked").textContent = t("pick_on_map"); $("#picked").classList.add("error"); return; }
  const fd = new FormData();
  fd.append("description", $("#description").value);
  fd.append("lon", $("#lon").value); fd.append("lat", $("#lat").value);
  if ($("#category").value) fd.append("service_code", $("#category").value);
  if ($("#phone").value.trim()) fd.append("phone", $("#phone").value.trim());
  const photo = $("#photo").files[0];
  if (photo) fd.append("photo", photo);
  $("#send").disabled = true;
  try {
    const r = await api("/portal/reports", { method: "POST", form: fd });
    $("#sent").hidden = false;
    $("#sent").replaceChildren(t("sent"), " ", el("b", { id: "request-id" }, r.service_request_id));
    $("#track-id").value = r.service_request_id;
    localStorage.setItem("cl-last-request", r.service_request_id);
    $("#report-form").reset(); picked = null; pin.set([]);
  } catch (err) { fail(err); } finally { $("#send").disabled = false; }
});

async function track(id) {
  const box = $("#track-result");
  try {
    const list = await api(`/open311/v2/requests/${encodeURIComponent(id)}.json`);
    const r = list[0];
    box.replaceChildren(el("div", { class: "status-box", id: "track-status", dataset: { status: r.status } },
      el("p", {}, el("b", {}, r.service_request_id), " · ", r.service_name || r.service_code),
      el("p", {}, `${t("status")}: `, el("b", {}, r.status === "closed" ? "✓ closed" : "open"), " — ", r.status_notes || ""),
      el("p", { class: "muted" }, `${t("agency")}: ${r.agency_responsible || "—"} · ${t("updated")}: ${r.updated_datetime || "—"} · ${t("expected")}: ${r.expected_datetime || "—"}`)));
  } catch (e) {
    box.replaceChildren(el("p", { class: "error" }, e instanceof ApiError && e.status === 404 ? t("not_found") : e.message));
  }
}
$("#track-form").addEventListener("submit", (e) => { e.preventDefault(); track($("#track-id").value.trim()); });
const last = new URLSearchParams(location.search).get("id") || localStorage.getItem("cl-last-request");
if (last) { $("#track-id").value = last; }
