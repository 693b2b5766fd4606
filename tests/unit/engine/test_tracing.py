"""Source tracing on a tiny hand-made river network, with exact expectations.

Network (flow left to right and down):

    T1 (north → south, 0.01° of latitude) ──┐
    M1 (west → east, 0.01° of longitude) ───┴─► M2 (west → east) ─► outlet

Points are placed at fractions of their segment; the local projection is linear, so a fraction
of a straight segment is the same fraction of its length in metres.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import shapely

from cityloop.engine.discharges import DischargeRow
from cityloop.engine.river_network import RiverNetwork, RiverPoints
from cityloop.engine.tracing import (
    BranchEnd,
    PlacedDischarges,
    place_discharges,
    place_stations,
    trace_sources,
)
from tests.unit.engine.helpers import sensor, table

LINES = {
    "M1": ((106.50, 29.50), (106.51, 29.50)),
    "M2": ((106.51, 29.50), (106.52, 29.50)),
    "T1": ((106.51, 29.51), (106.51, 29.50)),
}
DOWNSTREAM = {"M1": "M2", "M2": None, "T1": "M2"}


def at(segment: str, fraction: float, side_m: float = 0.0) -> tuple[float, float]:
    """The point at `fraction` of a segment, moved `side_m` metres north (or east for T1)."""
    (x0, y0), (x1, y1) = LINES[segment]
    x, y = x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0)
    if segment == "T1":
        return x + side_m / 96_000, y
    return x, y + side_m / 110_540


@pytest.fixture(scope="module")
def network() -> RiverNetwork:
    return RiverNetwork.from_segments(
        (sid, DOWNSTREAM[sid], shapely.LineString(line)) for sid, line in LINES.items()
    )


def stations_at(network: RiverNetwork, spots: dict[str, tuple[str, float]]) -> RiverPoints:
    ids = list(spots)
    xy = [at(seg, f) for seg, f in spots.values()]
    return RiverPoints.place(
        network, ids, [s for s, _ in spots.values()], [p[0] for p in xy], [p[1] for p in xy]
    )


def discharge(pid: str, segment: str, fraction: float, side_m: float = 0.0) -> DischargeRow:
    lon, lat = at(segment, fraction, side_m)
    return DischargeRow(
        id=pid, name_zh=f"{pid}厂", name_en=f"{pid} works", kind="factory",
        permit=f"PERMIT-{pid}", river=segment, lon=lon, lat=lat, department="ENV",
    )  # fmt: skip


STATIONS = {"W": ("M2", 0.8), "MID": ("M2", 0.4), "UP": ("M1", 0.5), "TRIB": ("T1", 0.3),
            "DOWN": ("M2", 0.95)}  # fmt: skip
DISCHARGES = [
    discharge("D1", "M2", 0.9),  # downstream of the warning station
    discharge("D2", "M2", 0.6, side_m=120.0),  # an outfall pipe beside the river
    discharge("D3", "M2", 0.1),  # above a station that also reads badly
    discharge("D4", "M1", 0.7),  # below the normal station UP
    discharge("D5", "M1", 0.2),  # above UP: excluded
    discharge("D6", "T1", 0.6),  # below the normal station TRIB
    discharge("D7", "T1", 0.1),  # above TRIB: excluded
]


@pytest.fixture(scope="module")
def placed(network: RiverNetwork) -> tuple[RiverPoints, PlacedDischarges]:
    return stations_at(network, STATIONS), place_discharges(network, DISCHARGES)


def normal_except(*bad: str) -> Callable[[str], bool]:
    return lambda sid: sid not in bad


def test_segments_are_measured_in_metres_from_their_upstream_end(network: RiverNetwork) -> None:
    m1, t1 = network.index["M1"], network.index["T1"]
    assert network.length_m[m1] == pytest.approx(0.01 * network.m_per_deg_lon)
    assert network.length_m[t1] == pytest.approx(1105.4)
    assert network.upstream[network.index["M2"]] == (m1, t1)
    assert network.downstream[m1] == network.index["M2"]


def test_candidates_lie_between_the_warning_station_and_the_nearest_normal_stations(
    network: RiverNetwork, placed: tuple[RiverPoints, PlacedDischarges]
) -> None:
    stations, discharges = placed
    result = trace_sources(network, stations, discharges, "W", normal_except("W", "MID"))
    lm, lt = network.length_m[network.index["M1"]], network.length_m[network.index["T1"]]
    assert [(c.id, c.segment) for c in result.candidates] == [
        ("D2", "M2"), ("D3", "M2"), ("D4", "M1"), ("D6", "T1"),
    ]  # fmt: skip
    assert [c.distance_m for c in result.candidates] == pytest.approx(
        [0.2 * lm, 0.7 * lm, 0.8 * lm + 0.3 * lm, 0.8 * lm + 0.4 * lt]
    )
    assert [(s.id, s.distance_m) for s in result.passed] == [("MID", pytest.approx(0.4 * lm))]
    assert list(result.bounds) == [
        BranchEnd("M1", "UP", pytest.approx(1.3 * lm)),
        BranchEnd("T1", "TRIB", pytest.approx(0.8 * lm + 0.7 * lt)),
    ]
    assert result.segments == ("M2", "M1", "T1")


def test_candidates_carry_the_permit_and_owner_of_the_discharge_point(
    network: RiverNetwork, placed: tuple[RiverPoints, PlacedDischarges]
) -> None:
    stations, discharges = placed
    first = trace_sources(network, stations, discharges, "W", normal_except("W")).candidates[0]
    assert (first.id, first.name_en, first.kind, first.permit, first.department) == (
        "D2", "D2 works", "factory", "PERMIT-D2", "ENV"
    )  # fmt: skip


def test_a_normal_station_just_upstream_on_the_same_segment_stops_the_search_there(
    network: RiverNetwork, placed: tuple[RiverPoints, PlacedDischarges]
) -> None:
    stations, discharges = placed
    result = trace_sources(network, stations, discharges, "W", normal_except("W"))
    assert [c.id for c in result.candidates] == ["D2"]
    assert result.bounds == (BranchEnd("M2", "MID", pytest.approx(0.4 * network.length_m[0])),)
    assert result.segments == ("M2",)
    assert any("station MID on segment M2 reads normal" in r for r in result.reasons)


def test_a_branch_without_a_normal_station_runs_to_the_source(
    network: RiverNetwork, placed: tuple[RiverPoints, PlacedDischarges]
) -> None:
    stations, discharges = placed
    result = trace_sources(network, stations, discharges, "W", lambda sid: False)
    assert {c.id for c in result.candidates} == {"D2", "D3", "D4", "D5", "D6", "D7"}
    assert {(b.segment, b.station) for b in result.bounds} == {("M1", None), ("T1", None)}
    assert [s.id for s in result.passed] == ["MID", "UP", "TRIB"]
    assert any("T1 has no station reading normal up to its source" in r for r in result.reasons)


def test_stations_downstream_and_the_warning_station_itself_are_never_asked(
    network: RiverNetwork, placed: tuple[RiverPoints, PlacedDischarges]
) -> None:
    stations, discharges = placed
    asked: list[str] = []

    def is_normal(sid: str) -> bool:
        asked.append(sid)
        return sid != "MID"

    trace_sources(network, stations, discharges, "W", is_normal)
    assert asked == ["MID", "UP", "TRIB"]


def test_the_reasons_say_why_the_search_stopped_on_each_branch(
    network: RiverNetwork, placed: tuple[RiverPoints, PlacedDischarges]
) -> None:
    stations, discharges = placed
    reasons = trace_sources(network, stations, discharges, "W", normal_except("MID")).reasons
    assert reasons[0].startswith("station W on segment M2 warns")
    assert "station MID on segment M2 does not read normal" in reasons[1]
    assert any(r.startswith("station UP on segment M1 reads normal") for r in reasons)
    assert reasons[-1].startswith("4 candidate discharge point(s) between station W")


def test_a_station_at_the_top_of_a_segment_searches_the_segments_above(
    network: RiverNetwork,
) -> None:
    stations = stations_at(network, {"TOP": ("M2", 0.0), "UP": ("M1", 0.5)})
    result = trace_sources(
        network, stations, place_discharges(network, DISCHARGES), "TOP", normal_except()
    )
    assert [c.id for c in result.candidates] == ["D4", "D6", "D7"]
    assert result.candidates[0].distance_m == pytest.approx(0.3 * network.length_m[0])


def test_discharge_points_on_unknown_segments_are_left_out(network: RiverNetwork) -> None:
    rows = [
        discharge("D1", "M2", 0.5),
        discharge("D2", "M2", 0.5).model_copy(update={"river": "X"}),
    ]
    placed = place_discharges(network, rows)
    assert placed.points.ids == ("D1",)
    assert [r.id for r in placed.rows] == ["D1"]


def test_tracing_from_an_unknown_station_is_refused(
    network: RiverNetwork, placed: tuple[RiverPoints, PlacedDischarges]
) -> None:
    stations, discharges = placed
    with pytest.raises(KeyError, match="NOPE"):
        trace_sources(network, stations, discharges, "NOPE", normal_except())


def test_stations_are_the_dissolved_oxygen_sensors_linked_to_a_segment(
    network: RiverNetwork,
) -> None:
    x, y = at("M2", 0.5)
    sensors = table(
        sensor("DO1", "dissolved_oxygen", lon=x, lat=y, river="M2"),
        sensor("DO2", "dissolved_oxygen", lon=x, lat=y),
        sensor("WL1", "water_level", lon=x, lat=y, river="M2"),
        sensor("DO3", "dissolved_oxygen", lon=x, lat=y, river="NOWHERE"),
    )
    stations = place_stations(network, sensors)
    assert stations.ids == ("DO1",)
    assert stations.position_m[0] == pytest.approx(0.5 * network.length_m[1])
