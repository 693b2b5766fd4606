"""Source tracing: which registered discharge points may have caused a water-quality warning.

When a station warns, the pollution entered the river upstream of it and below the nearest
upstream station that still reads normal (the Qijiang case, seed 004 §4.2). `trace_sources`
walks the river tree up from the warning station: along its own segment towards the upstream
end, then into every segment that flows into it, and so on. On each branch the walk passes the
stations that do not read normal and stops at the first one that does; a branch without such a
station ends at the river's source. Every discharge point passed is a candidate, ordered by river
distance upstream of the warning station.

Build `RiverNetwork.from_city(city)`, `place_stations(...)` and `place_discharges(...)` once;
each trace is then a walk over the few segments concerned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from cityloop.engine.discharges import DischargeRow
from cityloop.engine.river_network import RiverNetwork, RiverPoints
from cityloop.engine.sensor_types import SensorType
from cityloop.engine.sensors import SensorTable

QUALITY_TYPES: tuple[SensorType, ...] = (SensorType.DISSOLVED_OXYGEN,)
"""Station types whose normal reading shows that the water above them is clean. A water-level
gauge says nothing about pollution, so it neither bounds nor extends a search by default."""


@dataclass(frozen=True)
class PlacedDischarges:
    """Discharge points placed on the network, with their rows (`rows[k]` is point k)."""

    points: RiverPoints
    rows: tuple[DischargeRow, ...]


def place_stations(
    network: RiverNetwork, sensors: SensorTable, types: Iterable[SensorType] = QUALITY_TYPES
) -> RiverPoints:
    """The sensors of `types` linked to a known river segment, placed on it."""
    chosen = sensors.of_types(types)
    chosen = chosen[[sensors.rivers[int(i)] is not None for i in chosen]] if len(chosen) else chosen
    ids = [sensors.ids[int(i)] for i in chosen]
    rivers = [sensors.rivers[int(i)] for i in chosen]
    return RiverPoints.place(network, ids, rivers, sensors.lon[chosen], sensors.lat[chosen])


def place_discharges(network: RiverNetwork, rows: Sequence[DischargeRow]) -> PlacedDischarges:
    """The discharge points on a known segment, placed on it."""
    points = RiverPoints.place(
        network,
        [r.id for r in rows],
        [r.river for r in rows],
        np.array([r.lon for r in rows], dtype=np.float64),
        np.array([r.lat for r in rows], dtype=np.float64),
    )
    return PlacedDischarges(points, tuple(rows[k] for k in points.source_rows.tolist()))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A discharge point upstream of the warning station, below the bounding normal stations."""

    id: str
    name_zh: str
    name_en: str
    kind: str
    permit: str
    department: str
    segment: str
    distance_m: float
    """River distance upstream of the warning station."""


@dataclass(frozen=True, slots=True)
class StationOnPath:
    id: str
    segment: str
    distance_m: float


@dataclass(frozen=True, slots=True)
class BranchEnd:
    """Where one branch of the search stopped: at a normal station, or at a river's source."""

    segment: str
    station: str | None
    """The station that reads normal; None when the branch reached the source."""
    distance_m: float


@dataclass(frozen=True)
class TraceResult:
    station: str
    segment: str
    candidates: tuple[Candidate, ...]
    """Ordered by distance upstream, then id."""
    passed: tuple[StationOnPath, ...]
    """Stations upstream that do not read normal either (the search went past them)."""
    bounds: tuple[BranchEnd, ...]
    segments: tuple[str, ...]
    """The segments searched, in the order visited."""
    reasons: tuple[str, ...]


def _metres(d: float) -> str:
    return f"{d:,.0f} m"


def trace_sources(
    network: RiverNetwork,
    stations: RiverPoints,
    discharges: PlacedDischarges,
    warning_station_id: str,
    station_is_normal: Callable[[str], bool],
) -> TraceResult:
    """The candidate sources of a warning at `warning_station_id` (see the module docstring).

    `station_is_normal(id)` says whether another station currently reads normal; a station
    without a recent reading should answer False, so that the search is not cut short by it.
    """
    if warning_station_id not in stations.index:
        raise KeyError(f"{warning_station_id!r} is not a monitoring station on a known segment")
    k0 = stations.index[warning_station_id]
    seg0 = int(stations.segment[k0])
    pos0 = float(stations.position_m[k0])
    walk = _Walk(network, stations, discharges, warning_station_id, station_is_normal)
    walk.reasons.append(
        f"station {warning_station_id} on segment {network.ids[seg0]} warns: searching upstream "
        f"of it ({_metres(pos0)} from the segment's upstream end)"
    )
    # Each entry: segment, highest position searched on it, river distance at that position.
    todo: list[tuple[int, float, float]] = [(seg0, pos0, 0.0)]
    while todo:
        seg, limit, base = todo.pop()
        if walk.segment(seg, limit, base):
            ups = network.upstream[seg]
            start = base + limit
            if not ups:
                walk.reached_source(seg, start)
            todo.extend((u, float(network.length_m[u]), start) for u in reversed(ups))
    candidates = sorted(walk.candidates, key=lambda c: (c.distance_m, c.id))
    summary = (
        f"{len(candidates)} candidate discharge point(s) between station {warning_station_id} "
        f"and the stations upstream that read normal"
    )
    return TraceResult(
        station=warning_station_id,
        segment=network.ids[seg0],
        candidates=tuple(candidates),
        passed=tuple(sorted(walk.passed, key=lambda s: (s.distance_m, s.id))),
        bounds=tuple(walk.bounds),
        segments=tuple(walk.visited),
        reasons=(*walk.reasons, summary),
    )


class _Walk:
    """The state of one trace: what has been found so far, and why."""

    def __init__(
        self,
        network: RiverNetwork,
        stations: RiverPoints,
        discharges: PlacedDischarges,
        origin: str,
        is_normal: Callable[[str], bool],
    ) -> None:
        self.network, self.stations, self.discharges = network, stations, discharges
        self.origin, self.is_normal = origin, is_normal
        self.candidates: list[Candidate] = []
        self.passed: list[StationOnPath] = []
        self.bounds: list[BranchEnd] = []
        self.visited: list[str] = []
        self.reasons: list[str] = []

    def segment(self, seg: int, limit: float, base: float) -> bool:
        """Search segment `seg` from position `limit` up; True when the branch goes on above it."""
        name = self.network.ids[seg]
        self.visited.append(name)
        floor = -np.inf  # positions above which (exclusive) discharge points are candidates
        keep_going = True
        st = self.stations.on_segment(seg)  # from the downstream end up
        st = st[self.stations.position_m[st] <= limit]
        for k in st.tolist():
            sid = self.stations.ids[k]
            if sid == self.origin:
                continue
            pos = float(self.stations.position_m[k])
            distance = base + limit - pos
            if self.is_normal(sid):
                self.bounds.append(BranchEnd(name, sid, distance))
                self.reasons.append(
                    f"station {sid} on segment {name} reads normal ({_metres(distance)} "
                    f"upstream): the search stops there"
                )
                floor, keep_going = pos, False
                break
            self.passed.append(StationOnPath(sid, name, distance))
            self.reasons.append(
                f"station {sid} on segment {name} does not read normal ({_metres(distance)} "
                f"upstream): the search goes on past it"
            )
        self._collect(seg, name, floor, limit, base)
        return keep_going

    def _collect(self, seg: int, name: str, floor: float, limit: float, base: float) -> None:
        points = self.discharges.points
        found = points.on_segment(seg)
        pos = points.position_m[found]
        found = found[(pos <= limit) & (pos > floor)]
        for k in found.tolist():
            row = self.discharges.rows[k]
            distance = base + limit - float(points.position_m[k])
            self.candidates.append(
                Candidate(row.id, row.name_zh, row.name_en, row.kind.value, row.permit,
                          row.department, name, distance)
            )  # fmt: skip
        if len(found):
            self.reasons.append(
                f"segment {name}: {len(found)} registered discharge point(s) in the searched "
                f"stretch are candidates"
            )

    def reached_source(self, seg: int, distance: float) -> None:
        name = self.network.ids[seg]
        self.bounds.append(BranchEnd(name, None, distance))
        self.reasons.append(
            f"segment {name} has no station reading normal up to its source "
            f"({_metres(distance)} upstream): the branch ends there"
        )
