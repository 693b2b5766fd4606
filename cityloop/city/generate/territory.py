"""The territory of the demo city: an irregular outline cut into nested Voronoi cells.

Every level is clipped to its parent with a snap-rounding overlay at 1e-6 degrees, so siblings
share their edges exactly and the partition of each parent is exact at the precision written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from cityloop.domain.territory import Level

GRID_SIZE = 1e-6
CENTER = (106.6, 29.55)
RADIUS = (0.25, 0.2)  # degrees of longitude, latitude


@dataclass(frozen=True)
class Cell:
    code: str
    parent_code: str | None
    level: Level
    geometry: Any
    ordinal: int
    """1-based number of the cell among its siblings (used for names)."""


def polygonal(geom: Any) -> Any:
    """Keep only the polygonal parts of an overlay result."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def outline(rng: np.random.Generator, vertices: int = 360) -> Any:
    """An irregular, smooth city outline: an ellipse with low-frequency radial noise."""
    theta = np.linspace(0.0, 2 * math.pi, vertices, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 8):
        radius += rng.uniform(0.04, 0.16) / k * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    x = CENTER[0] + RADIUS[0] * radius * np.cos(theta)
    y = CENTER[1] + RADIUS[1] * radius * np.sin(theta)
    poly = shapely.Polygon(np.column_stack([x, y]))
    return polygonal(shapely.set_precision(poly, GRID_SIZE))


def sample_inside(geom: Any, n: int, rng: np.random.Generator) -> np.ndarray[Any, Any]:
    """`n` uniform random points inside `geom`, as an (n, 2) array."""
    x0, y0, x1, y1 = geom.bounds
    shapely.prepare(geom)
    found: list[np.ndarray[Any, Any]] = []
    count = 0
    while count < n:
        xy = rng.uniform((x0, y0), (x1, y1), size=(max(4 * n, 32), 2))
        xy = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        found.append(xy)
        count += len(xy)
    return np.concatenate(found)[:n]


def voronoi_partition(parent: Any, n: int, rng: np.random.Generator, relax: int = 2) -> list[Any]:
    """Cut `parent` into `n` Voronoi cells of random seeds, relaxed `relax` times (Lloyd)."""
    seeds = sample_inside(parent, n, rng)
    x0, y0, x1, y1 = parent.bounds
    frame = shapely.box(x0, y0, x1, y1).buffer(max(x1 - x0, y1 - y0))
    cells: list[Any] = []
    for step in range(relax + 1):
        diagram = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=frame, ordered=True)
        raw = shapely.get_parts(diagram)
        cells = [polygonal(g) for g in shapely.intersection(raw, parent, grid_size=GRID_SIZE)]
        if step < relax:
            moved = []
            for cell, seed in zip(cells, seeds, strict=True):
                c = cell.centroid if not cell.is_empty else shapely.Point(seed)
                if not parent.contains(c):
                    c = cell.point_on_surface() if not cell.is_empty else shapely.Point(seed)
                moved.append((c.x, c.y))
            seeds = np.array(moved)
    return [c for c in cells if not c.is_empty]


def _order_by_center(cells: list[Any], center: tuple[float, float]) -> list[Any]:
    """Number cells from the centre outwards, then by angle, for readable codes."""

    def key(cell: Any) -> tuple[float, float]:
        p = cell.centroid
        return (
            round(math.hypot(p.x - center[0], p.y - center[1]), 3),
            math.atan2(p.y - center[1], p.x - center[0]),
        )

    return sorted(cells, key=key)


def _counts(rng: np.random.Generator, n: int, low: int, high: int, minimum: int) -> list[int]:
    """`n` random counts in [low, high], raised one by one until they sum to `minimum`."""
    counts = [int(c) for c in rng.integers(low, high + 1, size=n)]
    while sum(counts) < minimum:
        counts[counts.index(min(counts))] += 1
    return counts


# Code suffix (letter, digits) of each level below the city: YZ01, YZ01S03, YZ01S03C07, …G012.
CODE_SUFFIX: dict[Level, tuple[str, int]] = {
    Level.DISTRICT: ("", 2),
    Level.STREET: ("S", 2),
    Level.COMMUNITY: ("C", 2),
    Level.GRID: ("G", 3),
}


def _children(parent: Cell, n: int, rng: np.random.Generator, level: Level) -> list[Cell]:
    pieces = voronoi_partition(parent.geometry, n, rng)
    c = parent.geometry.centroid
    ordered = _order_by_center(pieces, (c.x, c.y))
    letter, digits = CODE_SUFFIX[level]
    return [
        Cell(f"{parent.code}{letter}{k:0{digits}d}", parent.code, level, g, k)
        for k, g in enumerate(ordered, start=1)
    ]


def build_territory(
    rng: np.random.Generator,
    city_code: str,
    tick: Callable[[str], None] = lambda _stage: None,
) -> list[Cell]:
    """Every jurisdiction of the demo city, city first then level by level."""
    city = Cell(city_code, None, Level.CITY, outline(rng), 1)
    districts = _children(city, 9, rng, Level.DISTRICT)
    tick("districts")
    streets: list[Cell] = []
    for d, n in zip(districts, _counts(rng, len(districts), 5, 9, 63), strict=True):
        streets.extend(_children(d, n, rng, Level.STREET))
    tick("streets")
    communities: list[Cell] = []
    for s, n in zip(streets, _counts(rng, len(streets), 5, 6, 320), strict=True):
        communities.extend(_children(s, n, rng, Level.COMMUNITY))
    tick("communities")
    grids: list[Cell] = []
    for c, n in zip(communities, _counts(rng, len(communities), 9, 12, 3300), strict=True):
        grids.extend(_children(c, n, rng, Level.GRID))
    tick("grids")
    return [city, *districts, *streets, *communities, *grids]
