"""The river network as a graph of segments, and points placed along it by river distance.

Segments are drawn upstream end first (`rivers.geojson`) and name the segment they flow into, so
the network is a forest of trees rooted at the outlets. Geometry is kept in metres in a local
equirectangular projection around the network's centre (exact enough within a city), so that a
point's *position* on a segment is its distance in metres from the segment's upstream end,
measured along the line; upstream means a smaller position, or a segment further up the tree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray

if TYPE_CHECKING:
    from cityloop.city.model import City

M_PER_DEG_LAT = 110_540.0
"""Metres per degree of latitude (WGS84, mid-latitudes)."""

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class RiverNetwork:
    """Segments by dense index: ids, downstream links, upstream lists, lines and lengths in m."""

    ids: tuple[str, ...]
    downstream: IntArray
    """Dense index of the segment each one flows into, -1 at an outlet."""
    upstream: tuple[tuple[int, ...], ...]
    """Dense indices of the segments flowing into each one, in id order."""
    lines: NDArray[np.object_] = field(repr=False)
    """Each segment as a shapely LineString in local metres."""
    length_m: FloatArray
    origin: tuple[float, float]
    m_per_deg_lon: float
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {sid: i for i, sid in enumerate(self.ids)})

    @classmethod
    def from_segments(cls, segments: Iterable[tuple[str, str | None, Any]]) -> RiverNetwork:
        """From (id, downstream id or None, LineString in lon/lat) triples.

        A downstream id that names no segment is treated as an outlet.
        """
        items = sorted(segments, key=lambda s: s[0])
        ids = tuple(s[0] for s in items)
        position = {sid: i for i, sid in enumerate(ids)}
        downstream = np.array(
            [position.get(d, -1) if d is not None else -1 for _, d, _ in items], dtype=np.int64
        )
        upstream: list[list[int]] = [[] for _ in ids]
        for i, d in enumerate(downstream.tolist()):
            if d >= 0:
                upstream[d].append(i)
        geoms = np.array([g for *_, g in items], dtype=object)
        if len(items):
            x0, y0, x1, y1 = shapely.total_bounds(geoms)
            origin = ((x0 + x1) / 2, (y0 + y1) / 2)
        else:
            origin = (0.0, 0.0)
        m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(origin[1]))
        lines = np.array(
            [shapely.transform(g, lambda xy: _to_metres(xy, origin, m_per_deg_lon)) for g in geoms],
            dtype=object,
        )
        return cls(
            ids=ids,
            downstream=downstream,
            upstream=tuple(tuple(u) for u in upstream),
            lines=lines,
            length_m=shapely.length(lines).astype(np.float64) if len(lines) else np.zeros(0),
            origin=origin,
            m_per_deg_lon=m_per_deg_lon,
        )

    @classmethod
    def from_city(cls, city: City) -> RiverNetwork:
        return cls.from_segments((r.id, r.downstream_id, r.geometry) for r in city.rivers.values())

    def __len__(self) -> int:
        return len(self.ids)

    def segment_indices(self, ids: Sequence[str | None]) -> IntArray:
        """Dense index of each segment id, -1 for None or an unknown id."""
        get = self.index.get
        return np.array([get(s, -1) if s is not None else -1 for s in ids], dtype=np.int64)

    def to_metres(self, lon: Any, lat: Any) -> tuple[FloatArray, FloatArray]:
        x = (np.asarray(lon, dtype=np.float64) - self.origin[0]) * self.m_per_deg_lon
        y = (np.asarray(lat, dtype=np.float64) - self.origin[1]) * M_PER_DEG_LAT
        return x, y

    def locate(self, segments: IntArray, lon: Any, lat: Any) -> tuple[FloatArray, FloatArray]:
        """Position (m from the upstream end) of each point projected on its segment, and its
        distance (m) from the segment; NaN for both where the segment index is -1."""
        n = len(segments)
        position = np.full(n, np.nan)
        offset = np.full(n, np.nan)
        known = segments >= 0
        if known.any():
            x, y = self.to_metres(np.asarray(lon)[known], np.asarray(lat)[known])
            points = shapely.points(x, y)
            lines = self.lines[segments[known]]
            position[known] = shapely.line_locate_point(lines, points)
            offset[known] = shapely.distance(lines, points)
        return position, offset


def _to_metres(xy: FloatArray, origin: tuple[float, float], m_per_deg_lon: float) -> FloatArray:
    out: FloatArray = np.column_stack(
        [(xy[:, 0] - origin[0]) * m_per_deg_lon, (xy[:, 1] - origin[1]) * M_PER_DEG_LAT]
    )
    return out


@dataclass(frozen=True)
class RiverPoints:
    """Points placed on the network (stations or discharge points), grouped by segment.

    `ids[k]` lies on segment `segment[k]` at `position_m[k]`; points whose segment is unknown
    are dropped when placing. `by_segment[s]` lists the points of segment `s` from its
    downstream end up (descending position, then id).
    """

    ids: tuple[str, ...]
    segment: IntArray
    position_m: FloatArray
    source_rows: IntArray
    """Position of each point in the input it was placed from."""
    by_segment: dict[int, IntArray] = field(repr=False)
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {pid: k for k, pid in enumerate(self.ids)})

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def place(
        cls,
        network: RiverNetwork,
        ids: Sequence[str],
        segments: Sequence[str | None],
        lon: Any,
        lat: Any,
    ) -> RiverPoints:
        """Project each point on its named segment (vectorised); unknown segments are dropped."""
        seg = network.segment_indices(segments)
        position, _ = network.locate(seg, lon, lat)
        keep = np.flatnonzero(seg >= 0)
        seg, position = seg[keep], position[keep]
        kept_ids = tuple(ids[k] for k in keep.tolist())
        order = np.lexsort((np.array(kept_ids, dtype=object).astype(str), -position, seg))
        by_segment: dict[int, IntArray] = {}
        if len(order):
            starts = np.flatnonzero(np.r_[True, np.diff(seg[order]) != 0])
            for part in np.split(order, starts[1:]):
                by_segment[int(seg[part[0]])] = part.astype(np.int64)
        return cls(kept_ids, seg, position, keep.astype(np.int64), by_segment)

    def on_segment(self, s: int) -> IntArray:
        return self.by_segment.get(s, np.zeros(0, dtype=np.int64))
