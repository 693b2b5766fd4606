"""The replay snapshot for a time slider: an event's state and coordinates at chosen moments."""

from __future__ import annotations

from datetime import timedelta

from cityloop.domain.clock import FixedClock
from tests.e2e.conftest import Api


def test_the_snapshot_gives_each_events_state_then_with_coordinates(
    api: Api, module_clock: FixedClock
) -> None:
    lon, lat = api.point_in("YZ01S01")
    before = module_clock.now() - timedelta(seconds=1)
    r = api.post(
        "/api/v1/events",
        "city_op",
        {"title": "路灯不亮 slider", "lon": lon, "lat": lat, "type_code": "UM09"},
    )
    eid, ref = r.json()["id"], r.json()["ref"]
    api.post(f"/api/v1/events/{eid}/triage", "city_op", {"type_code": "UM09"})
    api.post(f"/api/v1/events/{eid}/dispatch", "city_op", {"level": "street"})
    dispatched = module_clock.now()
    module_clock.advance(minutes=30)
    assert api.post(f"/api/v1/events/{eid}/accept", "urban_yz01").status_code == 200
    accepted = module_clock.now()

    def at(moment, user="yz01_op"):  # type: ignore[no-untyped-def]
        r = api.get("/api/v1/replay/snapshot", user, params={"at": moment.isoformat()})
        assert r.status_code == 200, r.text
        return r.json()

    assert ref not in {e["ref"] for e in at(before)["events"]}
    then = next(e for e in at(dispatched + timedelta(minutes=1))["events"] if e["ref"] == ref)
    assert (then["state"], then["street"]) == ("dispatched", "YZ01S01")
    assert (then["lon"], then["lat"]) == (lon, lat)
    now = at(accepted)
    mine = next(e for e in now["events"] if e["ref"] == ref)
    assert (mine["state"], mine["unit"]) == ("accepted", "URBAN")
    assert now["events_by_state"]["accepted"] >= 1
    assert now["truncated"] is False
    assert ref not in {e["ref"] for e in at(accepted, "yz02_op")["events"]}
    naive = api.get("/api/v1/replay/snapshot", "yz01_op", params={"at": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
