"""Geometric rules of the territory: valid polygons, nesting, no overlaps, full coverage.

Tolerances (documented in `docs/configuration.md`):

- coordinates are compared at `LINEAR_TOLERANCE_DEG` = 1e-6 degrees (about 0.1 m), the precision of
  coordinates written with 6 decimals; an area discrepancy of a polygon is tolerated up to a band
  of that width along its boundary, that is `LINEAR_TOLERANCE_DEG × perimeter`;
- a child may stick out of its parent by at most that band;
- two jurisdictions of the same level may overlap by at most that band of the smaller one;
- the deepest level (the grids) may leave at most `COVERAGE_TOLERANCE` = 0.1 % of the city
  uncovered.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from cityloop.city.issues import ConfigIssue
from cityloop.city.read import JURISDICTIONS_FILE
from cityloop.city.schema import JurisdictionsFile
from cityloop.domain.territory import LEVELS, Level

LINEAR_TOLERANCE_DEG = 1e-6
COVERAGE_TOLERANCE = 1e-3
KM_PER_DEG = 111.32


def feature_geometries(collection: JurisdictionsFile) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Shapely geometries of the features, in file order."""
    return np.array([shape(ft.geometry.model_dump()) for ft in collection.features], dtype=object)


def _km2(area_deg2: float, lat: float) -> float:
    return area_deg2 * KM_PER_DEG * KM_PER_DEG * math.cos(math.radians(lat))


def _validity(codes: list[str], geoms: np.ndarray[Any, Any]) -> tuple[list[ConfigIssue], Any]:
    valid = shapely.is_valid(geoms)
    issues = []
    for i in np.flatnonzero(~valid):
        reason = shapely.is_valid_reason(geoms[i])
        issues.append(
            ConfigIssue(
                JURISDICTIONS_FILE,
                f"features[{i}].geometry",
                f"{codes[i]}: invalid polygon: {reason}",
            )
        )
    return issues, valid


def _nesting(
    codes: list[str], parents: list[str | None], geoms: np.ndarray[Any, Any], valid: Any, lat: float
) -> list[ConfigIssue]:
    index = {c: i for i, c in enumerate(codes)}
    pairs = [
        (i, index[p])
        for i, p in enumerate(parents)
        if p is not None and p in index and valid[i] and valid[index[p]]
    ]
    if not pairs:
        return []
    child, parent = np.array(pairs).T
    outside = shapely.area(shapely.difference(geoms[child], geoms[parent]))
    tolerance = LINEAR_TOLERANCE_DEG * shapely.length(geoms[child])
    issues = []
    for k in np.flatnonzero(outside > tolerance):
        i, area = int(child[k]), float(outside[k])
        share = 100 * area / max(float(shapely.area(geoms[i])), 1e-300)
        issues.append(
            ConfigIssue(
                JURISDICTIONS_FILE,
                f"features[{i}].geometry",
                f"{codes[i]} lies partly outside its parent {parents[i]}: "
                f"{_km2(area, lat):.6f} km² ({share:.3f} % of its area)",
            )
        )
    return issues


def _overlaps(
    codes: list[str], levels: list[Level], geoms: np.ndarray[Any, Any], valid: Any, lat: float
) -> list[ConfigIssue]:
    issues = []
    for level in LEVELS:
        members = np.array(
            [i for i, lv in enumerate(levels) if lv is level and valid[i]], dtype=np.int64
        )
        if len(members) < 2:
            continue
        tree = shapely.STRtree(geoms[members])
        a, b = tree.query(geoms[members], predicate="intersects")
        keep = a < b
        a, b = members[a[keep]], members[b[keep]]
        if len(a) == 0:
            continue
        area = shapely.area(shapely.intersection(geoms[a], geoms[b]))
        perimeter = np.minimum(shapely.length(geoms[a]), shapely.length(geoms[b]))
        for k in np.flatnonzero(area > LINEAR_TOLERANCE_DEG * perimeter):
            i, j = int(a[k]), int(b[k])
            issues.append(
                ConfigIssue(
                    JURISDICTIONS_FILE,
                    f"features[{i}].geometry",
                    f"{level} {codes[i]} overlaps {codes[j]} (features[{j}]) by "
                    f"{_km2(float(area[k]), lat):.6f} km²",
                )
            )
    return issues


def _coverage(
    codes: list[str], levels: list[Level], geoms: np.ndarray[Any, Any], valid: Any, lat: float
) -> list[ConfigIssue]:
    cities = [i for i, lv in enumerate(levels) if lv is Level.CITY and valid[i]]
    deepest = max((lv for lv in levels), key=lambda lv: lv.depth)
    if len(cities) != 1 or deepest is Level.CITY:
        return []
    city = geoms[cities[0]]
    leaves = geoms[[i for i, lv in enumerate(levels) if lv is deepest and valid[i]]]
    covered = shapely.union_all(leaves, grid_size=None) if len(leaves) else shapely.Polygon()
    gap = shapely.difference(city, covered)
    share = float(shapely.area(gap)) / float(shapely.area(city))
    if share <= COVERAGE_TOLERANCE:
        return []
    parts = sorted(shapely.get_parts(gap), key=lambda g: -float(shapely.area(g)))
    where = []
    for part in parts[:3]:
        point = part.representative_point()
        where.append(f"({point.x:.5f}, {point.y:.5f})")
    return [
        ConfigIssue(
            JURISDICTIONS_FILE,
            "features",
            f"the {deepest}s leave {100 * share:.3f} % of city {codes[cities[0]]} uncovered "
            f"({_km2(float(shapely.area(gap)), lat):.4f} km², tolerance "
            f"{100 * COVERAGE_TOLERANCE:.1f} %), e.g. around {', '.join(where)}",
        )
    ]


def check_geometry(
    collection: JurisdictionsFile, geoms: np.ndarray[Any, np.dtype[np.object_]]
) -> list[ConfigIssue]:
    """Every geometric problem of the jurisdictions (all of them, not the first).

    `geoms` are the features' geometries in file order (see `feature_geometries`).
    """
    props = [ft.properties for ft in collection.features]
    codes = [pr.code for pr in props]
    levels = [pr.level for pr in props]
    issues, valid = _validity(codes, geoms)
    bounds = shapely.total_bounds(geoms)
    lat = float((bounds[1] + bounds[3]) / 2)
    issues.extend(_nesting(codes, [pr.parent_code for pr in props], geoms, valid, lat))
    issues.extend(_overlaps(codes, levels, geoms, valid, lat))
    issues.extend(_coverage(codes, levels, geoms, valid, lat))
    return issues
