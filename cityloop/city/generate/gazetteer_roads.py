"""Road centre lines of the demo city's address table, drawn in a local metric frame.

Each district gets two families of long, gently wiggling roads at right angles (the most central
one of each family an avenue), a few short lanes, and — where the main river flows through it —
a riverside avenue (滨江大道) along the river's left bank. Roads are clipped to the district, a
little inside its boundary, so every road belongs to exactly one district.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString

from cityloop.city.generate.gazetteer_names import (
    COMMON_ROAD_BASES,
    RIVERSIDE_BASE,
    NamePool,
    road_name,
    road_pool,
)
from cityloop.city.model import City
from cityloop.domain.territory import Level

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

_FAMILY_SPACING_M = 2200.0
_MIN_ROAD_M = 700.0
_LANES_PER_DISTRICT = 8
_COMMON_PER_DISTRICT = 2
_INSET_M = 40.0
_RIVERSIDE_OFFSET_M = 220.0
_MAIN_RIVER_PREFIX = "R01"


@dataclass(frozen=True)
class Frame:
    """A local equirectangular frame in metres around (lon0, lat0)."""

    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        return 111_320.0 * math.cos(math.radians(self.lat0))

    @property
    def ky(self) -> float:
        return 110_574.0

    def to_metres(self, geom: Any) -> Any:
        origin, scale = np.array([self.lon0, self.lat0]), np.array([self.kx, self.ky])
        return shapely.transform(geom, lambda c: (c - origin) * scale)

    def to_lonlat(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self.lon0 + x / self.kx, self.lat0 + y / self.ky


@dataclass(frozen=True)
class Road:
    code: str
    district: str
    road_class: str
    base_zh: str
    base_en: str
    name_zh: str
    name_en: str
    line: Any = None
    """A shapely LineString in the metric frame."""


def _longest_part(geom: Any, minimum: float) -> Any | None:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "LineString"]
    if not parts:
        return None
    best = max(parts, key=lambda p: p.length)
    return best if best.length >= minimum else None


def _family(inner: Any, angle: float, rng: np.random.Generator) -> list[tuple[float, Any]]:
    """Roughly parallel roads across `inner` in direction `angle`: (offset from centre, line)."""
    u = np.array([math.cos(angle), math.sin(angle)])
    n = np.array([-math.sin(angle), math.cos(angle)])
    coords = shapely.get_coordinates(inner)
    centre = coords.mean(axis=0)
    across, along = (coords - centre) @ n, (coords - centre) @ u
    lo, hi = float(across.min()), float(across.max())
    count = max(2, int((hi - lo) / _FAMILY_SPACING_M))
    step = (hi - lo) / count
    offsets = lo + (np.arange(count) + 0.5) * step + rng.uniform(-0.2, 0.2, count) * step
    ts = np.linspace(float(along.min()) - 100.0, float(along.max()) + 100.0, 12)
    out = []
    for offset in offsets:
        wiggle = np.cumsum(rng.normal(0.0, 40.0, len(ts)))
        wiggle -= wiggle.mean()
        points = centre + ts[:, None] * u + (offset + wiggle)[:, None] * n
        part = _longest_part(LineString(points).intersection(inner), _MIN_ROAD_M)
        if part is not None:
            out.append((float(offset), part))
    return out


def _lanes(inner: Any, rng: np.random.Generator) -> list[Any]:
    x0, y0, x1, y1 = inner.bounds
    xs, ys = rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)
    keep = np.flatnonzero(shapely.contains_xy(inner, xs, ys))[:_LANES_PER_DISTRICT]
    lanes = []
    for i in keep:
        angle, half = rng.uniform(0.0, math.pi), rng.uniform(150.0, 450.0)
        dx, dy = half * math.cos(angle), half * math.sin(angle)
        line = LineString([(xs[i] - dx, ys[i] - dy), (xs[i] + dx, ys[i] + dy)])
        part = _longest_part(line.intersection(inner), 200.0)
        if part is not None:
            lanes.append(part)
    return lanes


def _riverside(city: City, frame: Frame) -> Any | None:
    segments = [r.geometry for k, r in sorted(city.rivers.items()) if k.startswith("R01")]
    if not segments:
        return None
    merged = shapely.line_merge(shapely.multilinestrings(segments))
    return shapely.offset_curve(frame.to_metres(merged), _RIVERSIDE_OFFSET_M)


def reserved_names(city: City) -> tuple[set[str], set[str]]:
    """Names roads must not take: jurisdiction bases (江城, Yuzhou…), the city, common roads."""
    zh = {city.name_zh.removesuffix("市")}
    en = {city.name_en.lower()}
    for j in city.jurisdictions.values():
        zh.add(j.name_zh.removesuffix("街道").removesuffix("社区").removesuffix("区"))
        en.add(j.name_en.rsplit(" ", 1)[0].lower())
    for base_zh, base_en in (*COMMON_ROAD_BASES, RIVERSIDE_BASE):
        zh.add(base_zh)
        en.add(base_en.lower())
    return zh, en


def _district_lines(
    inner: Any, river: Any | None, rng: np.random.Generator
) -> Iterator[tuple[str, Any]]:
    """(class, metric line) of one district's roads, riverside avenue first."""
    if river is not None:
        part = _longest_part(river.intersection(inner), 1000.0)
        if part is not None:
            yield "riverside", part
    angle = rng.uniform(0.0, math.pi / 2)
    for family_angle in (angle, angle + math.pi / 2):
        family = _family(inner, family_angle, rng)
        central = min(range(len(family)), key=lambda i: abs(family[i][0]), default=-1)
        for i, (_offset, line) in enumerate(family):
            if i == central:
                yield "avenue", line
            else:
                yield ("street" if rng.random() < 0.2 else "road"), line
    for lane in _lanes(inner, rng):
        yield "lane", lane


def draw_roads(city: City, frame: Frame, rng: np.random.Generator) -> list[Road]:
    """Every road of the city, district by district, with unique codes and names."""
    reserved_zh, reserved_en = reserved_names(city)
    pool: NamePool = road_pool(rng, reserved_zh, reserved_en)
    river = _riverside(city, frame)
    roads: list[Road] = []
    districts = sorted(j.code for j in city.jurisdictions.values() if j.level is Level.DISTRICT)
    for district in districts:
        inner = frame.to_metres(city.jurisdictions[district].geometry).buffer(-_INSET_M)
        common = [COMMON_ROAD_BASES[i] for i in rng.permutation(len(COMMON_ROAD_BASES))]
        common = common[:_COMMON_PER_DISTRICT]
        for kind, line in _district_lines(inner, river, rng):
            if kind == "riverside":
                base, road_class = RIVERSIDE_BASE, "avenue"
            elif kind == "road" and common:
                base, road_class = common.pop(), kind
            else:
                base, road_class = pool.draw(), kind
            name_zh, name_en = road_name(base, road_class)
            code = f"{district}-R{len([r for r in roads if r.district == district]) + 1:03d}"
            roads.append(Road(code, district, road_class, base[0], base[1], name_zh, name_en, line))
    return roads
