"""Travel times: over a road graph when the city has roads, else the straight line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cityloop.plans.resources import haversine_m
from cityloop.plans.travel import (
    ACCESS_SPEED_KMH,
    DETOUR,
    SPEEDS_KMH,
    STRAIGHT_SPEED_KMH,
    RoadNetwork,
    StraightLine,
    build_road_network,
    travel_model,
)

LAT = 29.5


def road(code: str, cls: str, coords: list[list[float]]) -> dict[str, Any]:
    props = {"code": code, "name_zh": code, "name_en": code, "class": cls}
    return {"type": "Feature", "properties": props, "geometry": {"type": "LineString",
            "coordinates": coords}}  # fmt: skip


def per_min(kmh: float) -> float:
    return kmh * 1000 / 60


def metres(a: list[float], b: list[float]) -> float:
    return float(haversine_m(a[0], a[1], [b[0]], [b[1]])[0])


def test_crossing_roads_are_joined_where_they_cross_and_each_keeps_its_speed() -> None:
    # An avenue west → east and a street south → north crossing it in the middle; the two
    # lines share no vertex: the graph must node them at the crossing.
    west, east = [106.50, LAT], [106.52, LAT]
    south, north = [106.51, LAT - 0.01], [106.51, LAT + 0.01]
    net = build_road_network(
        [road("A", "avenue", [west, east]), road("S", "street", [south, north])]
    )
    assert isinstance(net, RoadNetwork)
    assert net.lon.size == 5  # four ends and the crossing
    assert net.connectors == 0
    crossing = [106.51, LAT]
    expected = metres(west, crossing) / per_min(SPEEDS_KMH["avenue"]) + metres(
        crossing, north
    ) / per_min(SPEEDS_KMH["street"])
    got = net.minutes(west[0], west[1], [north[0]], [north[1]])[0]
    assert got == pytest.approx(expected, rel=1e-6)


def test_roads_drawn_apart_are_joined_by_a_connector_at_the_off_road_pace() -> None:
    a_end, b_start = [106.51, LAT], [106.511, LAT]
    net = build_road_network(
        [
            road("A", "road", [[106.50, LAT], a_end]),
            road("B", "road", [b_start, [106.52, LAT]]),
        ]
    )
    assert net.connectors == 1
    start, finish = [106.50, LAT], [106.52, LAT]
    expected = (
        metres(start, a_end) / per_min(SPEEDS_KMH["road"])
        + metres(a_end, b_start) * DETOUR / per_min(ACCESS_SPEED_KMH)
        + metres(b_start, finish) / per_min(SPEEDS_KMH["road"])
    )
    assert net.minutes(*start, [finish[0]], [finish[1]])[0] == pytest.approx(expected, rel=1e-6)


def test_legs_off_the_road_and_next_door_trips_go_straight_with_the_detour() -> None:
    net = build_road_network([road("A", "avenue", [[106.50, LAT], [106.52, LAT]])])
    off = per_min(ACCESS_SPEED_KMH) / DETOUR
    # 100 m north of the road's west end to 100 m north of its east end: on and off the road.
    start, finish = [106.50, LAT + 0.0009], [106.52, LAT + 0.0009]
    via = (
        metres(start, [106.50, LAT]) / off
        + metres([106.50, LAT], [106.52, LAT]) / per_min(SPEEDS_KMH["avenue"])
        + metres([106.52, LAT], finish) / off
    )
    assert net.minutes(*start, [finish[0]], [finish[1]])[0] == pytest.approx(via, rel=1e-6)
    # A target 50 m away across the road: straight is quicker than going via the road.
    near = [106.50, LAT - 0.00045]
    assert net.minutes(*start, [near[0]], [near[1]])[0] == pytest.approx(
        metres(start, near) / off, rel=1e-6
    )


def test_a_city_without_roads_travels_in_a_straight_line(tmp_path: Path) -> None:
    model = travel_model(tmp_path)
    assert isinstance(model, StraightLine)
    assert model.kind == "straight_line"
    d = metres([106.50, LAT], [106.52, LAT])
    got = model.minutes(106.50, LAT, [106.52], [LAT])[0]
    assert got == pytest.approx(d / per_min(STRAIGHT_SPEED_KMH))
    assert "no road graph" in model.how


def test_the_demo_city_has_a_connected_road_graph(demo_city_dir: Path) -> None:
    model = travel_model(demo_city_dir)
    assert model.kind == "road_graph"
    assert isinstance(model, RoadNetwork)
    features = json.loads((demo_city_dir / "roads.geojson").read_text(encoding="utf-8"))
    assert model.roads == len(features["features"])
    # Every node is reachable from any other (components were joined).
    lons, lats = model.lon[::50], model.lat[::50]
    assert bool((model.minutes(float(lons[0]), float(lats[0]), lons, lats) < 1e6).all())
