import { $, setToken, api } from "./common.js";

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("#login-error").hidden = true;
  try {
    const r = await api("/api/v1/auth/login", { method: "POST", body: { username: $("#username").value.trim(), password: $("#password").value } });
    setToken(r.access_token, r.expires_in);
    const next = new URLSearchParams(location.search).get("next");
    location.href = next && next.startsWith("/ui/") ? next : "/ui/ops";
  } catch (err) {
    $("#login-error").hidden = false;
  }
});
