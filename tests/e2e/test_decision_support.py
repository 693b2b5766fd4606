"""Decision support on the demo city: exposed sites, population estimate, resources, levels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cityloop.plans.decision import ETA_TARGET_MIN
from cityloop.plans.resources import ResourceRegistry
from cityloop.plans.travel import SPEEDS_KMH, travel_model
from tests.e2e.conftest import Api


def hospital_event(api: Api, site: str = "hospital") -> str:
    """A waterlogging event right next to the demo city's first hospital (or other site)."""
    from cityloop.plans.decision import load_places

    places = load_places(api.container.city.root)
    i = next(k for k, kind in enumerate(places.kinds) if kind == site)
    lon, lat = float(places.lon[i]) + 0.0003, float(places.lat[i])
    body = {"title": "医院门口积水", "type_code": "ND01", "lon": lon, "lat": lat}
    r = api.post("/api/v1/events", "city_op", body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def check_figures(api: Api, body: dict[str, Any]) -> None:
    sites = body["sites"]
    for kind in ("school", "hospital", "elderly_home"):
        d = [s["distance_m"] for s in sites[kind]["items"]]
        assert d == sorted(d)
        assert all(x <= body["radius_m"] for x in d)
        assert sites[kind]["count"] == len(d)
        assert sites[kind]["how"]
    pop = body["population"]
    assert pop["is_estimate"]
    assert "ESTIMATE" in pop["how"]
    assert pop["estimate"] == round(pop["households"] * 2.5)
    # The demo city has roads.geojson: ETAs are travel times over the road graph, quickest first.
    travel = travel_model(Path(api.container.city.root))
    assert body["nearest_resources"]["travel"] == travel.kind == "road_graph"
    assert "road graph" in body["nearest_resources"]["how"]
    registry = {r.id: r for r in ResourceRegistry.load(Path(api.container.city.root)).rows}
    point = body["point"]
    for units in body["nearest_resources"]["by_type"].values():
        etas = [u["eta_min"] for u in units]
        assert etas == sorted(etas)
        for u in units:
            r = registry[u["id"]]
            expected = travel.minutes(point["lon"], point["lat"], [r.lon], [r.lat])[0]
            assert abs(u["eta_min"] - expected) < 0.01
            # Never quicker than a straight line at the fastest road speed.
            assert u["eta_min"] >= u["distance_m"] / (max(SPEEDS_KMH.values()) * 1000 / 60) - 0.01
    courses = body["courses_of_action"]
    assert [c["level"] for c in courses] == ["IV", "III", "II", "I"]
    for c in courses:
        assert 0 <= c["coverage"] <= 1
        assert 0 <= c["share_within_30min"] <= 1
        assert 0 <= c["score"] <= 1
        etas = [u["eta_min"] for r in c["resources"] for u in r["units"]]
        assert c["units_needed"] == sum(r["needed"] for r in c["resources"])
        if etas:
            assert abs(c["mean_eta_min"] - sum(etas) / len(etas)) < 0.01
        within = sum(e <= ETA_TARGET_MIN for e in etas)
        assert abs(c["share_within_30min"] - within / c["units_needed"]) < 1e-3
        timeliness = max(0.0, 1 - c["mean_eta_min"] / ETA_TARGET_MIN) if etas else 0.0
        score = 0.4 * timeliness + 0.3 * c["share_within_30min"] + 0.3 * c["coverage"]
        assert abs(c["score"] - score) < 1e-3
        assert set(c["how"]) >= {"mean_eta_min", "share_within_30min", "coverage", "score"}
    # In the demo plans graver levels need at least as many units.
    assert [c["units_needed"] for c in courses] == sorted(c["units_needed"] for c in courses)
    assert body["best_level"] == max(courses, key=lambda c: c["score"])["level"]


def test_decision_support_for_an_event(api: Api) -> None:
    eid = hospital_event(api)
    r = api.get(f"/api/v1/decision-support?event_id={eid}&radius_m=1500", "city_op")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan_id"] == "rainstorm-waterlogging"
    assert body["sites"]["hospital"]["count"] >= 1
    assert body["population"]["estimate"] > 0
    check_figures(api, body)
    wide = api.get(f"/api/v1/decision-support?event_id={eid}&radius_m=5000", "city_op").json()
    assert wide["population"]["estimate"] >= body["population"]["estimate"]


def test_decision_support_for_an_activation(api: Api) -> None:
    eid = hospital_event(api)
    body = {"level": "IV", "reason": "积水", "event_ids": [eid]}
    r = api.post("/api/v1/plans/rainstorm-waterlogging/activations", "city_op", body)
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    r = api.get(f"/api/v1/decision-support?activation_id={aid}", "city_op")
    assert r.status_code == 200, r.text
    assert r.json()["subject"]["activation_id"] == aid
    check_figures(api, r.json())
    api.post(f"/api/v1/plan-activations/{aid}/terminate", "city_op", {"reason": "over"})


def test_invisible_events_and_bad_requests(api: Api) -> None:
    eid = hospital_event(api)
    owner = api.get(f"/api/v1/events/{eid}", "city_op").json()
    district = owner["location"]["chain"]["district"] if owner.get("location") else None
    other = "yz02_op" if district == "YZ01" else "yz01_op"
    assert api.get(f"/api/v1/events/{eid}", other).status_code == 404
    assert api.get(f"/api/v1/decision-support?event_id={eid}", other).status_code == 404
    assert api.get("/api/v1/decision-support?event_id=nope", "city_op").status_code == 404
    assert api.get("/api/v1/decision-support", "city_op").status_code == 422
    assert api.client.get(f"/api/v1/decision-support?event_id={eid}").status_code == 401


def test_elderly_homes_next_to_an_event_are_exposed_sites(api: Api) -> None:
    eid = hospital_event(api, "elderly_home")
    r = api.get(f"/api/v1/decision-support?event_id={eid}&radius_m=300", "city_op")
    assert r.status_code == 200, r.text
    homes = r.json()["sites"]["elderly_home"]
    assert homes["count"] >= 1
    assert homes["items"][0]["distance_m"] < 60
    assert "elderly_home" in homes["how"]
