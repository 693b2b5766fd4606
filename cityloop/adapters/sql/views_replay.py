"""Replaying what happened: every event step and warning change in a window, in time order,
and the state of the city at any past moment, rebuilt from stored history."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t


def replay(engine: Engine, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    """Event steps and warning changes with ``since <= at < until``, oldest first."""
    tl, e = t.event_timeline, t.events
    steps = (
        sa.select(
            tl.c.at,
            e.c.id.label("event_id"),
            e.c.ref,
            e.c.type_code,
            tl.c.action,
            tl.c.from_state,
            tl.c.to_state,
            tl.c.actor,
            tl.c.role,
            tl.c.unit,
            tl.c.note,
            e.c.district_code,
            e.c.street_code,
            e.c.lon,
            e.c.lat,
        )
        .select_from(tl.join(e, tl.c.event_id == e.c.id))
        .where(tl.c.at >= since, tl.c.at < until)
        .order_by(tl.c.at, e.c.ref, tl.c.seq)
    )
    w = t.warnings
    warnings = sa.select(
        w.c.id,
        w.c.rule_id,
        w.c.subject,
        w.c.event_type,
        w.c.district_code,
        w.c.street_code,
        w.c.lon,
        w.c.lat,
        w.c.history,
    ).where(w.c.updated_at >= since, w.c.raised_at < until)
    with engine.connect() as conn:
        rows = [_step(r._mapping) for r in conn.execute(steps)]
        for r in conn.execute(warnings):
            m = r._mapping
            for h in m["history"] or []:
                if h.get("kind") not in ("raised", "upgraded", "downgraded", "cleared"):
                    continue
                at = datetime.fromisoformat(h["at"])
                if since <= at < until:
                    rows.append(
                        {
                            "at": at.isoformat(),
                            "kind": "warning",
                            "id": m["id"],
                            "rule": m["rule_id"],
                            "subject": m["subject"],
                            "action": h["kind"],
                            "level": h["level"],
                            "value": h.get("value"),
                            "event_type": m["event_type"],
                            "district": m["district_code"],
                            "street": m["street_code"],
                            "lon": m["lon"],
                            "lat": m["lat"],
                        }
                    )
    rows.sort(key=lambda x: (x["at"], x["kind"], x.get("ref") or x.get("id") or ""))
    yield from rows


def _step(m: Any) -> dict[str, Any]:
    return {
        "at": m["at"].isoformat(),
        "kind": "event",
        "event_id": m["event_id"],
        "ref": m["ref"],
        "type_code": m["type_code"],
        "action": m["action"],
        "from": m["from_state"],
        "to": m["to_state"],
        "actor": m["actor"],
        "role": m["role"],
        "unit": m["unit"],
        "note": m["note"],
        "district": m["district_code"],
        "street": m["street_code"],
        "lon": m["lon"],
        "lat": m["lat"],
    }


def state_at(
    engine: Engine, moment: datetime, district: str | None = None, street: str | None = None
) -> dict[str, Any]:
    """How many events were in each state, and which warnings were active, at ``moment``
    (inside the district / street when given)."""
    tl, e = t.event_timeline, t.events
    last = (
        sa.select(tl.c.event_id, sa.func.max(tl.c.seq).label("seq"))
        .where(tl.c.at <= moment)
        .group_by(tl.c.event_id)
        .subquery()
    )
    states = sa.select(tl.c.to_state).select_from(
        tl.join(last, sa.and_(tl.c.event_id == last.c.event_id, tl.c.seq == last.c.seq))
    )
    w = t.warnings
    active = sa.select(w.c.id, w.c.history).where(w.c.raised_at <= moment)
    if district is not None or street is not None:
        states = states.join(e, e.c.id == tl.c.event_id)
    if district is not None:
        states = states.where(e.c.district_code == district)
        active = active.where(w.c.district_code == district)
    if street is not None:
        states = states.where(e.c.street_code == street)
        active = active.where(w.c.street_code == street)
    with engine.connect() as conn:
        by_state = Counter(r[0] for r in conn.execute(states))
        levels: Counter[str] = Counter()
        for r in conn.execute(active):
            level = "none"
            for h in r[1] or []:
                kind = h.get("kind")
                changes = kind in ("raised", "upgraded", "downgraded", "cleared")
                if changes and datetime.fromisoformat(h["at"]) <= moment:
                    level = h["level"]
            if level != "none":
                levels[level] += 1
    return {
        "at": moment.isoformat(),
        "events_by_state": dict(sorted(by_state.items())),
        "active_warnings_by_level": dict(sorted(levels.items())),
    }


FINISHED = ("closed", "cancelled", "merged")


def snapshot(
    engine: Engine,
    moment: datetime,
    district: str | None = None,
    street: str | None = None,
    include_finished: bool = False,
    limit: int = 5000,
) -> dict[str, Any]:
    """The city at ``moment`` for a map: each event with its state then and its coordinates,
    each warning active then with its level then, inside the district / street when given."""
    tl, e = t.event_timeline, t.events
    last = (
        sa.select(tl.c.event_id, sa.func.max(tl.c.seq).label("seq"))
        .where(tl.c.at <= moment)
        .group_by(tl.c.event_id)
        .subquery()
    )
    stmt = (
        sa.select(
            e.c.id,
            e.c.ref,
            e.c.type_code,
            e.c.severity,
            e.c.lon,
            e.c.lat,
            e.c.district_code,
            e.c.street_code,
            e.c.grid_code,
            e.c.created_at,
            tl.c.to_state,
            tl.c.at,
            tl.c.unit,
        )
        .select_from(
            tl.join(last, sa.and_(tl.c.event_id == last.c.event_id, tl.c.seq == last.c.seq)).join(
                e, e.c.id == tl.c.event_id
            )
        )
        .order_by(e.c.created_at, e.c.ref)
    )
    if not include_finished:
        stmt = stmt.where(tl.c.to_state.not_in(FINISHED))
    if district is not None:
        stmt = stmt.where(e.c.district_code == district)
    if street is not None:
        stmt = stmt.where(e.c.street_code == street)
    w = t.warnings
    wstmt = sa.select(
        w.c.id,
        w.c.rule_id,
        w.c.subject,
        w.c.event_type,
        w.c.lon,
        w.c.lat,
        w.c.district_code,
        w.c.street_code,
        w.c.history,
    ).where(w.c.raised_at <= moment)
    if district is not None:
        wstmt = wstmt.where(w.c.district_code == district)
    if street is not None:
        wstmt = wstmt.where(w.c.street_code == street)
    with engine.connect() as conn:
        rows = conn.execute(stmt.limit(limit + 1)).all()
        events = [
            {
                "id": r.id,
                "ref": r.ref,
                "type_code": r.type_code,
                "severity": r.severity,
                "state": r.to_state,
                "since": r.at.isoformat(),
                "unit": r.unit,
                "lon": r.lon,
                "lat": r.lat,
                "district": r.district_code,
                "street": r.street_code,
                "grid": r.grid_code,
                "created_at": r.created_at.isoformat(),
            }
            for r in rows[:limit]
        ]
        warnings = []
        for r in conn.execute(wstmt):
            level = "none"
            for h in r.history or []:
                changes = h.get("kind") in ("raised", "upgraded", "downgraded", "cleared")
                if changes and datetime.fromisoformat(h["at"]) <= moment:
                    level = h["level"]
            if level != "none":
                warnings.append(
                    {
                        "id": r.id,
                        "rule": r.rule_id,
                        "subject": r.subject,
                        "event_type": r.event_type,
                        "level": level,
                        "lon": r.lon,
                        "lat": r.lat,
                        "district": r.district_code,
                        "street": r.street_code,
                    }
                )
    return {
        "at": moment.isoformat(),
        "events": events,
        "truncated": len(rows) > limit,
        "events_by_state": dict(sorted(Counter(x["state"] for x in events).items())),
        "warnings": warnings,
        "active_warnings_by_level": dict(sorted(Counter(x["level"] for x in warnings).items())),
    }
