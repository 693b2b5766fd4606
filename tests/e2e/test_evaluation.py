"""Scorecards, demand analysis and the public disclosure page over HTTP, on events that went
round the loop through the API (dispatched, accepted, resolved, verified, closed, rated)."""

from __future__ import annotations

import json
import re

import pytest

from cityloop.domain.clock import FixedClock
from tests.e2e.conftest import Api

NAME, PHONE, EMAIL = "张秘密", "13912345678", "secret.citizen@example.org"


def _citizen_token(api: Api, event_id: str, kind: str) -> str:
    with api.container.reader() as uow:
        notes = [n for n in uow.notifications.for_event(event_id) if n.kind == kind]
    assert notes, f"no {kind} notification for {event_id}"
    match = re.search(r"/citizen/([\w-]+)$", notes[-1].link or "")
    assert match
    return match.group(1)


def _round_trip(api: Api, title: str, score: int) -> str:
    """Report (with the reporter's contact), dispatch, accept, resolve, verify, close, rate."""
    lon, lat = api.point_in("YZ01S01")
    r = api.post(
        "/api/v1/events",
        "city_op",
        {
            "title": title,
            "lon": lon,
            "lat": lat,
            "type_code": "UM09",
            "contact": {"name": NAME, "phone": PHONE, "email": EMAIL},
        },
    )
    assert r.status_code == 201, r.text
    eid = str(r.json()["id"])
    api.post(f"/api/v1/events/{eid}/triage", "city_op", {"type_code": "UM09"})
    api.post(f"/api/v1/events/{eid}/dispatch", "city_op", {"level": "street"})
    for action, body in (("accept", {}), ("resolve", {"result": "已更换灯泡"})):
        assert api.post(f"/api/v1/events/{eid}/{action}", "urban_yz01", body).status_code == 200
    api.container.tick()
    token = _citizen_token(api, eid, "resolved")
    api.client.post(f"/api/v1/citizen/{token}/verification", json={"fixed": True})
    assert api.post(f"/api/v1/events/{eid}/close", "yz01s01_op").status_code == 200
    api.container.tick()
    token = _citizen_token(api, eid, "closed")
    r = api.client.post(f"/api/v1/citizen/{token}/rating", json={"score": score})
    assert r.status_code == 200, r.text
    return eid


@pytest.fixture(scope="module")
def seeded(api: Api, module_clock: FixedClock) -> list[str]:
    ids = [_round_trip(api, "路灯不亮 eval one", 5), _round_trip(api, "路灯不亮 eval two", 2)]
    module_clock.advance(minutes=1)  # the periods end at "now", exclusive
    return ids


def test_a_department_scorecard_counts_the_loop_and_the_low_rating(
    api: Api, seeded: list[str]
) -> None:
    r = api.get("/api/v1/scorecards", "city_op", params={"by": "department"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "formula" in body["score"]
    urban = next(c for c in body["items"] if c["key"] == "URBAN")
    assert urban["received"] == 2
    assert (urban["accepted"], urban["accepted_on_time"], urban["resolved"]) == (2, 2, 2)
    assert urban["dispose_on_time_rate"] == 1.0
    assert (urban["verified"], urban["closed"], urban["reopened"]) == (2, 2, 1)
    assert (urban["ratings"], urban["rating_mean"], urban["low_rating_share"]) == (2, 3.5, 0.5)
    assert urban["rating_response_rate"] == 1.0
    assert urban["anti_gaming"]["reopened_by_low_rating"] == 1
    assert urban["score"] is not None
    assert urban["rank"] == 1


def test_scorecards_by_street_are_scoped_to_the_callers_territory(
    api: Api, seeded: list[str]
) -> None:
    mine = api.get("/api/v1/scorecards", "yz01_op", params={"by": "street"}).json()
    assert [c["key"] for c in mine["items"]] == ["YZ01S01"]
    other = api.get("/api/v1/scorecards", "yz02_op", params={"by": "street"}).json()
    assert other["items"] == []
    assert api.client.get("/api/v1/scorecards").status_code == 401


def test_demand_endpoints_answer_for_the_territory(api: Api, seeded: list[str]) -> None:
    spots = api.get("/api/v1/demand/hotspots", "yz01_op").json()
    assert spots["grids"]["grids"] > 1
    assert sum(h["reports"] for h in spots["items"]) == 2
    trend = api.get("/api/v1/demand/trends", "yz01_op", params={"by": "street"}).json()
    assert {(t["type_code"], t["territory"], t["current"]) for t in trend["items"]} == {
        ("UM09", "YZ01S01", 2)
    }
    prio = api.get("/api/v1/demand/priorities", "yz01_op", params={"territory": "YZ01S01"})
    item = prio.json()["items"][0]
    assert (item["type_code"], item["reports"], item["low_rating_share"]) == ("UM09", 2, 0.5)
    assert "1 of 2 ratings ≤ 2" in item["why"]
    outside = api.get("/api/v1/demand/priorities", "yz01_op", params={"territory": "YZ02"})
    assert outside.status_code == 404


def test_the_public_disclosure_page_needs_no_login_and_shows_the_figures(
    api: Api, seeded: list[str]
) -> None:
    r = api.client.get("/public/disclosure", params={"territory": "YZ01", "period": "month"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["code"], body["received"], body["resolved"], body["closed"]) == (
        "YZ01",
        2,
        2,
        2,
    )
    assert (body["rating_mean"], body["low_rating_share"]) == (3.5, 0.5)
    assert body["top_problems"][0]["type_code"] == "UM09"
    assert body["top_problems"][0]["resolved"] == 2
    street = next(s for s in body["streets"] if s["code"] == "YZ01S01")
    assert street["received"] == 2
    street_page = api.client.get("/public/disclosure", params={"territory": "YZ01S01"})
    assert street_page.json()["received"] == 2
    assert api.client.get("/public/disclosure", params={"territory": "nope"}).status_code == 404


def test_the_disclosure_page_leaks_no_personal_data(api: Api, seeded: list[str]) -> None:
    text = json.dumps(
        [
            api.client.get("/public/disclosure", params={"territory": code}).json()
            for code in ("YZ01", "YZ01S01")
        ],
        ensure_ascii=False,
    )
    secrets = [NAME, PHONE, EMAIL, "eval one", "13600000000"]
    secrets += [u.username for u in api.container.city.users]
    secrets += [u.display_name for u in api.container.city.users]
    secrets += seeded
    assert [s for s in secrets if s and s in text] == []
