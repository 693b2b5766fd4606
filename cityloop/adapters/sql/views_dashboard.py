"""Read models of the operations dashboard: counts, map clusters, overdue list, recent changes.

Every query is scoped like the event lists (:func:`scope_clause`): a district operator counts,
maps and lists only its district's events, a handler only its department's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.counters import ALL
from cityloop.adapters.sql.repository import scope_clause
from cityloop.domain.access import Principal, Role
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


_COUNTED_LEVELS = ("city", "district", "street")


def counter_area(principal: Principal, level: str | None, code: str | None) -> str | None:
    """The counters' area for the caller's scope narrowed to a jurisdiction (one it covers),
    or None when the counters are too coarse for it (a handler's department, a community or
    a grid)."""
    if principal.role is Role.DEPARTMENT_HANDLER:
        return None
    if level is None or code is None:
        level, code = principal.jurisdiction_level.value, principal.jurisdiction
    if level not in _COUNTED_LEVELS:
        return None
    if level == "city":
        return ALL if principal.citywide else None
    return code


def count_events(
    engine: Engine,
    principal: Principal,
    by: str,
    level: str | None = None,
    code: str | None = None,
    open_only: bool | None = None,
) -> Counted:
    """Events in scope (optionally inside one jurisdiction, open or not) grouped by ``by``:
    from the maintained counters where they are fine enough, else counted from the events."""
    area = counter_area(principal, level, code)
    if area is None:
        return _count_rows(engine, principal, by, level, code, open_only)
    c = t.event_counts.c
    if by == "state":  # every event has one severity: its rows partition the events
        col, where = c.state, [c.area == area, c.dim == "severity"]
    else:
        col, where = c.value, [c.area == area, c.dim == by]
    if open_only is True:
        where.append(c.state.in_(OPEN_STATES))
    elif open_only is False:
        where.append(c.state.not_in(OPEN_STATES))
    total = sa.func.sum(c.n)
    stmt = sa.select(col, total).where(*where).group_by(col).having(total > 0)
    with engine.connect() as conn:
        rows = [(r[0] or None, int(r[1])) for r in conn.execute(stmt)]
    rows.sort(key=lambda kv: (-kv[1], kv[0] or ""))
    how = (
        f"sum of the maintained event_counts of area '{area or 'all'}' by {by}; the counters "
        "are updated in the transaction of every event write"
    )
    return Counted(groups=rows, total=sum(n for _, n in rows), how=how)


def _count_rows(
    engine: Engine,
    principal: Principal,
    by: str,
    level: str | None,
    code: str | None,
    open_only: bool | None,
) -> Counted:
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


def open_and_overdue(conn: sa.Connection, level: str, code: str) -> tuple[int, int]:
    """(open events, open events marked red) of the city, a district or a street."""
    c = t.event_counts.c
    area = ALL if level == "city" else code
    red = sa.func.sum(sa.case((c.value == "red", c.n), else_=0))
    stmt = sa.select(sa.func.sum(c.n), red).where(
        c.area == area, c.dim == "supervision", c.state.in_(OPEN_STATES)
    )
    total, overdue_n = conn.execute(stmt).one()
    return int(total or 0), int(overdue_n or 0)


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


_SUMMARY_NAMES = tuple(str(c.name) for c in _SUMMARY)  # plain str: orjson takes no subclass


def summary(row: Any) -> dict[str, Any]:
    return dict(zip(_SUMMARY_NAMES, row, strict=True))


def points(conn: sa.Connection, where: list[sa.ColumnElement[bool]]) -> list[dict[str, Any]]:
    stmt = sa.select(*_SUMMARY).where(*where).limit(MAX_POINTS)
    return [summary(r) for r in conn.execute(stmt)]


def deadline_of(item: dict[str, Any]) -> datetime | None:
    """The time limit that runs now: acceptance while dispatched, disposal after."""
    value = item["accept_by"] if item["state"] == "dispatched" else item["dispose_by"]
    return value if isinstance(value, datetime) else None


def overdue(
    engine: Engine, principal: Principal, now: datetime, limit: int
) -> list[dict[str, Any]]:
    """Overdue (red) then nearly due (yellow) working events in scope, most overdue first.

    One small query per colour and state, each walking a (supervision, state, deadline)
    index in deadline order (acceptance while dispatched, disposal after), merged here.
    """
    e = t.events.c
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for color in ("red", "yellow"):
            found: list[dict[str, Any]] = []
            for state in WORKING_STATES:
                deadline = e.accept_by if state == "dispatched" else e.dispose_by
                stmt = (
                    sa.select(*_SUMMARY)
                    .where(scope_clause(principal), e.supervision == color, e.state == state)
                    .order_by(deadline)
                    .limit(limit - len(out))
                )
                found.extend(summary(r) for r in conn.execute(stmt))
            found.sort(key=lambda it: (deadline_of(it) or now, it["id"]))
            out.extend(found[: limit - len(out)])
            if len(out) >= limit:
                break
    for item in out:
        due = deadline_of(item)
        item["deadline"] = due
        item["overdue_s"] = math.floor((now - due).total_seconds()) if due else None
    return out


def scope_unindexed(principal: Principal) -> sa.ColumnElement[bool]:
    """The caller's scope written so that no territory index applies, for queries that must
    walk another index (``updated_at`` newest first, the map cell of a viewport) and filter,
    rather than read a whole district."""
    e = t.events.c
    clauses: list[sa.ColumnElement[bool]] = []
    if not principal.citywide:
        column = e[_LEVEL_COLUMNS[principal.jurisdiction_level.value]]
        clauses.append(sa.func.coalesce(column, "") == principal.jurisdiction)
    if principal.role is Role.DEPARTMENT_HANDLER:
        u = t.event_units.c
        clauses.append(
            sa.exists().where(u.event_id == e.id, u.department == (principal.department or ""))
        )
    return sa.and_(sa.true(), *clauses)


def recent_changes(engine: Engine, principal: Principal, limit: int) -> list[dict[str, Any]]:
    """The events changed last in scope, newest change first."""
    e = t.events.c
    stmt = (
        sa.select(*_SUMMARY)
        .where(scope_unindexed(principal))
        .order_by(e.updated_at.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [summary(r) for r in conn.execute(stmt)]
