"""The closed loop over HTTP: hotline, grid reports with photos, feeds, co-units, split,
supervision with a controlled clock, notifications, and the citizen's confirmation and rating."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from cityloop.domain.clock import FixedClock
from tests.e2e.conftest import Api

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2048


def citizen_link(api: Api, event_id: str, kind: str) -> str:
    """The token of the last SMS of ``kind`` sent for the event (read from the notification log)."""
    with api.container.reader() as uow:
        notes = [n for n in uow.notifications.for_event(event_id) if n.kind == kind]
    assert notes, f"no {kind} notification for {event_id}"
    link = notes[-1].link
    assert link is not None
    match = re.search(r"/citizen/([\w-]+)$", link)
    assert match
    return match.group(1)


def test_a_hotline_ticket_suggests_then_the_operator_confirms(api: Api) -> None:
    lon, lat = api.point_in("YZ02S01")
    r = api.post(
        "/api/v1/hotline/tickets",
        "city_op",
        {
            "text": "小区门口的井盖不见了，晚上很危险",
            "caller_phone": "13700001111",
            "lon": lon,
            "lat": lat,
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    event = body["event"]
    assert event["state"] == "reported"
    assert body["triage_reasons"]
    assert body["location_reasons"]
    eid = event["id"]
    queue = api.get("/api/v1/triage-queue", "city_op").json()["items"]
    assert eid in {e["id"] for e in queue}
    r = api.post(f"/api/v1/events/{eid}/triage", "city_op", {"type_code": "UM07"})
    assert r.json()["state"] == "triaged"
    r = api.post(f"/api/v1/events/{eid}/dispatch", "city_op", {})
    assert r.json()["state"] == "dispatched"
    assert r.json()["lead_unit"] == "URBAN"


def test_only_operators_file_hotline_tickets(api: Api) -> None:
    r = api.post("/api/v1/hotline/tickets", "urban_yz01", {"text": "x"})
    assert r.status_code == 403


def test_a_grid_worker_reports_with_a_photo_and_it_is_dispatched(api: Api) -> None:
    grid = "YZ01S01C01G001"
    up = api.client.post(
        "/api/v1/uploads",
        headers=api.as_(f"grid_{grid.lower()}"),
        files={"file": ("railing.jpg", JPEG, "image/jpeg")},
    )
    assert up.status_code == 201, up.text
    key = up.json()["key"]
    assert up.json()["content_type"] == "image/jpeg"
    lon, lat = api.point_in(grid)
    r = api.post(
        "/api/v1/grid/reports",
        f"grid_{grid.lower()}",
        {
            "text": "河边护栏被冲坏了",
            "type_code": "UM10",
            "lon": lon,
            "lat": lat,
            "attachments": [key],
        },
    )
    assert r.status_code == 201, r.text
    event = r.json()["event"]
    assert event["state"] == "dispatched"
    assert event["attachments"][0]["key"] == key
    got = api.client.get(f"/api/v1/uploads/{key}", headers=api.as_("yz01s01_op"))
    assert got.content == JPEG


def test_uploads_are_checked_by_content_not_by_label(api: Api) -> None:
    r = api.client.post(
        "/api/v1/uploads",
        headers=api.as_("city_op"),
        files={"file": ("evil.jpg", b"#!/bin/sh\necho hi\n", "image/jpeg")},
    )
    assert r.status_code == 422
    assert "not a supported photo or video" in r.json()["detail"]


def test_a_grid_report_with_an_unknown_attachment_is_refused(api: Api) -> None:
    lon, lat = api.point_in("YZ01S01C01G001")
    r = api.post(
        "/api/v1/grid/reports",
        "grid_yz01s01c01g001",
        {"text": "x", "type_code": "UM10", "lon": lon, "lat": lat, "attachments": ["nope.jpg"]},
    )
    assert r.status_code == 422


def test_a_department_feed_keeps_good_lines_and_reports_bad_ones(api: Api) -> None:
    lon, lat = api.point_in("YZ06")

    def line(ext: str, code: str, text: str, dlon: float = 0.0) -> str:
        return json.dumps(
            {
                "external_id": ext,
                "type_code": code,
                "description": text,
                "lon": lon + dlon,
                "lat": lat,
            },
            ensure_ascii=False,
        )

    lines = [
        line("w1", "LS01", "片区停水"),
        '{"external_id": "w2", "type_code": "LS01"}',
        "not json",
        line("w3", "NOPE", "x"),
        line("w4", "AC08", "水管爆了", 0.02),
    ]
    r = api.client.post(
        "/api/v1/feeds/import",
        content="\n".join(lines).encode(),
        headers=api.as_("city_op"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary"]["lines"] == 5
    assert body["summary"]["accepted"] == 2
    assert body["summary"]["rejected"] == 3
    assert [e["line"] for e in body["errors"]] == [2, 3, 4]
    assert "description" in body["errors"][0]["error"]
    assert "unknown event type" in body["errors"][2]["error"]


def test_a_csv_feed_is_read_with_its_header(api: Api) -> None:
    lon, lat = api.point_in("YZ07")
    csv_body = (
        f"external_id,type_code,description,lon,lat\nc1,UM09,路灯不亮,{lon},{lat}\nc2,UM09,,x,y\n"
    )
    r = api.client.post(
        "/api/v1/feeds/import?format=csv", content=csv_body.encode(), headers=api.as_("admin")
    )
    body = r.json()
    assert body["summary"]["accepted"] == 1
    assert body["errors"][0]["line"] == 3


def dispatched_event(api: Api, code: str, type_code: str, title: str) -> str:
    lon, lat = api.point_in(code)
    r = api.post(
        "/api/v1/events",
        "city_op",
        {
            "title": title,
            "lon": lon,
            "lat": lat,
            "type_code": type_code,
            "contact": {"phone": "13600000000"},
        },
    )
    eid = r.json()["id"]
    api.post(f"/api/v1/events/{eid}/triage", "city_op", {"type_code": type_code})
    api.post(f"/api/v1/events/{eid}/dispatch", "city_op", {"level": "street"})
    return str(eid)


def test_co_units_give_their_own_feedback_before_the_event_resolves(api: Api) -> None:
    eid = dispatched_event(api, "YZ04", "UM06", "夜市噪音 co-unit test")
    ev = api.get(f"/api/v1/events/{eid}", "admin").json()
    assert ev["lead_unit"] == "URBAN"
    assert ev["co_units"] == ["PSB"]
    api.post(f"/api/v1/events/{eid}/accept", "admin")
    r = api.post(f"/api/v1/events/{eid}/resolve", "admin", {"result": "劝导商户降低音量"})
    assert r.json()["state"] == "in_progress"
    r = api.post(
        f"/api/v1/events/{eid}/feedback", "psb_yz", {"result": "民警到场巡查", "people": 2}
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "resolved"


def test_a_wrong_merge_is_split_into_a_new_event(api: Api) -> None:
    lon, lat = api.point_in("YZ08")
    first = api.post(
        "/api/v1/grid/reports",
        "city_op",
        {"text": "垃圾没人收", "type_code": "UM02", "lon": lon, "lat": lat},
    ).json()
    second = api.post(
        "/api/v1/grid/reports",
        "city_op",
        {"text": "另一处垃圾堆", "type_code": "UM02", "lon": lon, "lat": lat},
    ).json()
    assert second["merged"] is True
    eid = first["event"]["id"]
    reports = api.get(f"/api/v1/events/{eid}/reports", "city_op").json()
    assert len(reports) == 2
    r = api.post(
        f"/api/v1/events/{eid}/split",
        "city_op",
        {"report_id": second["report"]["ref"], "reason": "两处不同的垃圾点"},
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["state"] == "reported"
    assert new["id"] != eid
    assert len(api.get(f"/api/v1/events/{eid}/reports", "city_op").json()) == 1


def test_deadlines_remind_then_escalate_onto_the_supervision_list(
    api: Api, module_clock: FixedClock
) -> None:
    eid = dispatched_event(api, "YZ01S01", "UM01", "占道经营 supervision test")
    before = module_clock.now()
    try:
        module_clock.advance(minutes=23)  # 75 % of the 30-minute accept limit
        api.container.tick()
        ev = api.get(f"/api/v1/events/{eid}", "admin").json()
        yellow = api.get("/api/v1/supervision", "yz01s01_op", params={"color": "yellow"}).json()
        assert eid in {e["id"] for e in yellow["items"]}
        module_clock.advance(minutes=8)  # past the limit
        api.container.tick()
        ev = api.get(f"/api/v1/events/{eid}", "admin").json()
        assert ev["handling_level"] == "district"
        red = api.get("/api/v1/supervision", "yz01_op", params={"color": "red"}).json()
        assert eid in {e["id"] for e in red["items"]}
        timeline = api.get(f"/api/v1/events/{eid}/timeline", "admin").json()
        assert [e["action"] for e in timeline][-2:] == ["remind", "overdue"]
        inbox = api.get("/api/v1/inbox", "yz01_op").json()
        assert any(n["kind"] == "overdue" and n["event_id"] == eid for n in inbox)
        api.container.tick()
        timeline2 = api.get(f"/api/v1/events/{eid}/timeline", "admin").json()
        assert len(timeline2) == len(timeline)
    finally:
        module_clock.current = before


def test_handlers_find_dispatched_events_in_their_inbox(api: Api) -> None:
    eid = dispatched_event(api, "YZ01S01", "UM09", "路灯 inbox test")
    api.container.tick()
    inbox = api.get("/api/v1/inbox", "urban_yz01", params={"unread": True}).json()
    mine = [n for n in inbox if n["event_id"] == eid]
    assert mine
    assert mine[0]["kind"] == "dispatched"
    r = api.post(f"/api/v1/inbox/{mine[0]['id']}/read", "urban_yz01")
    assert r.json()["read"] is True
    assert api.post(f"/api/v1/inbox/{mine[0]['id']}/read", "psb_yz").status_code == 404


def test_the_citizen_confirms_the_fix_and_a_low_rating_reopens_the_event(api: Api) -> None:
    eid = dispatched_event(api, "YZ01S01", "UM09", "路灯 citizen test")
    for action, body in (("accept", {}), ("resolve", {"result": "已更换灯泡"})):
        assert api.post(f"/api/v1/events/{eid}/{action}", "urban_yz01", body).status_code == 200
    api.container.tick()
    token = citizen_link(api, eid, "resolved")
    status = api.client.get(f"/api/v1/citizen/{token}").json()
    assert status["can_verify"] is True
    assert status["request"]["status"] == "open"
    r = api.client.post(f"/api/v1/citizen/{token}/verification", json={"fixed": True})
    assert r.json()["state"] == "verified"
    api.post(f"/api/v1/events/{eid}/close", "yz01s01_op")
    api.container.tick()
    token = citizen_link(api, eid, "closed")
    r = api.client.post(f"/api/v1/citizen/{token}/rating", json={"score": 2, "comment": "太慢"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "triaged"
    again = api.client.post(f"/api/v1/citizen/{token}/rating", json={"score": 5})
    assert again.status_code == 422
    timeline = api.get(f"/api/v1/events/{eid}/timeline", "admin").json()
    assert [e["action"] for e in timeline][-2:] == ["rate", "reopen"]
    assert api.client.get("/api/v1/citizen/not-a-token").status_code == 404


def test_admins_issue_and_revoke_open311_keys(api: Api) -> None:
    r = api.post("/api/v1/admin/api-keys", "admin", {"name": "District app"})
    assert r.status_code == 201
    key = r.json()
    assert key["key"].startswith("cl_")
    listed = api.get("/api/v1/admin/api-keys", "admin").json()
    assert all(k["key"] is None for k in listed)
    lon, lat = api.point_in("YZ05")
    form = {"api_key": key["key"], "service_code": "UM09", "lat": str(lat), "long": str(lon)}
    assert api.client.post("/open311/v2/requests.json", data=form).status_code == 201
    api.client.delete(f"/api/v1/admin/api-keys/{key['id']}", headers=api.as_("admin"))
    assert api.client.post("/open311/v2/requests.json", data=form).status_code == 403
    assert api.post("/api/v1/admin/api-keys", "city_op", {"name": "x"}).status_code == 403


@pytest.mark.parametrize("bad", [{"score": 0}, {"score": 6}, {"score": "five"}])
def test_ratings_outside_one_to_five_are_refused(api: Api, bad: dict[str, object]) -> None:
    assert api.client.post("/api/v1/citizen/whatever/rating", json=bad).status_code == 422


def test_timedelta_helper_is_consistent() -> None:
    assert timedelta(minutes=30) * 0.75 == timedelta(minutes=22, seconds=30)


def test_oversized_bodies_are_refused_with_413(api: Api) -> None:
    big = b"x" * (3 * 1024 * 1024)
    r = api.client.post(
        "/api/v1/events",
        content=big,
        headers={**api.as_("city_op"), "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["type"] == "/problems/too-large"


def test_notifications_reach_a_webhook(api: Api) -> None:
    import http.server
    import threading

    received: list[bytes] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    policy = api.container.policies[0]
    old = list(policy.webhooks)  # type: ignore[attr-defined]
    policy.webhooks[:] = [url]  # type: ignore[attr-defined]
    try:
        eid = dispatched_event(api, "YZ03", "UM09", "路灯 webhook test")
        api.container.tick()
    finally:
        policy.webhooks[:] = old  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
    bodies = [json.loads(b) for b in received]
    assert any(b["event_id"] == eid and b["kind"] == "dispatched" for b in bodies)


def test_replay_reproduces_a_known_sequence_and_the_state_at_a_moment(api: Api) -> None:
    from typer.testing import CliRunner

    from cityloop.cli import app

    start = api.container.clock.now()
    eid = dispatched_event(api, "YZ05", "UM09", "路灯 replay test")
    ref = api.get(f"/api/v1/events/{eid}", "admin").json()["ref"]
    url = api.container.settings.database_url
    window = [
        "--from",
        (start - timedelta(seconds=1)).isoformat(),
        "--to",
        (start + timedelta(seconds=1)).isoformat(),
    ]
    result = CliRunner().invoke(app, ["replay", *window, "--database-url", url])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.strip().splitlines()]
    mine = [x for x in lines if x.get("ref") == ref]
    assert [x["action"] for x in mine] == ["report", "triage", "dispatch"]
    assert mine[-1]["to"] == "dispatched"
    assert "state" in lines[0]
    assert lines[-1]["state"]["events_by_state"].get("dispatched", 0) >= 1


def test_the_replay_api_is_scoped_to_the_callers_territory(api: Api) -> None:
    start = api.container.clock.now()
    eid = dispatched_event(api, "YZ06", "UM09", "路灯 replay api test")
    ref = api.get(f"/api/v1/events/{eid}", "admin").json()["ref"]
    params = {
        "from": (start - timedelta(seconds=1)).isoformat(),
        "to": (start + timedelta(seconds=1)).isoformat(),
    }
    mine = api.get("/api/v1/replay", "city_op", params=params).json()
    assert ref in {s.get("ref") for s in mine["steps"]}
    other = api.get("/api/v1/replay", "yz01_op", params=params).json()
    assert ref not in {s.get("ref") for s in other["steps"]}
    # the state counts at both ends are the caller's territory's too
    dispatched = [x["to"]["events_by_state"].get("dispatched", 0) for x in (mine, other)]
    assert dispatched[0] >= dispatched[1] + 1
    snap = api.get(
        "/api/v1/replay/snapshot",
        "yz01_op",
        params={"at": params["to"], "include_finished": "true", "limit": 50_000},
    ).json()
    assert other["to"]["events_by_state"] == snap["events_by_state"]
    bad = api.get("/api/v1/replay", "city_op", params={"from": params["to"], "to": params["from"]})
    assert bad.status_code == 422
