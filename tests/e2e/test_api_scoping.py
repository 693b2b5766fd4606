"""Territorial and departmental scoping, proved for every demo role on every kind of access.

Four dispatched events are placed across the city; each user must see exactly its share on
lists, details and timelines; anything else is a 404 (ids do not leak), and actions its role
may not take on events it can see are a 403.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api

ALL = {"E1", "E2", "E3", "E4"}

#: Who sees which event. E1: YZ01S01 grid G001, lead URBAN. E2: YZ01 other street, lead PSB.
#: E3: YZ02S01, lead WATERCO (co URBAN, TPOL). E4: YZ03, lead URBAN, co PSB.
EXPECTED = {
    "admin": ALL,
    "city_op": ALL,
    "leader": ALL,
    "auditor": ALL,
    "data_admin": ALL,
    "yz01_op": {"E1", "E2"},
    "yz02_op": {"E3"},
    "yz01s01_op": {"E1"},
    "yz02s01_op": {"E3"},
    "urban_yz01": {"E1"},
    "psb_yz": {"E2", "E4"},
    "waterco_yz02": {"E3"},
    "grid_yz01s01c01g001": {"E1"},
}

CONTACT_ROLES = {
    "admin",
    "city_op",
    "yz01_op",
    "yz02_op",
    "yz01s01_op",
    "yz02s01_op",
    "urban_yz01",
    "psb_yz",
    "waterco_yz02",
}


def _other_street(api: Api, district: str, not_street: str) -> str:
    streets = api.container.city.jurisdictions[district].children
    return next(s for s in streets if s != not_street)


@pytest.fixture(scope="module")
def events(api: Api) -> dict[str, str]:
    """Create and dispatch the four events as the city operator; return name → id."""
    places = {
        "E1": ("YZ01S01C01G001", "UM02"),
        "E2": (_other_street(api, "YZ01", "YZ01S01"), "SS03"),
        "E3": ("YZ02S01", "AC08"),
        "E4": ("YZ03", "UM06"),
    }
    ids = {}
    for name, (code, type_code) in places.items():
        lon, lat = api.point_in(code)
        body = {
            "title": f"Scoping {name}",
            "lon": lon,
            "lat": lat,
            "source": "hotline",
            "contact": {"name": "Citizen", "phone": "13900000000"},
        }
        r = api.post("/api/v1/events", "city_op", body)
        assert r.status_code == 201, r.text
        eid = r.json()["id"]
        api.post(f"/api/v1/events/{eid}/triage", "city_op", {"type_code": type_code})
        r = api.post(f"/api/v1/events/{eid}/dispatch", "city_op", {"level": "street"})
        assert r.status_code == 200, r.text
        ids[name] = eid
    return ids


@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_each_role_lists_exactly_its_events(api: Api, events: dict[str, str], user: str) -> None:
    r = api.get("/api/v1/events", user, params={"q": "Scoping", "limit": 500})
    assert r.status_code == 200, r.text
    names = {item["title"].removeprefix("Scoping ") for item in r.json()["items"]}
    assert names == EXPECTED[user]


@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_each_role_reads_details_and_timelines_only_in_scope(
    api: Api, events: dict[str, str], user: str
) -> None:
    for name, eid in events.items():
        detail = api.get(f"/api/v1/events/{eid}", user)
        timeline = api.get(f"/api/v1/events/{eid}/timeline", user)
        if name in EXPECTED[user]:
            assert detail.status_code == 200, (user, name)
            assert timeline.status_code == 200, (user, name)
            assert timeline.json()[0]["action"] == "report"
        else:
            assert detail.status_code == 404, (user, name)
            assert timeline.status_code == 404, (user, name)
            assert detail.json()["detail"] == "event not found"


@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_out_of_scope_actions_are_404_and_do_not_change_the_event(
    api: Api, events: dict[str, str], user: str
) -> None:
    for name, eid in events.items():
        if name in EXPECTED[user]:
            continue
        r = api.post(f"/api/v1/events/{eid}/cancel", user, {"reason": "probe"})
        assert r.status_code == 404, (user, name, r.text)
    state = api.get(f"/api/v1/events/{events['E1']}", "admin").json()["state"]
    assert state == "dispatched"


@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_contact_details_only_for_roles_that_need_them(
    api: Api, events: dict[str, str], user: str
) -> None:
    name = sorted(EXPECTED[user])[0]
    body = api.get(f"/api/v1/events/{events[name]}", user).json()
    assert body["has_reporter"] is True
    if user in CONTACT_ROLES:
        assert body["reporter"]["phone"] == "13900000000"
    else:
        assert body["reporter"] is None
    listed = api.get("/api/v1/events", user, params={"q": "Scoping"}).json()["items"]
    assert all(item["reporter"] is None for item in listed)


@pytest.mark.parametrize(
    ("user", "action", "body"),
    [
        ("leader", "accept", {}),
        ("auditor", "cancel", {"reason": "x"}),
        ("data_admin", "escalate", {"reason": "x"}),
        ("grid_yz01s01c01g001", "dispatch", {}),
        ("urban_yz01", "cancel", {"reason": "x"}),
        ("yz01s01_op", "accept", {}),
    ],
)
def test_in_scope_actions_the_role_may_not_take_are_403(
    api: Api, events: dict[str, str], user: str, action: str, body: dict[str, str]
) -> None:
    r = api.post(f"/api/v1/events/{events['E1']}/{action}", user, body)
    assert r.status_code == 403, r.text
    assert r.json()["type"] == "/problems/forbidden"


def test_a_co_unit_sees_but_may_not_accept(api: Api, events: dict[str, str]) -> None:
    r = api.post(f"/api/v1/events/{events['E4']}/accept", "psb_yz")
    assert r.status_code == 403
    assert "lead unit" in r.json()["detail"]
    detail = api.get(f"/api/v1/events/{events['E4']}", "psb_yz").json()
    assert detail["allowed_actions"] == ["feedback"]


def test_the_lead_units_handler_is_offered_and_may_take_its_actions(
    api: Api, events: dict[str, str]
) -> None:
    detail = api.get(f"/api/v1/events/{events['E3']}", "waterco_yz02").json()
    assert set(detail["allowed_actions"]) == {"accept", "return"}
    assert api.post(f"/api/v1/events/{events['E3']}/accept", "waterco_yz02").status_code == 200


def test_nobody_reports_outside_their_territory(api: Api) -> None:
    lon, lat = api.point_in("YZ02S01")
    r = api.post("/api/v1/events", "yz01s01_op", {"title": "elsewhere", "lon": lon, "lat": lat})
    assert r.status_code == 403
    assert api.post("/api/v1/events", "leader", {"title": "x"}).status_code == 403


def test_a_grid_worker_report_without_a_point_is_filed_in_its_grid(api: Api) -> None:
    r = api.post("/api/v1/events", "grid_yz01s01c01g001", {"title": "Smell of gas on stairs"})
    assert r.status_code == 201, r.text
    assert r.json()["location"]["chain"]["grid"] == "YZ01S01C01G001"
    assert api.get(f"/api/v1/events/{r.json()['id']}", "yz01s01_op").status_code == 200
