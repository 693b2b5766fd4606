"""Incident review records over HTTP: an event accepted late is reviewed, the late step names
the unit and the minutes, lessons are added and edited with who and when, all scoped."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cityloop.domain.clock import FixedClock
from tests.e2e.conftest import Api


@pytest.fixture(scope="module")
def late_event(api: Api, module_clock: FixedClock) -> dict:
    lon, lat = api.point_in("YZ01S01")
    r = api.post("/api/v1/events", "city_op", {"title": "路灯不亮 review", "lon": lon, "lat": lat})
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    api.post(f"/api/v1/events/{eid}/triage", "city_op", {"type_code": "UM09"})
    r = api.post(f"/api/v1/events/{eid}/dispatch", "city_op", {"level": "street"})
    assert r.status_code == 200, r.text
    accept_by = datetime.fromisoformat(r.json()["accept_by"])
    dispatched = module_clock.now()
    module_clock.advance(minutes=(accept_by - dispatched).total_seconds() / 60 + 45)
    assert api.post(f"/api/v1/events/{eid}/accept", "urban_yz01").status_code == 200
    module_clock.advance(minutes=5)
    return {"id": eid, "dispatched": dispatched, "accept_by": accept_by}


def test_a_review_of_an_event_names_the_late_step_and_unit(api: Api, late_event: dict) -> None:
    r = api.post("/api/v1/reviews", "yz01_op", {"event_id": late_event["id"]})
    assert r.status_code == 201, r.text
    review = r.json()
    assert (review["source"], review["jurisdiction"], review["version"]) == (
        "event",
        "YZ01S01",
        1,
    )
    accept = [x for x in review["late"] if x["kind"] == "accept"]
    assert len(accept) == 1
    assert accept[0]["unit"] == "URBAN"
    assert accept[0]["late_minutes"] == 45.0
    assert accept[0]["deadline"] == late_event["accept_by"].isoformat()
    assert review["late_by_unit"]["URBAN"] >= 1
    assert [e["ref"] for e in review["events"]] == [accept[0]["event_ref"]]
    assert {"report", "triage", "dispatch", "accept"} <= {
        s["action"] for s in review["timeline"] if s["kind"] == "event"
    }
    assert review["warnings_before_first_report"] == []
    assert review["lead_time_minutes"] is None
    got = api.get(f"/api/v1/reviews/{review['id']}", "city_op").json()
    assert got["late"] == review["late"]


def test_lessons_are_added_and_edited_with_who_and_when(
    api: Api, late_event: dict, module_clock: FixedClock
) -> None:
    review = api.post("/api/v1/reviews", "yz01_op", {"event_id": late_event["id"]}).json()
    rid = review["id"]
    r = api.post(f"/api/v1/reviews/{rid}/lessons", "yz01_op", {"text": "夜间值守人手不足"})
    assert r.status_code == 201, r.text
    lesson = r.json()["lessons"][0]
    assert (lesson["n"], lesson["text"], lesson["by"]) == (1, "夜间值守人手不足", "yz01_op")
    assert lesson["at"] == module_clock.now().isoformat()
    module_clock.advance(minutes=1)
    r = api.client.put(
        f"/api/v1/reviews/{rid}/lessons/1",
        headers=api.as_("city_op"),
        json={"text": "夜间值守人手不足，增加一名值班员", "version": 2},
    )
    assert r.status_code == 200, r.text
    edited = r.json()["lessons"][0]
    assert edited["text"] == "夜间值守人手不足，增加一名值班员"
    assert edited["edits"] == [
        {"text": "夜间值守人手不足", "by": "city_op", "at": module_clock.now().isoformat()}
    ]
    stale = api.client.put(
        f"/api/v1/reviews/{rid}/lessons/1",
        headers=api.as_("city_op"),
        json={"text": "x", "version": 2},
    )
    assert stale.status_code == 409
    assert (
        api.post(f"/api/v1/reviews/{rid}/lessons", "urban_yz01", {"text": "x"}).status_code == 403
    )
    listed = api.get("/api/v1/reviews", "yz01_op").json()["items"]
    mine = next(x for x in listed if x["id"] == rid)
    assert (mine["lessons"], mine["late_steps"]) == (1, len(review["late"]))


def test_a_window_review_over_a_territory(api: Api, late_event: dict) -> None:
    start = (late_event["dispatched"] - timedelta(hours=1)).isoformat()
    r = api.post(
        "/api/v1/reviews", "city_op", {"from": start, "territory": "YZ01S01", "title": "夜间复盘"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["source"], body["title"], body["jurisdiction"]) == (
        "window",
        "夜间复盘",
        "YZ01S01",
    )
    assert any(x["kind"] == "accept" and x["unit"] == "URBAN" for x in body["late"])


def test_reviews_are_scoped_and_bad_requests_are_refused(api: Api, late_event: dict) -> None:
    review = api.post("/api/v1/reviews", "yz01_op", {"event_id": late_event["id"]}).json()
    assert api.get(f"/api/v1/reviews/{review['id']}", "yz02_op").status_code == 404
    assert all(
        x["id"] != review["id"] for x in api.get("/api/v1/reviews", "yz02_op").json()["items"]
    )
    outside = api.post("/api/v1/reviews", "yz02_op", {"event_id": late_event["id"]})
    assert outside.status_code == 404
    both = api.post("/api/v1/reviews", "city_op", {"event_id": late_event["id"], "from": "x"})
    assert both.status_code == 422
    none = api.post("/api/v1/reviews", "city_op", {})
    assert none.status_code == 422
    assert "exactly one" in none.json()["detail"]
    naive = api.post("/api/v1/reviews", "city_op", {"from": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
    assert "time zone" in naive.json()["detail"]
    assert api.post("/api/v1/reviews", "city_op", {"activation_id": "nope"}).status_code == 404
    assert api.client.get("/api/v1/reviews").status_code == 401
