"""The event API carries a case round the loop; errors are RFC 9457 problem details."""

from __future__ import annotations

from tests.e2e.conftest import Api


def report(api: Api, user: str, code: str, title: str = "Rubbish not collected", **kw: object):  # type: ignore[no-untyped-def]
    lon, lat = api.point_in(code)
    body = {"title": title, "lon": lon, "lat": lat, "source": "grid", **kw}
    r = api.post("/api/v1/events", user, body)
    assert r.status_code == 201, r.text
    return r.json()


def test_login_returns_a_bearer_token_that_expires(api: Api) -> None:
    r = api.client.post(
        "/api/v1/auth/login", json={"username": "city_op", "password": "cityloop-demo"}
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0


def test_a_wrong_password_is_a_401_problem(api: Api) -> None:
    r = api.client.post("/api/v1/auth/login", json={"username": "city_op", "password": "nope"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401


def test_events_need_a_token(api: Api) -> None:
    r = api.client.get("/api/v1/events")
    assert r.status_code == 401
    assert r.json()["type"] == "/problems/unauthenticated"


def test_an_expired_token_is_refused(api: Api, module_clock) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post(
        "/api/v1/auth/login", json={"username": "leader", "password": "cityloop-demo"}
    )
    token = r.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/me", headers=headers).status_code == 200
    before = module_clock.now()
    module_clock.advance(seconds=r.json()["expires_in"] + 1)
    try:
        r2 = api.client.get("/api/v1/me", headers=headers)
    finally:
        module_clock.current = before
    assert r2.status_code == 401
    assert "expired" in r2.json()["detail"]


def test_an_event_goes_round_the_whole_loop_over_http(api: Api) -> None:
    event = report(api, "yz01s01_op", "YZ01S01C01G001", contact={"phone": "13800000001"})
    assert event["state"] == "reported"
    assert event["ref"].startswith("YZ-")
    assert event["location"]["chain"]["street"] == "YZ01S01"
    eid = event["id"]
    op, urban = "yz01s01_op", "urban_yz01"
    r = api.post(f"/api/v1/events/{eid}/triage", op, {"type_code": "UM02"})
    assert r.json()["state"] == "triaged", r.text
    r = api.post(f"/api/v1/events/{eid}/dispatch", op, {})
    body = r.json()
    assert body["state"] == "dispatched", r.text
    assert body["lead_unit"] == "URBAN"
    assert body["handling_level"] == "street"
    assert body["dispose_by"] is not None
    assert api.post(f"/api/v1/events/{eid}/accept", urban).json()["state"] == "accepted"
    assert api.post(f"/api/v1/events/{eid}/start", urban).json()["state"] == "in_progress"
    r = api.post(
        f"/api/v1/events/{eid}/resolve", urban, {"result": "Collected", "people": 2, "vehicles": 1}
    )
    assert r.json()["state"] == "resolved", r.text
    assert api.post(f"/api/v1/events/{eid}/verify", op).json()["state"] == "verified"
    assert api.post(f"/api/v1/events/{eid}/close", op).json()["state"] == "closed"
    timeline = api.get(f"/api/v1/events/{eid}/timeline", op).json()
    assert [e["to_state"] for e in timeline] == [
        "reported",
        "triaged",
        "dispatched",
        "accepted",
        "in_progress",
        "resolved",
        "verified",
        "closed",
    ]
    dispatch_entry = timeline[2]
    assert any("UM02" in reason for reason in dispatch_entry["payload"]["reasons"])
    assert any("deadlines" in reason for reason in dispatch_entry["payload"]["reasons"])


def test_an_illegal_action_is_a_409_naming_state_and_action(api: Api) -> None:
    event = report(api, "city_op", "YZ02S01")
    r = api.post(f"/api/v1/events/{event['id']}/close", "city_op")
    assert r.status_code == 409
    problem = r.json()
    assert problem["type"] == "/problems/transition-not-allowed"
    assert problem["state"] == "reported"
    assert problem["action"] == "close"
    assert "triage" in problem["allowed_actions"]
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_point_outside_the_city_is_refused_clearly(api: Api) -> None:
    r = api.post("/api/v1/events", "city_op", {"title": "x", "lon": 100.0, "lat": 20.0})
    assert r.status_code == 422
    assert "outside the jurisdiction" in r.json()["detail"]


def test_bad_input_names_the_field(api: Api) -> None:
    r = api.post("/api/v1/events", "city_op", {"title": "", "lon": 500})
    assert r.status_code == 422
    fields = {e["location"] for e in r.json()["errors"]}
    assert {"body.title", "body.lon"} <= fields


def test_a_return_without_reason_is_refused_and_with_reason_goes_back(api: Api) -> None:
    event = report(api, "yz01s01_op", "YZ01S01C01G001")
    eid = event["id"]
    api.post(f"/api/v1/events/{eid}/triage", "yz01s01_op", {"type_code": "UM01"})
    api.post(f"/api/v1/events/{eid}/dispatch", "yz01s01_op", {})
    assert api.post(f"/api/v1/events/{eid}/return", "urban_yz01", {}).status_code == 422
    r = api.post(f"/api/v1/events/{eid}/return", "urban_yz01", {"reason": "Not ours"})
    assert r.json()["state"] == "returned"


def test_dispatch_can_override_the_responsibility_list_and_says_so(api: Api) -> None:
    event = report(api, "yz01_op", "YZ01S02")
    eid = event["id"]
    api.post(f"/api/v1/events/{eid}/triage", "yz01_op", {"type_code": "UM06", "severity": "III"})
    r = api.post(
        f"/api/v1/events/{eid}/dispatch", "yz01_op", {"lead_unit": "PSB", "co_units": ["URBAN"]}
    )
    body = r.json()
    assert body["lead_unit"] == "PSB"
    assert body["co_units"] == ["URBAN"]
    assert body["handling_level"] == "district"
    reasons = api.get(f"/api/v1/events/{eid}/timeline", "yz01_op").json()[-1]["payload"]["reasons"]
    assert any("overridden to PSB" in x for x in reasons)
    bad = api.post(f"/api/v1/events/{eid}/dispatch", "yz01_op", {"lead_unit": "NOPE"})
    assert bad.status_code == 422


def test_a_duplicate_is_merged_into_its_parent(api: Api) -> None:
    a = report(api, "city_op", "YZ03", title="Noise from the night market")
    b = report(api, "city_op", "YZ03", title="Night market too loud")
    r = api.post(f"/api/v1/events/{b['id']}/merge", "city_op", {"into": a["ref"]})
    assert r.json()["state"] == "merged", r.text
    assert r.json()["parent_id"] == a["id"]
    parent_timeline = api.get(f"/api/v1/events/{a['id']}/timeline", "city_op").json()
    assert parent_timeline[-1]["action"] == "absorb"


def test_escalation_moves_the_event_up_a_level(api: Api) -> None:
    event = report(api, "yz01s01_op", "YZ01S01C01G001")
    eid = event["id"]
    api.post(f"/api/v1/events/{eid}/triage", "yz01s01_op", {"type_code": "UM07"})
    api.post(f"/api/v1/events/{eid}/dispatch", "yz01s01_op", {})
    r = api.post(f"/api/v1/events/{eid}/escalate", "yz01s01_op", {"reason": "Needs a crane"})
    assert r.json()["handling_level"] == "district"


def test_the_list_pages_with_a_cursor_and_filters(api: Api) -> None:
    for i in range(5):
        report(api, "city_op", "YZ04", title=f"Pothole number {i}", type_code="UM08")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"type_code": "UM08", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/v1/events", "city_op", params=params).json()
        seen.extend(e["title"] for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"Pothole number {i}" for i in range(5)]
    assert len(seen) == len(set(seen))
    bad = api.get("/api/v1/events", "city_op", params={"cursor": "!!!"})
    assert bad.status_code == 422


def test_openapi_is_served(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    assert "/api/v1/events/{event_id}/dispatch" in spec["paths"]
    assert "/api/v1/auth/login" in spec["paths"]
