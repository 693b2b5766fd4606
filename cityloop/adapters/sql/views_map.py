"""The dashboard map: events of a viewport clustered on a grid that follows the zoom.

Clusters come from the maintained cell pyramid (``counters.py``): at each zoom the level whose
cells are closest to (not larger than) 64 screen pixels is read for the caller's area (for the
city: its districts') and grouped up in SQL, so a city-wide view reads a few thousand rows
whatever the number of events. Single events come from the events table through its indexed
map cell, only when the viewport holds at most :data:`MAX_POINTS`. A scope the counters do not
resolve (a handler's department, a community or a grid, all small) is clustered from the event
rows themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import spatial
from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.counters import ALL, CELLS_PER_DEGREE, MAX_RES, NO_DISTRICT, ROW
from cityloop.adapters.sql.repository import scope_clause
from cityloop.adapters.sql.views_dashboard import (
    MAX_POINTS,
    counter_area,
    points,
    scope_unindexed,
)
from cityloop.domain.access import Principal
from cityloop.domain.lifecycle import State

#: The most index ranges one viewport query is split into (SQLite's expression depth is 1000).
MAX_RANGES = 240


@dataclass(frozen=True, slots=True)
class MapView:
    cells: list[dict[str, Any]]
    points: list[dict[str, Any]]
    total: int
    cell_deg: float


def cell_size(zoom: int) -> float:
    """Degrees per cluster cell at a web-map zoom: about 64 screen pixels."""
    return 360.0 / float(2 ** (max(0, min(zoom, 22)) + 2))


def _fine_cells(bbox: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    min_lon, min_lat, max_lon, max_lat = bbox
    return (
        math.floor((min_lon + 180) * CELLS_PER_DEGREE),
        math.floor((min_lat + 90) * CELLS_PER_DEGREE),
        math.floor((max_lon + 180) * CELLS_PER_DEGREE),
        math.floor((max_lat + 90) * CELLS_PER_DEGREE),
    )


def map_view(
    engine: Engine,
    principal: Principal,
    bbox: tuple[float, float, float, float],
    zoom: int,
    states: tuple[str, ...],
) -> MapView:
    """Events in a viewport clustered on a grid that follows the zoom; single events too when
    the viewport holds at most :data:`MAX_POINTS` (cells touching the viewport count)."""
    area = counter_area(principal, None, None)
    if area is None:
        return _map_rows(engine, principal, bbox, zoom, states)
    # cluster cells of 2^k fine cells, read from pyramid level res ≤ k
    k = max(0, math.floor(math.log2(max(1.0, cell_size(zoom) * CELLS_PER_DEGREE))))
    res = min(k, MAX_RES if principal.jurisdiction_level.value != "street" else 0)
    group = 1 << (k - res)
    x0, y0, x1, y1 = (v >> res for v in _fine_cells(bbox))
    c = t.event_cells.c
    gx = c.cell // ROW // group
    gy = c.cell % ROW // group
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    with engine.connect() as conn:
        areas = _pyramid_areas(conn, area)
        where = [
            c.area.in_(areas) if len(areas) > 1 else c.area == areas[0],
            c.res == res,
            c.cell.between(x0 * ROW + y0, x1 * ROW + y1),
            (c.cell % ROW).between(y0, y1),
            c.n > 0,
        ]
        if states:
            where.append(c.state.in_(states))
        stmt = sa.select(gx, gy, c.state, sa.func.sum(c.n)).where(*where)
        for x, y, state, n in conn.execute(stmt.group_by(gx, gy, c.state)):
            cell = cells.setdefault((int(x), int(y)), {"count": 0, "by_state": {}})
            cell["count"] += int(n)
            cell["by_state"][state] = int(n)
        total = sum(cell["count"] for cell in cells.values())
        found: list[dict[str, Any]] = []
        if 0 < total <= MAX_POINTS:
            found = points(conn, _near(principal, bbox, states, spatial.uses_postgis(engine)))
    size = 1 << k  # fine cells per cluster cell
    out = [
        {
            "lon": round((x + 0.5) * size / CELLS_PER_DEGREE - 180, 6),
            "lat": round((y + 0.5) * size / CELLS_PER_DEGREE - 90, 6),
            **cell,
        }
        for (x, y), cell in sorted(cells.items())
    ]
    return MapView(cells=out, points=found, total=total, cell_deg=size / CELLS_PER_DEGREE)


def _pyramid_areas(conn: sa.Connection, area: str) -> list[str]:
    """The areas of the cell pyramid that make up ``area``: itself, or for the city (which
    keeps no cells of its own) every district that has events, read from the city's counts
    by district, and the area of located events outside every district."""
    if area != ALL:
        return [area]
    c = t.event_counts.c
    stmt = sa.select(c.value).where(c.area == ALL, c.dim == "district", c.n > 0).distinct()
    return sorted({value or NO_DISTRICT for (value,) in conn.execute(stmt)} | {NO_DISTRICT})


def _near(
    principal: Principal,
    bbox: tuple[float, float, float, float],
    states: tuple[str, ...],
    postgis: bool = False,
) -> list[sa.ColumnElement[bool]]:
    """The events of the viewport: for a small one, one range of the (state, map cell) index
    per state and column of fine cells (at most :data:`MAX_RANGES`); else by the scope's
    own index. On PostGIS the envelope operator offers its GiST index too (the planner
    chooses); the exact lon/lat comparisons stay, so the answer is the same."""
    e = t.events.c
    x0, y0, x1, y1 = _fine_cells(bbox)
    wanted = states or tuple(s.value for s in State)
    where: list[sa.ColumnElement[bool]] = [
        e.lon.between(bbox[0], bbox[2]),
        e.lat.between(bbox[1], bbox[3]),
    ]
    if postgis:
        where.append(spatial.in_envelope(e.lon, e.lat, bbox))
    if (x1 - x0 + 1) * len(wanted) <= MAX_RANGES:
        where.append(scope_unindexed(principal))
        where.append(
            sa.or_(
                *(
                    sa.and_(e.state == state, e.map_cell.between(x * ROW + y0, x * ROW + y1))
                    for state in wanted
                    for x in range(x0, x1 + 1)
                )
            )
        )
    else:
        where.append(scope_clause(principal))
        if states:
            where.append(e.state.in_(states))
    return where


def _map_rows(
    engine: Engine,
    principal: Principal,
    bbox: tuple[float, float, float, float],
    zoom: int,
    states: tuple[str, ...],
) -> MapView:
    """The map of a scope the counters do not resolve, from the event rows themselves."""
    e = t.events
    where = _near(principal, bbox, states, spatial.uses_postgis(engine))
    size = cell_size(zoom)
    with engine.connect() as conn:
        rows = list(conn.execute(sa.select(e.c.lon, e.c.lat, e.c.state).where(*where)))
        total = len(rows)
        found: list[dict[str, Any]] = []
        if 0 < total <= MAX_POINTS:
            found = points(conn, where)
    return MapView(cells=_cluster(rows, size), points=found, total=total, cell_deg=size)


def _cluster(rows: list[Any], size: float) -> list[dict[str, Any]]:
    if not rows:
        return []
    lon = np.fromiter((r[0] for r in rows), dtype=np.float64, count=len(rows))
    lat = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    cx = np.floor(lon / size).astype(np.int64).tolist()
    cy = np.floor(lat / size).astype(np.int64).tolist()
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for x, y, r in zip(cx, cy, rows, strict=True):
        cell = cells.setdefault((x, y), {"count": 0, "by_state": {}})
        cell["count"] += 1
        cell["by_state"][r[2]] = cell["by_state"].get(r[2], 0) + 1
    return [
        {"lon": round((x + 0.5) * size, 6), "lat": round((y + 0.5) * size, 6), **cell}
        for (x, y), cell in sorted(cells.items())
    ]
