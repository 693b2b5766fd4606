"""`cityloop city check` for the engine's files: `sensors.csv`, `areas.yaml` and `rules/`.

Reports unknown types and units (schema), duplicate ids, sensors outside the city or in another
grid than their `grid` column says, unknown departments, rivers and areas, and rules that are
invalid, map to an unknown event type or read a param that some of their sensors lack.
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
from cityloop.engine.areas import AREAS_FILE, AreaSpec, read_areas
from cityloop.engine.rules.load import read_rules
from cityloop.engine.sensors import SENSORS_FILE, SensorRow, read_sensor_rows

_MAX_LISTED = 5


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")


def _geometry_issues(
    parsed: ParsedFolder, rows: list[SensorRow], areas: list[AreaSpec]
) -> list[ConfigIssue]:
    if parsed.jurisdictions is None:
        return []
    features = parsed.jurisdictions.features
    city = next((f for f in features if f.properties.level is Level.CITY), None)
    if city is None:
        return []
    outline = shape(city.geometry.model_dump())
    issues: list[ConfigIssue] = []
    if rows:
        lon = np.array([r.lon for r in rows])
        lat = np.array([r.lat for r in rows])
        inside = shapely.intersects_xy(outline, lon, lat)
        for k in np.flatnonzero(~inside).tolist():
            message = f"sensor {rows[k].id} is outside the city"
            issues.append(ConfigIssue(SENSORS_FILE, f"line {k + 2}", message))
        grids = {f.properties.code: f for f in features if f.properties.level is Level.GRID}
        known: list[tuple[int, SensorRow, str]] = []
        for k, r in enumerate(rows):
            if r.grid is None or not inside[k]:
                continue
            if r.grid in grids:
                known.append((k, r, r.grid))
            else:
                issues.append(
                    ConfigIssue(SENSORS_FILE, f"line {k + 2}.grid", f"unknown grid {r.grid!r}")
                )
        if known:
            geoms = {g: shape(grids[g].geometry.model_dump()) for g in {g for *_, g in known}}
            polys = np.array([geoms[g] for *_, g in known], dtype=object)
            xs = np.array([r.lon for _, r, _ in known])
            ys = np.array([r.lat for _, r, _ in known])
            ok = shapely.intersects_xy(polys, xs, ys)
            for j in np.flatnonzero(~ok).tolist():
                k, r, g = known[j]
                message = f"sensor {r.id} does not lie in grid {g}"
                issues.append(ConfigIssue(SENSORS_FILE, f"line {k + 2}.grid", message))
    for k, area in enumerate(areas):
        if not outline.contains(shape(area.geometry.model_dump())):
            issues.append(
                ConfigIssue(AREAS_FILE, f"areas[{k}]", f"area {area.id} is not inside the city")
            )
    return issues


def _sensor_issues(
    parsed: ParsedFolder, rows: list[SensorRow], area_ids: set[str]
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    counts = Counter(r.id for r in rows)
    departments = {d.code for d in parsed.departments.departments} if parsed.departments else None
    rivers = {f.properties.id for f in parsed.rivers.features} if parsed.rivers else set()
    for k, r in enumerate(rows):
        where = f"line {k + 2}"
        if counts[r.id] > 1:
            issues.append(ConfigIssue(SENSORS_FILE, f"{where}.id", f"duplicate sensor id {r.id!r}"))
        if departments is not None and r.department not in departments:
            issues.append(
                ConfigIssue(
                    SENSORS_FILE, f"{where}.department", f"unknown department {r.department!r}"
                )
            )
        if r.river is not None and r.river not in rivers:
            issues.append(
                ConfigIssue(SENSORS_FILE, f"{where}.river", f"unknown river segment {r.river!r}")
            )
        if r.area is not None and r.area not in area_ids:
            issues.append(ConfigIssue(SENSORS_FILE, f"{where}.area", f"unknown area {r.area!r}"))
    return issues


def _rule_issues(
    root: Path, parsed: ParsedFolder, rows: list[SensorRow], has_areas: bool
) -> list[ConfigIssue]:
    loaded, issues = read_rules(root)
    types = {t.code for t in parsed.event_types.types} if parsed.event_types else None
    for item in loaded:
        rule, where = item.rule, f"rules[{item.index}]"
        if types is not None and rule.event_type is not None and rule.event_type not in types:
            issues.append(
                ConfigIssue(
                    item.file, f"{where}.event_type", f"unknown event type {rule.event_type!r}"
                )
            )
        if rule.type == "area" and not has_areas:
            issues.append(ConfigIssue(item.file, where, f"area rule {rule.id} needs {AREAS_FILE}"))
        for param in sorted(rule.parameters()):
            lacking = [r.id for r in rows if r.type in rule.sensor_types and param not in r.params]
            if lacking:
                message = f"rule {rule.id} reads param {param!r}, missing for sensors "
                issues.append(ConfigIssue(item.file, f"{where}.levels", message + _listed(lacking)))
    return issues


def check_sensors(root: Path, parsed: ParsedFolder) -> list[ConfigIssue]:
    """Every problem of the engine's files in the city folder `root` (none when absent)."""
    root = Path(root)
    areas_file, issues = read_areas(root)
    areas = list(areas_file.areas) if areas_file is not None else []
    area_counts = Counter(a.id for a in areas)
    for k, a in enumerate(areas):
        if area_counts[a.id] > 1:
            issues.append(ConfigIssue(AREAS_FILE, f"areas[{k}].id", f"duplicate area id {a.id!r}"))
    rows: list[SensorRow] = []
    if (root / SENSORS_FILE).exists():
        rows, row_issues = read_sensor_rows(root / SENSORS_FILE)
        issues += row_issues
        issues += _sensor_issues(parsed, rows, set(area_counts))
    issues += _geometry_issues(parsed, rows, areas)
    issues += _rule_issues(root, parsed, rows, areas_file is not None)
    return issues
