"""Read models of the operations dashboard: counts, map clusters, overdue list, recent changes.

Every query is scoped like the event lists (:func:`scope_clause`): a district operator counts,
maps and lists only its district's events, a handler only its department's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.repository import scope_clause
from cityloop.domain.access import Principal
from cityloop.domain.lifecycle import OPEN_STATES, WORKING_STATES

#: What a count may be grouped by, and the column it groups.
GROUPS = {
    "type": "type_code",
    "state": "state",
    "district": "district_code",
    "street": "street_code",
    "severity": "severity",
}
_LEVEL_COLUMNS = {
    "city": "city_code",
    "district": "district_code",
    "street": "street_code",
    "community": "community_code",
    "grid": "grid_code",
}
#: At most this many events in a viewport are sent one by one; more are only clustered.
MAX_POINTS = 500


@dataclass(frozen=True, slots=True)
class Counted:
    groups: list[tuple[str | None, int]]
    total: int
    how: str


def _filters(
    principal: Principal, level: str | None, code: str | None, open_only: bool | None
) -> list[sa.ColumnElement[bool]]:
    e = t.events.c
    out: list[sa.ColumnElement[bool]] = [scope_clause(principal)]
    if level is not None and code is not None:
        out.append(e[_LEVEL_COLUMNS[level]] == code)
    if open_only is True:
        out.append(e.state.in_(OPEN_STATES))
    elif open_only is False:
        out.append(e.state.not_in(OPEN_STATES))
    return out


def count_events(
    engine: Engine,
    principal: Principal,
    by: str,
    level: str | None = None,
    code: str | None = None,
    open_only: bool | None = None,
) -> Counted:
    """Events in scope (optionally inside one jurisdiction, open or not) grouped by ``by``."""
    e = t.events
    col = e.c[GROUPS[by]]
    stmt = (
        sa.select(col, sa.func.count())
        .where(*_filters(principal, level, code, open_only))
        .group_by(col)
    )
    with engine.connect() as conn:
        rows = [(r[0], int(r[1])) for r in conn.execute(stmt)]
    rows.sort(key=lambda kv: (-kv[1], kv[0] or ""))
    how = f"COUNT(*) of the events in your scope grouped by {GROUPS[by]}"
    return Counted(groups=rows, total=sum(n for _, n in rows), how=how)


@dataclass(frozen=True, slots=True)
class MapView:
    cells: list[dict[str, Any]]
    points: list[dict[str, Any]]
    total: int
    cell_deg: float


def cell_size(zoom: int) -> float:
    """Degrees per cluster cell at a web-map zoom: about 64 screen pixels."""
    return 360.0 / float(2 ** (max(0, min(zoom, 22)) + 2))


def map_view(
    engine: Engine,
    principal: Principal,
    bbox: tuple[float, float, float, float],
    zoom: int,
    states: tuple[str, ...],
) -> MapView:
    """Events in a viewport clustered on a grid that follows the zoom; single events too when
    the viewport holds at most :data:`MAX_POINTS`."""
    min_lon, min_lat, max_lon, max_lat = bbox
    e = t.events
    where = [
        scope_clause(principal),
        e.c.lon.between(min_lon, max_lon),
        e.c.lat.between(min_lat, max_lat),
    ]
    if states:
        where.append(e.c.state.in_(states))
    size = cell_size(zoom)
    with engine.connect() as conn:
        rows = list(conn.execute(sa.select(e.c.lon, e.c.lat, e.c.state).where(*where)))
        total = len(rows)
        points: list[dict[str, Any]] = []
        if 0 < total <= MAX_POINTS:
            points = _points(conn, where)
    cells = _cluster(rows, size)
    return MapView(cells=cells, points=points, total=total, cell_deg=size)


def _cluster(rows: list[Any], size: float) -> list[dict[str, Any]]:
    if not rows:
        return []
    lon = np.fromiter((r[0] for r in rows), dtype=np.float64, count=len(rows))
    lat = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    cx = np.floor(lon / size).astype(np.int64)
    cy = np.floor(lat / size).astype(np.int64)
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for i, r in enumerate(rows):
        key = (int(cx[i]), int(cy[i]))
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = {"n": 0, "lon": 0.0, "lat": 0.0, "by_state": {}}
        cell["n"] += 1
        cell["lon"] += float(lon[i])
        cell["lat"] += float(lat[i])
        cell["by_state"][r[2]] = cell["by_state"].get(r[2], 0) + 1
    return [
        {
            "lon": round(c["lon"] / c["n"], 6),
            "lat": round(c["lat"] / c["n"], 6),
            "count": c["n"],
            "by_state": c["by_state"],
        }
        for c in cells.values()
    ]


_SUMMARY = (
    t.events.c.id,
    t.events.c.ref,
    t.events.c.state,
    t.events.c.type_code,
    t.events.c.severity,
    t.events.c.title,
    t.events.c.lon,
    t.events.c.lat,
    t.events.c.district_code,
    t.events.c.street_code,
    t.events.c.lead_unit,
    t.events.c.handling_level,
    t.events.c.supervision,
    t.events.c.accept_by,
    t.events.c.dispose_by,
    t.events.c.due_at,
    t.events.c.created_at,
    t.events.c.updated_at,
)


def summary(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {c.name: m[c.name] for c in _SUMMARY}


def _points(conn: sa.Connection, where: list[sa.ColumnElement[bool]]) -> list[dict[str, Any]]:
    stmt = sa.select(*_SUMMARY).where(*where).limit(MAX_POINTS)
    return [summary(r) for r in conn.execute(stmt)]


def deadline_of(item: dict[str, Any]) -> datetime | None:
    """The time limit that runs now: acceptance while dispatched, disposal after."""
    value = item["accept_by"] if item["state"] == "dispatched" else item["dispose_by"]
    return value if isinstance(value, datetime) else None


def overdue(
    engine: Engine, principal: Principal, now: datetime, limit: int
) -> list[dict[str, Any]]:
    """Overdue (red) then nearly due (yellow) working events in scope, most overdue first."""
    e = t.events
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for color in ("red", "yellow"):
            stmt = sa.select(*_SUMMARY).where(
                scope_clause(principal),
                e.c.supervision == color,
                e.c.state.in_(WORKING_STATES),
            )
            items = [summary(r) for r in conn.execute(stmt)]
            items.sort(key=lambda it: (deadline_of(it) or now, it["id"]))
            out.extend(items[: limit - len(out)])
            if len(out) >= limit:
                break
    for item in out:
        due = deadline_of(item)
        item["deadline"] = due
        item["overdue_s"] = math.floor((now - due).total_seconds()) if due else None
    return out


def recent_changes(engine: Engine, principal: Principal, limit: int) -> list[dict[str, Any]]:
    """The events changed last in scope, newest change first."""
    e = t.events
    stmt = (
        sa.select(*_SUMMARY)
        .where(scope_clause(principal))
        .order_by(e.c.updated_at.desc(), e.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [summary(r) for r in conn.execute(stmt)]
