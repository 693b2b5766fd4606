"""Emergency plans over HTTP: conditions, one-click activation, tasks, level changes, resources."""

from __future__ import annotations

from typing import Any

from cityloop.domain.territory import Level
from tests.e2e.conftest import Api

PLAN = "rainstorm-waterlogging"


def grids_of(api: Api, district: str, n: int) -> list[str]:
    city = api.container.city
    grids = [c for c in city.descendants(district) if city.jurisdictions[c].level is Level.GRID]
    return sorted(grids)[:n]


def waterlogging(api: Api, district: str, n: int) -> list[str]:
    ids = []
    for code in grids_of(api, district, n):
        lon, lat = api.point_in(code)
        body = {"title": "路面积水 30 cm", "type_code": "ND01", "lon": lon, "lat": lat}
        r = api.post("/api/v1/events", "city_op", body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def street_op(api: Api) -> tuple[str, str]:
    user = next(u for u in api.container.city.users if u.role.value == "street_operator")
    return user.username, user.jurisdiction


def activate(api: Api, user: str, level: str, **kw: Any):  # type: ignore[no-untyped-def]
    body = {"level": level, "reason": "多处积水", **kw}
    return api.post(f"/api/v1/plans/{PLAN}/activations", user, body)


def test_the_city_lists_its_plans(api: Api) -> None:
    r = api.get("/api/v1/plans?lang=en", "city_op")
    assert r.status_code == 200
    plans = {p["id"]: p for p in r.json()}
    assert len(plans) == 6
    assert [lv["level"] for lv in plans[PLAN]["levels"]] == ["IV", "III", "II", "I"]
    assert plans[PLAN]["name"] == "Rainstorm waterlogging plan"


def test_conditions_count_open_events_per_district(api: Api) -> None:
    ids = waterlogging(api, "YZ03", 5)
    r = api.get(f"/api/v1/plans/{PLAN}/conditions", "city_op")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["suggested_level"] == "IV"
    iv = next(lv for lv in body["levels"] if lv["level"] == "IV")
    assert iv["holds"]
    assert "✓ 5 open ND01 events in YZ03 (≥ 5 per district)" in iv["reasons"]
    assert set(ids) <= set(iv["event_ids"])
    # A district operator elsewhere does not see YZ03's events.
    other = api.get(f"/api/v1/plans/{PLAN}/conditions", "yz01_op").json()
    assert other["suggested_level"] is None
    assert api.get("/api/v1/plans/nope/conditions", "city_op").status_code == 404


def test_one_click_activation_checks_the_authority_of_the_level(api: Api) -> None:
    street, street_code = street_op(api)
    assert activate(api, street, "III").status_code == 403
    assert activate(api, "yz01_op", "II").status_code == 403
    assert activate(api, "urban_yz01", "IV").status_code == 403
    assert activate(api, "leader", "V").status_code == 422
    r = activate(api, street, "IV")
    assert r.status_code == 201, r.text
    assert r.json()["jurisdiction"] == street_code
    r = activate(api, "yz01_op", "III")
    assert r.status_code == 201, r.text
    assert r.json()["jurisdiction"] == "YZ01"
    name = api.container.city.jurisdictions["YZ01"].name_zh
    assert r.json()["message"]["headline_zh"] == f"{name}启动暴雨内涝III应急响应"


def test_tasks_fan_out_deadlines_and_level_changes(api: Api) -> None:
    clock = api.container.clock
    events = waterlogging(api, "YZ02", 2)
    r = activate(api, "city_op", "III", event_ids=events)
    assert r.status_code == 201, r.text
    act = r.json()
    aid = act["id"]
    assert act["event_ids"] == events
    depts = {t["department"]: t for t in act["tasks"]}
    assert set(depts) == {"URBAN", "WATERCO", "TPOL", "EMB"}
    assert depts["URBAN"]["role"] == "lead"
    assert act["progress"]["departments"]["URBAN"]["total"] == 1

    # The lead department acknowledges and finishes its task; others may not.
    base = f"/api/v1/plan-activations/{aid}/tasks"
    assert api.post(f"{base}/drain/acknowledge", "waterco_yz02", {}).status_code == 403
    r = api.post(f"{base}/drain/acknowledge", "urban_yz01", {"feedback": "泵车出发"})
    assert r.status_code == 200, r.text
    assert api.post(f"{base}/drain/done", "urban_yz01", {}).status_code == 422
    r = api.post(f"{base}/drain/done", "urban_yz01", {"feedback": "积水已排除"})
    assert r.json()["progress"]["departments"]["URBAN"]["done"] == 1

    # Past its deadline a task is overdue on the board.
    sewer = next(t for t in act["tasks"] if t["id"] == "sewer")
    clock.advance(minutes=46)
    board = api.get(f"/api/v1/plan-activations/{aid}", "city_op").json()
    assert board["progress"]["overdue"] == ["sewer", "traffic", "command"]
    assert board["progress"]["departments"]["TPOL"]["overdue"] == 1
    assert next(t for t in board["tasks"] if t["id"] == "sewer")["status"] == "overdue"
    assert sewer["due_at"] < clock.now().isoformat()

    # Upgrade (city level only), downgrade, terminate: each with who and why.
    up = f"/api/v1/plan-activations/{aid}/upgrade"
    assert api.post(up, "yz01_op", {"reason": "more rain"}).status_code == 403
    r = api.post(up, "city_op", {"reason": "rain intensifies"})
    assert r.status_code == 200, r.text
    assert r.json()["level"] == "II"
    assert {"FIRE", "METEO"} <= {t["department"] for t in r.json()["tasks"]}
    r = api.post(f"/api/v1/plan-activations/{aid}/downgrade", "city_op", {"reason": "eased"})
    assert r.json()["level"] == "III"
    rescue = next(t for t in r.json()["tasks"] if t["id"] == "rescue")
    assert rescue["status"] == "cancelled"
    r = api.post(f"/api/v1/plan-activations/{aid}/terminate", "city_op", {"reason": "over"})
    assert r.json()["status"] == "terminated"
    city_op = api.client.get("/api/v1/me", headers=api.as_("city_op")).json()["id"]
    steps = [(e["kind"], e["by"], e.get("reason")) for e in r.json()["timeline"]]
    assert ("activated", city_op, "多处积水") in steps
    assert ("upgraded", city_op, "rain intensifies") in steps
    assert ("downgraded", city_op, "eased") in steps
    assert ("terminated", city_op, "over") in steps
    assert [k for k, _, _ in steps].count("task_overdue") == 3

    listed = api.get("/api/v1/plan-activations?status=terminated", "city_op").json()
    assert aid in [a["id"] for a in listed]
    assert api.get("/api/v1/plan-activations/nope", "city_op").status_code == 404


def test_nearest_resources(api: Api) -> None:
    lon, lat = api.point_in("YZ01")
    r = api.get(
        f"/api/v1/resources/nearest?lon={lon}&lat={lat}&type=drainage_pump_truck", "city_op"
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items
    assert {i["type"] for i in items} == {"drainage_pump_truck"}
    assert {i["status"] for i in items} == {"available"}
    # The demo city has roads.geojson: quickest first over the road graph, each with its ETA.
    assert r.json()["travel"] == "road_graph"
    etas = [i["eta_min"] for i in items]
    assert etas == sorted(etas)
    assert all(i["distance_m"] >= 0 for i in items)
    r = api.get(f"/api/v1/resources/nearest?lon={lon}&lat={lat}&type=shelter&limit=2", "city_op")
    assert len(r.json()["items"]) == 2
    bad = api.get(f"/api/v1/resources/nearest?lon={lon}&lat={lat}&type=spaceship", "city_op")
    assert bad.status_code == 422
