"""`cityloop city check` for `discharges.csv`.

Reports rows that fail the schema, duplicate ids and permit numbers, unknown river segments and
departments, points outside the city, points too far from their segment to be traced on it, and
grid codes that are unknown or not the grid the point lies in.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from cityloop.city.issues import ConfigIssue
from cityloop.city.read import ParsedFolder
from cityloop.domain.territory import Level
from cityloop.engine.discharges import DISCHARGES_FILE, DischargeRow, read_discharge_rows
from cityloop.engine.river_network import RiverNetwork

MAX_OFFSET_M = 1000.0
"""How far a discharge point may lie from its segment (an outfall pipe, a ditch)."""


def _issue(k: int, column: str, message: str) -> ConfigIssue:
    return ConfigIssue(DISCHARGES_FILE, f"line {k + 2}.{column}", message)


def _reference_issues(parsed: ParsedFolder, rows: list[DischargeRow]) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    ids = Counter(r.id for r in rows)
    permits = Counter(r.permit for r in rows)
    departments = {d.code for d in parsed.departments.departments} if parsed.departments else None
    rivers = {f.properties.id for f in parsed.rivers.features} if parsed.rivers else set()
    for k, r in enumerate(rows):
        if ids[r.id] > 1:
            issues.append(_issue(k, "id", f"duplicate discharge point id {r.id!r}"))
        if permits[r.permit] > 1:
            issues.append(_issue(k, "permit", f"duplicate permit number {r.permit!r}"))
        if r.river not in rivers:
            issues.append(_issue(k, "river", f"unknown river segment {r.river!r}"))
        if departments is not None and r.department not in departments:
            issues.append(_issue(k, "department", f"unknown department {r.department!r}"))
    return issues


def _offset_issues(parsed: ParsedFolder, rows: list[DischargeRow]) -> list[ConfigIssue]:
    if parsed.rivers is None or not rows:
        return []
    network = RiverNetwork.from_segments(
        (f.properties.id, f.properties.downstream_id, shape(f.geometry.model_dump()))
        for f in parsed.rivers.features
    )
    segments = network.segment_indices([r.river for r in rows])
    _, offset = network.locate(
        segments, np.array([r.lon for r in rows]), np.array([r.lat for r in rows])
    )
    far = np.flatnonzero(offset > MAX_OFFSET_M).tolist()
    return [
        _issue(k, "river", f"discharge point {rows[k].id} lies {offset[k]:,.0f} m from segment "
               f"{rows[k].river} (at most {MAX_OFFSET_M:,.0f} m)")
        for k in far
    ]  # fmt: skip


def _geometry_issues(parsed: ParsedFolder, rows: list[DischargeRow]) -> list[ConfigIssue]:
    if parsed.jurisdictions is None or not rows:
        return []
    features = parsed.jurisdictions.features
    city = next((f for f in features if f.properties.level is Level.CITY), None)
    if city is None:
        return []
    lon = np.array([r.lon for r in rows])
    lat = np.array([r.lat for r in rows])
    inside = shapely.intersects_xy(shape(city.geometry.model_dump()), lon, lat)
    issues = [
        _issue(k, "lon", f"discharge point {rows[k].id} is outside the city")
        for k in np.flatnonzero(~inside).tolist()
    ]
    grids = {f.properties.code: f for f in features if f.properties.level is Level.GRID}
    claimed = {k: r.grid for k, r in enumerate(rows) if r.grid is not None and inside[k]}
    for k, g in claimed.items():
        if g not in grids:
            issues.append(_issue(k, "grid", f"unknown grid {g!r}"))
    known = [(k, g) for k, g in claimed.items() if g in grids]
    if known:
        shapes = {g: shape(grids[g].geometry.model_dump()) for g in {g for _, g in known}}
        polys = np.array([shapes[g] for _, g in known], dtype=object)
        at = [k for k, _ in known]
        ok = shapely.intersects_xy(polys, lon[at], lat[at])
        for j in np.flatnonzero(~ok).tolist():
            k, g = known[j]
            message = f"discharge point {rows[k].id} does not lie in grid {g}"
            issues.append(_issue(k, "grid", message))
    return issues


def check_discharges(root: Path, parsed: ParsedFolder) -> list[ConfigIssue]:
    """Every problem of `discharges.csv` in the city folder `root` (none when absent)."""
    path = Path(root) / DISCHARGES_FILE
    if not path.exists():
        return []
    rows, issues = read_discharge_rows(path)
    issues += _reference_issues(parsed, rows)
    issues += _geometry_issues(parsed, rows)
    issues += _offset_issues(parsed, rows)
    return issues
