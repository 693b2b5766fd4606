"""Source tracing on the demo city's river, checked against an independent downstream walk.

The oracle: a discharge point is a candidate of a warning at station W exactly when, following
the water down from the point, W is reached and every station met before it does not read normal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cityloop.city import City
from cityloop.engine.discharges import load_discharges
from cityloop.engine.river_network import RiverNetwork, RiverPoints
from cityloop.engine.sensors import load_sensor_table
from cityloop.engine.tracing import PlacedDischarges, place_discharges, place_stations
from cityloop.engine.tracing import trace_sources as trace

Placed = tuple[RiverNetwork, RiverPoints, PlacedDischarges]


@pytest.fixture(scope="module")
def river(demo_city: City, demo_city_dir: Path) -> Placed:
    network = RiverNetwork.from_city(demo_city)
    stations = place_stations(network, load_sensor_table(demo_city_dir))
    return network, stations, place_discharges(network, load_discharges(demo_city_dir))


def stations_downstream(river: Placed, segment: int, position: float) -> list[str]:
    """The stations met by water leaving `position` of `segment`, in order."""
    network, stations, _ = river
    met: list[str] = []
    while segment >= 0:
        on = stations.on_segment(segment)[::-1]  # from the upstream end down
        met += [stations.ids[k] for k in on.tolist() if stations.position_m[k] >= position]
        segment, position = int(network.downstream[segment]), 0.0
    return met


def expected(river: Placed, warning: str, is_normal: Callable[[str], bool]) -> set[str]:
    _, _, discharges = river
    found = set()
    for k, pid in enumerate(discharges.points.ids):
        seg, pos = int(discharges.points.segment[k]), float(discharges.points.position_m[k])
        met = stations_downstream(river, seg, pos)
        if warning in met and not any(is_normal(s) for s in met[: met.index(warning)]):
            found.add(pid)
    return found


def test_every_station_of_the_demo_river_is_placed_on_its_segment(river: Placed) -> None:
    network, stations, discharges = river
    assert len(stations) == 40
    assert len(discharges.points) == len(discharges.rows) >= 150
    assert (stations.position_m >= 0).all()
    assert (stations.position_m <= network.length_m[stations.segment] + 1e-6).all()


@pytest.mark.parametrize("station", [f"DO{k:05d}" for k in range(1, 41)])
def test_with_every_other_station_normal_the_candidates_are_those_draining_first_to_it(
    river: Placed, station: str
) -> None:
    network, stations, discharges = river
    result = trace(network, stations, discharges, station, lambda s: s != station)
    assert {c.id for c in result.candidates} == expected(river, station, lambda s: s != station)
    assert all(b.station is None or b.station != station for b in result.bounds)
    assert result.passed == ()


@pytest.mark.parametrize("seed", range(6))
def test_stations_reading_badly_extend_the_search_past_them(river: Placed, seed: int) -> None:
    network, stations, discharges = river
    rng = np.random.default_rng(seed)
    bad = {s for s in stations.ids if rng.uniform() < 0.5}
    warning = sorted(bad)[0] if bad else stations.ids[0]
    bad.add(warning)
    result = trace(network, stations, discharges, warning, lambda s: s not in bad)
    assert {c.id for c in result.candidates} == expected(river, warning, lambda s: s not in bad)
    assert {s.id for s in result.passed} <= bad
    assert all(b.station is None or b.station not in bad for b in result.bounds)


def test_a_warning_below_a_confluence_is_bounded_on_both_branches(river: Placed) -> None:
    network, stations, discharges = river
    # The most upstream station of the first segment with stations that two segments flow into.
    seg = next(s for s in range(len(network))
               if len(network.upstream[s]) == 2 and len(stations.on_segment(s)))  # fmt: skip
    on = stations.on_segment(seg)
    warning = stations.ids[int(on[-1])]  # the most upstream station of the segment
    result = trace(network, stations, discharges, warning, lambda s: s != warning)
    distances = [c.distance_m for c in result.candidates]
    assert result.candidates
    assert distances == sorted(distances)
    assert all(d >= 0 for d in distances)
    assert {c.segment for c in result.candidates} <= set(result.segments)
    assert len(result.segments) > 1
    upstream_ids = {network.ids[u] for u in network.upstream[seg]}
    assert upstream_ids <= set(result.segments)
    assert result.reasons[-1].startswith(f"{len(result.candidates)} candidate discharge point(s)")
