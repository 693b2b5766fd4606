"""The operations dashboard's reads: counts, clustered map, overdue list, recent changes."""

from __future__ import annotations

import pytest

from cityloop.domain.clock import FixedClock
from tests.e2e.conftest import Api

#: name → (place, type); D1 and D2 lie in district YZ01, D3 in YZ02, D4 in YZ03.
PLACES = {
    "D1": ("YZ01S01", "UM02"),
    "D2": ("YZ01S01", "UM02"),
    "D3": ("YZ02S01", "AC08"),
    "D4": ("YZ03", "UM06"),
}


@pytest.fixture(scope="module")
def events(api: Api) -> dict[str, str]:
    ids = {}
    for name, (code, type_code) in PLACES.items():
        lon, lat = api.point_in(code)
        body = {"title": f"Dashboard {name}", "lon": lon, "lat": lat, "type_code": type_code}
        r = api.post("/api/v1/events", "city_op", body)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    for name in ("D1", "D3"):
        api.post(f"/api/v1/events/{ids[name]}/triage", "city_op", {"type_code": PLACES[name][1]})
        r = api.post(f"/api/v1/events/{ids[name]}/dispatch", "city_op", {"level": "street"})
        assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/events/{ids['D2']}/merge", "city_op", {"into": ids["D1"]})
    assert r.status_code == 200, r.text
    return ids


def _counts(api: Api, user: str, **params: object) -> dict[str, int]:
    r = api.get("/api/v1/dashboard/counts", user, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == sum(g["count"] for g in body["groups"])
    assert body["how"]
    return {g["key"]: g["count"] for g in body["groups"]}


def test_counts_group_the_callers_events_by_type_state_and_territory(
    api: Api, events: dict[str, str]
) -> None:
    assert _counts(api, "city_op", by="type") == {"UM02": 2, "AC08": 1, "UM06": 1}
    assert _counts(api, "city_op", by="state") == {"dispatched": 2, "merged": 1, "reported": 1}
    assert _counts(api, "city_op", by="district") == {"YZ01": 2, "YZ02": 1, "YZ03": 1}
    assert _counts(api, "city_op", by="type", open="true") == {"UM02": 1, "AC08": 1, "UM06": 1}
    assert _counts(api, "city_op", by="state", open="false") == {"merged": 1}
    assert _counts(api, "yz01_op", by="district") == {"YZ01": 2}
    assert _counts(api, "city_op", by="street", jurisdiction="YZ01") == {"YZ01S01": 2}
    assert sum(_counts(api, "city_op", by="severity").values()) == 4


def test_counts_carry_labels_in_both_languages(api: Api, events: dict[str, str]) -> None:
    body = api.get("/api/v1/dashboard/counts", "city_op", params={"by": "district"}).json()
    yz01 = next(g for g in body["groups"] if g["key"] == "YZ01")
    j = api.container.city.jurisdictions["YZ01"]
    assert (yz01["label_zh"], yz01["label_en"]) == (j.name_zh, j.name_en)
    body = api.get("/api/v1/dashboard/counts", "city_op", params={"by": "state"}).json()
    assert {g["label_en"] for g in body["groups"]} == {"dispatched", "merged", "reported"}


def test_counts_refuse_a_jurisdiction_outside_the_territory_and_an_unknown_grouping(
    api: Api, events: dict[str, str]
) -> None:
    r = api.get("/api/v1/dashboard/counts", "yz01_op", params={"jurisdiction": "YZ02"})
    assert r.status_code == 404
    r = api.get("/api/v1/dashboard/counts", "city_op", params={"by": "colour"})
    assert r.status_code == 422


def _city_box(api: Api) -> str:
    minx, miny, maxx, maxy = api.container.city.city_jurisdiction.geometry.bounds
    return f"{minx},{miny},{maxx},{maxy}"


def test_the_map_clusters_the_viewport_and_lists_single_events_when_few(
    api: Api, events: dict[str, str]
) -> None:
    params = {"bbox": _city_box(api), "zoom": 10}
    body = api.get("/api/v1/dashboard/map", "city_op", params=params).json()
    assert body["total"] == 3  # the open ones: the merged duplicate is not drawn
    assert sum(c["count"] for c in body["cells"]) == 3
    assert sum(sum(c["by_state"].values()) for c in body["cells"]) == 3
    assert {p["id"] for p in body["points"]} == {events[n] for n in ("D1", "D3", "D4")}
    every = api.get("/api/v1/dashboard/map", "city_op", params={**params, "state": "all"}).json()
    assert every["total"] == 4
    heat = api.get("/api/v1/dashboard/map", "city_op", params={**params, "layer": "heat"}).json()
    assert heat["points"] == []
    assert heat["total"] == 3
    mine = api.get("/api/v1/dashboard/map", "yz01_op", params=params).json()
    assert {p["id"] for p in mine["points"]} == {events["D1"]}


def test_the_map_cells_shrink_as_the_zoom_grows(api: Api, events: dict[str, str]) -> None:
    sizes = [
        api.get(
            "/api/v1/dashboard/map", "city_op", params={"bbox": _city_box(api), "zoom": z}
        ).json()["cell_deg"]
        for z in (8, 12, 16)
    ]
    assert sizes[0] > sizes[1] > sizes[2]


@pytest.mark.parametrize(
    ("bbox", "message"),
    [("1,2,3", "four numbers"), ("a,b,c,d", "four numbers"), ("10,10,5,20", "minlon < maxlon")],
)
def test_a_malformed_viewport_is_refused_with_the_reason(api: Api, bbox: str, message: str) -> None:
    r = api.get("/api/v1/dashboard/map", "city_op", params={"bbox": bbox})
    assert r.status_code == 422
    assert message in r.text
    r = api.get("/api/v1/dashboard/map", "city_op", params={"bbox": "0,0,1,1", "state": "lost"})
    assert r.status_code == 422
    assert "lost" in r.text


def test_overdue_lists_red_before_yellow_most_overdue_first_in_scope(
    api: Api, events: dict[str, str], module_clock: FixedClock
) -> None:
    before = module_clock.now()
    try:
        module_clock.advance(minutes=120)  # past every accept limit of D1 and D3
        api.container.tick()
        body = api.get("/api/v1/dashboard/overdue", "city_op").json()
        items = body["items"]
        assert {i["id"] for i in items} == {events["D1"], events["D3"]}
        assert all(i["supervision"] == "red" and i["overdue_s"] > 0 for i in items)
        assert items[0]["overdue_s"] >= items[1]["overdue_s"]
        assert items[0]["state_name"]
        mine = api.get("/api/v1/dashboard/overdue", "yz02_op").json()["items"]
        assert [i["id"] for i in mine] == [events["D3"]]
    finally:
        module_clock.current = before


def test_recent_changes_come_newest_first_in_scope(
    api: Api, events: dict[str, str], module_clock: FixedClock
) -> None:
    before = module_clock.now()
    try:
        module_clock.advance(hours=3)  # later than anything the other tests did
        r = api.post(f"/api/v1/events/{events['D4']}/triage", "city_op", {"type_code": "UM06"})
        assert r.status_code == 200, r.text
        items = api.get("/api/v1/dashboard/stream-recent", "city_op").json()["items"]
        assert items[0]["id"] == events["D4"]
        assert items[0]["state"] == "triaged"
        stamps = [i["updated_at"] for i in items]
        assert stamps == sorted(stamps, reverse=True)
        mine = api.get("/api/v1/dashboard/stream-recent", "yz01_op", params={"limit": 5}).json()
        assert {i["id"] for i in mine["items"]} == {events["D1"], events["D2"]}
    finally:
        module_clock.current = before
