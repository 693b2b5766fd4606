"""The web UI's server side: pages per user, the live stream scoped to the territory, the map
layers and the portal's report route (over HTTP; the browser suite is tests/e2e/browser)."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import Api

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5d4a1a90000000049454e44ae426082"
)


def _cookie(api: Api, user: str) -> dict[str, str]:
    return {"cookie": f"cityloop_token={api.token(user)}"}


def _event(api: Api, code: str, title: str) -> dict[str, Any]:
    lon, lat = api.point_in(code)
    body = {
        "title": title,
        "description": title,
        "source": "hotline",
        "type_code": "UM07",
        "lon": lon,
        "lat": lat,
    }
    r = api.post("/api/v1/events", "admin", body)
    assert r.status_code == 201, r.text
    event = r.json()
    r = api.post(f"/api/v1/events/{event['id']}/triage", "admin", {"type_code": "UM07"})
    r = api.post(f"/api/v1/events/{event['id']}/dispatch", "admin", {})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for chunk in text.split("\n\n"):
        kind = next((ln[6:].strip() for ln in chunk.splitlines() if ln.startswith("event:")), "")
        data = "".join(ln[5:].strip() for ln in chunk.splitlines() if ln.startswith("data:"))
        if kind and data:
            out.append((kind, json.loads(data)))
    return out


def test_pages_send_a_stranger_to_the_login_and_render_for_the_user(api: Api) -> None:
    c = api.client
    r = c.get("/ui/ops", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/login?next=/ui/ops"
    r = c.get("/ui/ops?lang=en", headers=_cookie(api, "yz01s01_op"))
    assert r.status_code == 200
    assert "Street operations centre" in r.text
    assert '"jurisdiction": "YZ01S01"' in r.text
    r = c.get("/ui/ops", headers={**_cookie(api, "yz01_op"), "accept-language": "zh-CN"})
    assert "区级运行中心" in r.text
    r = c.get("/ui/cockpit", headers=_cookie(api, "grid_yz01s01c01g001"))
    assert r.status_code == 403
    assert (
        c.get(
            "/ui/board", headers={"cookie": "cityloop_token=forged"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert c.get("/portal").status_code == 200
    assert c.get("/citizen/some-token").status_code == 200
    js = c.get("/ui/static/js/map.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert "http" not in c.get("/ui/static/css/app.css").text  # nothing from the internet


def test_the_live_stream_shows_each_user_only_its_territory(api: Api) -> None:
    live = api.client.app.state.live  # type: ignore[attr-defined]
    head = live.head()
    here = _event(api, "YZ01S01", "live test here")
    there = _event(api, "YZ02S01", "live test there")

    def refs(user: str) -> set[str]:
        r = api.client.get(f"/api/v1/live?after={head}&max_seconds=0.5", headers=api.as_(user))
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        return {d["ref"] for kind, d in _sse(r.text) if kind == "event"}

    assert {here["ref"], there["ref"]} <= refs("city_op")
    street = refs("yz01s01_op")
    assert here["ref"] in street
    assert there["ref"] not in street
    assert there["ref"] not in refs("yz01_op")
    handler = refs("urban_yz01")  # URBAN leads UM07 in YZ01
    assert here["ref"] in handler
    assert there["ref"] not in handler
    assert api.client.get("/api/v1/live?max_seconds=0.2").status_code == 401


def test_the_stream_carries_state_changes_and_warnings(api: Api) -> None:
    live = api.client.app.state.live  # type: ignore[attr-defined]
    head = live.head()
    ev = _event(api, "YZ01S01", "state change")
    r = api.post(f"/api/v1/events/{ev['id']}/accept", "urban_yz01", {})
    assert r.status_code == 200, r.text
    sensor = next(s for s in api.container.telemetry.engine.sensors.ids if s.startswith("GL"))
    ts = int(api.container.clock.now().timestamp())
    r = api.client.post(
        "/api/v1/telemetry",
        headers=api.as_("admin"),
        json={"sensor": [sensor], "ts": [ts], "value": [60.0]},
    )
    assert r.status_code == 200, r.text
    got = _sse(
        api.client.get(
            f"/api/v1/live?after={head}&max_seconds=0.5", headers=api.as_("city_op")
        ).text
    )
    states = [d["state"] for kind, d in got if kind == "event" and d["id"] == ev["id"]]
    assert states[-1] == "accepted"
    warnings = [d for kind, d in got if kind == "warning" and d["subject"] == sensor]
    assert warnings[0]["level"] == "red"
    assert warnings[0]["cap"].startswith("/cap/alerts/")
    only = _sse(
        api.client.get(
            f"/api/v1/live?after={head}&max_seconds=0.3&kinds=warning", headers=api.as_("city_op")
        ).text
    )
    assert {kind for kind, _ in only} == {"hello", "warning"}


def test_map_layers_are_scoped_and_explain_themselves(api: Api) -> None:
    city = api.get("/api/v1/map/sensors", "city_op").json()
    street = api.get("/api/v1/map/sensors", "yz01s01_op").json()
    assert 0 < street["total"] < city["total"]
    assert city["cells"]  # too many for points: a grid of counts
    assert street["points"] or street["cells"]
    assert set(street["by_state"]) == {"online", "offline", "alarm"}
    assert "how" in street
    r = api.get("/api/v1/map/sensors?bbox=1,2,3", "city_op")
    assert r.status_code == 422
    res = api.get("/api/v1/map/resources", "yz01_op").json()
    assert res["total"] > 0
    located = api.container.city.locator
    assert all(located.locate(x["lon"], x["lat"]).district == "YZ01" for x in res["resources"])


def test_the_portal_takes_a_report_with_a_photo_and_rejects_bad_ones(api: Api) -> None:
    lon, lat = api.point_in("YZ01S01")
    form = {"description": "路灯不亮了", "lon": str(lon), "lat": str(lat), "phone": "13900000000"}
    r = api.client.post(
        "/portal/reports", data=form, files={"photo": ("lamp.png", PNG, "image/png")}
    )
    assert r.status_code == 201, r.text
    out = r.json()
    track = api.client.get(f"/open311/v2/requests/{out['service_request_id']}.json")
    assert track.status_code == 200
    assert api.client.post("/portal/reports", data={**form, "lon": "10"}).status_code == 422
    assert (
        api.client.post("/portal/reports", data={**form, "service_code": "NOPE"}).status_code == 422
    )
    bad = api.client.post(
        "/portal/reports", data=form, files={"photo": ("x.png", b"not an image", "image/png")}
    )
    assert bad.status_code == 422


def test_a_stream_resumed_after_a_restart_misses_nothing(api: Api) -> None:
    from cityloop.services.live import LiveFeed

    head = api.client.app.state.live.head()  # type: ignore[attr-defined]
    ev = _event(api, "YZ01S01", "while the server restarted")
    restarted = LiveFeed(api.container.engine, api.container.reader, api.container.city)
    got = restarted.after(head)
    assert ev["id"] in {i.data["id"] for i in got if i.kind == "event"}
    assert all(i.id > head for i in got if i.kind == "event")
