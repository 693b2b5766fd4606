"""Plans in the background tick: automatic activation, proposals, upgrades, overdue tasks; the
activation's CAP alerts; resources committed to tasks and their availability per district."""

from __future__ import annotations

from typing import Any

from lxml import etree

from cityloop.domain.territory import Level
from tests.e2e.conftest import Api
from tests.e2e.test_water_and_cap import XSD

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def districts(api: Api) -> list[str]:
    city = api.container.city
    return sorted(c for c, j in city.jurisdictions.items() if j.level is Level.DISTRICT)


def report(
    api: Api, district: str, type_code: str, n: int, severity: str = "IV", start: int = 0
) -> list[str]:
    city = api.container.city
    grids = sorted(
        c for c in city.descendants(district) if city.jurisdictions[c].level is Level.GRID
    )
    ids = []
    for code in grids[start : start + n]:
        lon, lat = api.point_in(code)
        body = {"title": "现场报告", "type_code": type_code, "lon": lon, "lat": lat,
                "severity": severity}  # fmt: skip
        r = api.post("/api/v1/events", "city_op", body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def activations(api: Api, plan: str) -> list[dict[str, Any]]:
    r = api.get(f"/api/v1/plan-activations?plan_id={plan}", "city_op")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def cap(api: Api, aid: str) -> Any:
    r = api.client.get(f"/cap/activations/{aid}.xml")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/cap+xml")
    doc = etree.fromstring(r.content)
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(doc)
    return doc


def test_a_plan_without_confirmation_activates_and_upgrades_itself(api: Api) -> None:
    district = districts(api)[0]
    report(api, district, "AC03", 1)
    api.container.tick()
    acts = activations(api, "gas-leak")
    assert len(acts) == 1
    act = acts[0]
    assert (act["status"], act["level"], act["jurisdiction"]) == ("active", "IV", district)
    assert act["activated_by"] == "system"
    assert "conditions of level IV hold" in act["reason"]
    assert {t["department"] for t in act["tasks"]} >= {"GASCO", "FIRE"}
    doc = cap(api, act["id"])
    assert doc.findtext(f"{CAP}msgType") == "Alert"
    assert "燃气泄漏" in (doc.findtext(f"{CAP}info/{CAP}headline") or "")

    # The same conditions again: no second activation.
    api.container.tick()
    assert len(activations(api, "gas-leak")) == 1

    # Two leaks in the district: level III holds, the activation is upgraded, with the reasons.
    report(api, district, "AC03", 1, start=1)
    api.container.tick()
    acts = activations(api, "gas-leak")
    assert len(acts) == 1
    act = acts[0]
    assert act["level"] == "III"
    up = next(e for e in act["timeline"] if e["kind"] == "upgraded")
    assert up["by"] == "system"
    assert "2 open AC03 events in" in up["reason"]
    assert "evacuate" in {t["id"] for t in act["tasks"]}
    doc = cap(api, act["id"])
    assert doc.findtext(f"{CAP}msgType") == "Update"
    assert doc.findtext(f"{CAP}references")
    assert api.client.get(f"/cap/activations/{act['id']}.xml?sequence=1").status_code == 200

    # Termination: a Cancel.
    r = api.post(f"/api/v1/plan-activations/{act['id']}/terminate", "city_op", {"reason": "修复"})
    assert r.status_code == 200, r.text
    assert cap(api, act["id"]).findtext(f"{CAP}msgType") == "Cancel"
    assert api.client.get("/cap/activations/nope.xml").status_code == 404


def test_a_plan_with_confirmation_waits_for_a_person(api: Api) -> None:
    district = districts(api)[1]
    report(api, district, "ND01", 5)
    api.container.tick()
    acts = [a for a in activations(api, "rainstorm-waterlogging") if a["jurisdiction"] == district]
    assert len(acts) == 1
    prop = acts[0]
    assert (prop["status"], prop["level"], prop["tasks"]) == ("proposed", "IV", [])
    # Not published while proposed; tasks cannot be worked on.
    assert api.client.get(f"/cap/activations/{prop['id']}.xml").status_code == 404
    api.container.tick()
    assert len(activations(api, "rainstorm-waterlogging")) == 1

    base = f"/api/v1/plan-activations/{prop['id']}"
    r = api.post(f"{base}/confirm", "city_op", {"reason": "核实属实"})
    assert r.status_code == 200, r.text
    act = r.json()
    assert act["status"] == "active"
    assert {t["department"] for t in act["tasks"]} >= {"URBAN"}
    assert ("confirmed", "核实属实") in [(e["kind"], e.get("reason")) for e in act["timeline"]]
    assert api.post(f"{base}/confirm", "city_op", {}).status_code == 422
    assert cap(api, act["id"]).findtext(f"{CAP}msgType") == "Alert"


def test_the_tick_escalates_overdue_tasks(api: Api) -> None:
    act = next(a for a in activations(api, "rainstorm-waterlogging") if a["status"] == "active")
    clock = api.container.clock
    clock.advance(hours=3)  # type: ignore[attr-defined]
    try:
        api.container.tick()
        got = api.get(f"/api/v1/plan-activations/{act['id']}", "city_op").json()
        late = [e for e in got["timeline"] if e["kind"] == "task_overdue"]
        assert late
        units = {e["unit"] for e in late}
        api.container.tick()  # flagged once
        again = api.get(f"/api/v1/plan-activations/{act['id']}", "city_op").json()
        assert len([e for e in again["timeline"] if e["kind"] == "task_overdue"]) == len(late)
        with api.container.reader() as uow:
            inbox = uow.notifications.inbox(
                [("unit", u) for u in units], district=None, street=None, unread_only=False,
                limit=50,
            )  # fmt: skip
        assert {n.recipient for n in inbox if n.kind == "plan_task_overdue"} == units
        # ... and the centre one level up hears of it (督办), as with an overdue event.
        above = api.container.city.jurisdictions[act["jurisdiction"]].parent_code
        assert {e.get("escalated_to") for e in late} == {above}
        with api.container.reader() as uow:
            centre = uow.notifications.inbox(
                [("centre", above)], district=None, street=None, unread_only=False, limit=50
            )
        assert any(n.kind == "plan_task_overdue" for n in centre)
        with api.container.reader() as uow:
            names = {m.name for m in uow.unpublished(limit=10_000)}
        assert "PlanTaskOverdue" in names or late  # relayed by the tick
    finally:
        clock.advance(hours=-3)  # type: ignore[attr-defined]


def test_resources_are_assigned_released_and_counted_per_district(api: Api) -> None:
    act = next(a for a in activations(api, "rainstorm-waterlogging") if a["status"] == "active")
    task = next(t for t in act["tasks"] if t["department"] == "URBAN")
    before = api.get("/api/v1/resources/availability", "city_op").json()
    assert "how" in before
    lon, lat = api.point_in(act["jurisdiction"])
    near = api.get(
        f"/api/v1/resources/nearest?lon={lon}&lat={lat}&type=drainage_pump_truck", "city_op"
    ).json()["items"][0]
    base = f"/api/v1/plan-activations/{act['id']}/tasks/{task['id']}/resources"
    r = api.post(base, "city_op", {"resource_id": near["id"]})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["progress"]["resources_committed"] == 1
    assert any(e["kind"] == "resource_assigned" for e in got["timeline"])
    # Held: not assignable twice, counted as assigned.
    assert api.post(base, "city_op", {"resource_id": near["id"]}).status_code == 422
    assert api.post(base, "city_op", {"resource_id": "NOPE"}).status_code == 404
    after = api.get("/api/v1/resources/availability", "city_op").json()["districts"]
    total = sum(d["total_available"] for d in after.values())
    assert total == sum(d["total_available"] for d in before["districts"].values()) - 1
    assert sum(d["assigned"].get("drainage_pump_truck", 0) for d in after.values()) >= 1

    r = api.post(f"{base}/{near['id']}/release", "city_op", {"feedback": "归队"})
    assert r.status_code == 200, r.text
    assert r.json()["progress"]["resources_committed"] == 0
    assert any(e["kind"] == "resource_released" for e in r.json()["timeline"])
    final = api.get("/api/v1/resources/availability", "city_op").json()
    assert final["districts"] == before["districts"]


def test_an_upgrade_of_a_plan_with_confirmation_waits_for_a_person_too(api: Api) -> None:
    district = districts(api)[1]
    act = next(
        a for a in activations(api, "rainstorm-waterlogging")
        if a["jurisdiction"] == district and a["status"] == "active"
    )  # fmt: skip
    report(api, district, "ND01", 20, start=5)  # 25 points: a graver level's conditions hold
    api.container.tick()
    got = api.get(f"/api/v1/plan-activations/{act['id']}", "city_op").json()
    pending = got["pending_level"]
    assert got["level"] == act["level"] == "IV"
    assert pending in ("III", "II", "I")
    base = f"/api/v1/plan-activations/{act['id']}"
    assert api.post(f"{base}/decline-upgrade", "city_op", {"reason": ""}).status_code == 422
    r = api.post(f"{base}/confirm", "city_op", {"reason": "积水点激增，升级"})
    assert r.status_code == 200, r.text
    up = r.json()
    assert (up["level"], up["pending_level"]) == (pending, None)
    assert [e["kind"] for e in up["timeline"]][-2:] == ["upgrade_proposed", "upgraded"]
    assert api.post(f"{base}/decline-upgrade", "city_op", {"reason": "x"}).status_code == 422
