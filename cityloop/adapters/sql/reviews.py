"""Incident reviews: reading an incident's history (events, warnings, plan tasks) and storing
review records with their lessons (table ``incident_reviews``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t
from cityloop.domain.access import NotFound
from cityloop.evaluation.review import IncidentEvent, IncidentTask, IncidentWarning, Line
from cityloop.services.ports import ConcurrencyError

_EVENT_LEVEL = {
    "district": t.events.c.district_code,
    "street": t.events.c.street_code,
    "community": t.events.c.community_code,
    "grid": t.events.c.grid_code,
}
_WARNING_LEVEL = {
    "district": t.warnings.c.district_code,
    "street": t.warnings.c.street_code,
    "community": t.warnings.c.community_code,
    "grid": t.warnings.c.grid_code,
}


@dataclass
class Incident:
    events: list[IncidentEvent]
    warnings: list[IncidentWarning]
    tasks: list[IncidentTask]


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def load_events(conn: sa.Connection, where: Any) -> list[IncidentEvent]:
    e, tl, r = t.events, t.event_timeline, t.reports
    rows = conn.execute(
        sa.select(
            e.c.id,
            e.c.ref,
            e.c.type_code,
            e.c.created_at,
            e.c.district_code,
            e.c.street_code,
            e.c.lon,
            e.c.lat,
        )
        .where(where, e.c.state != "merged")
        .order_by(e.c.created_at, e.c.ref)
    ).all()
    out = []
    for row in rows:
        lines = tuple(
            Line(x.seq, x.at, x.action, x.unit, x.actor, x.note, dict(x.payload or {}))
            for x in conn.execute(sa.select(tl).where(tl.c.event_id == row.id).order_by(tl.c.seq))
        )
        first = conn.execute(
            sa.select(sa.func.min(r.c.received_at)).where(r.c.event_id == row.id)
        ).scalar()
        out.append(
            IncidentEvent(
                id=row.id,
                ref=row.ref,
                type_code=row.type_code,
                first_report_at=min(first, row.created_at) if first else row.created_at,
                district=row.district_code,
                street=row.street_code,
                lon=row.lon,
                lat=row.lat,
                lines=lines,
            )
        )
    return out


def load_warnings(conn: sa.Connection, where: Any) -> list[IncidentWarning]:
    w = t.warnings
    return [
        IncidentWarning(x.id, x.rule_id, x.subject, x.event_type, tuple(x.history or ()))
        for x in conn.execute(sa.select(w).where(where).order_by(w.c.raised_at, w.c.id))
    ]


def _tasks(activation: Any) -> list[IncidentTask]:
    out = []
    for d in activation.tasks or []:
        assigned, due = _dt(d.get("assigned_at")), _dt(d.get("due_at"))
        if assigned is None or due is None:
            continue
        out.append(
            IncidentTask(
                activation_id=activation.id,
                task_id=str(d["id"]),
                department=str(d["department"]),
                action_en=str(d.get("action_en") or ""),
                action_zh=str(d.get("action_zh") or ""),
                assigned_at=assigned,
                due_at=due,
                acknowledged_at=_dt(d.get("acknowledged_at")),
                done_at=_dt(d.get("done_at")),
            )
        )
    return out


def _place_warnings(level: str | None, code: str | None, since: datetime, until: datetime) -> Any:
    w = t.warnings
    where = sa.and_(w.c.raised_at >= since, w.c.raised_at < until)
    if level in _WARNING_LEVEL and code:
        where = sa.and_(where, _WARNING_LEVEL[level] == code)
    return where


def incident_of_event(
    engine: Engine, event_id: str, level: str, code: str, since: datetime, until: datetime
) -> Incident:
    """The event and its split children, the warnings linked to them or raised in the event's
    territory ``(level, code)`` in the window, no plan tasks."""
    e = t.events
    with engine.connect() as conn:
        events = load_events(conn, sa.or_(e.c.id == event_id, e.c.parent_id == event_id))
        linked = conn.execute(sa.select(e.c.warning_ids).where(e.c.id == event_id)).scalar()
        w = t.warnings
        warnings = load_warnings(
            conn,
            sa.or_(w.c.id.in_(list(linked or [])), _place_warnings(level, code, since, until)),
        )
    return Incident(events, warnings, [])


def incident_of_activation(
    engine: Engine, activation: Any, level: str, code: str, since: datetime, until: datetime
) -> Incident:
    """A plan activation's events, its warnings and those of its territory, and its tasks."""
    e, w = t.events, t.warnings
    with engine.connect() as conn:
        events = load_events(conn, e.c.id.in_(list(activation.event_ids or [])))
        warnings = load_warnings(
            conn,
            sa.or_(
                w.c.id.in_(list(activation.warning_ids or [])),
                _place_warnings(level, code, since, until),
            ),
        )
    return Incident(events, warnings, _tasks(activation))


def incident_of_window(
    engine: Engine, level: str, code: str | None, since: datetime, until: datetime
) -> Incident:
    """The events created in ``[since, until)`` in the territory, its warnings raised then and
    the tasks of the plans activated there then."""
    e, pa = t.events, t.plan_activations
    where = sa.and_(e.c.created_at >= since, e.c.created_at < until)
    if level in _EVENT_LEVEL and code:
        where = sa.and_(where, _EVENT_LEVEL[level] == code)
    with engine.connect() as conn:
        events = load_events(conn, where)
        warnings = load_warnings(conn, _place_warnings(level, code, since, until))
        stmt = sa.select(pa).where(pa.c.activated_at >= since, pa.c.activated_at < until)
        if code and level != "city":
            stmt = stmt.where(pa.c.jurisdiction == code)
        tasks = [task for a in conn.execute(stmt) for task in _tasks(a)]
    return Incident(events, warnings, tasks)


def activation_row(engine: Engine, activation_id: str) -> Any:
    pa = t.plan_activations
    with engine.connect() as conn:
        return conn.execute(sa.select(pa).where(pa.c.id == activation_id)).first()


def event_row(engine: Engine, event_id: str) -> Any:
    e = t.events
    with engine.connect() as conn:
        return conn.execute(
            sa.select(e.c.id, e.c.ref, e.c.created_at, e.c.district_code, e.c.street_code).where(
                e.c.id == event_id
            )
        ).first()


# ---- review records ----------------------------------------------------------------------


def _record(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "source": row.source,
        "source_id": row.source_id,
        "jurisdiction": row.jurisdiction,
        "district": row.district_code,
        "street": row.street_code,
        "from": row.window_from.isoformat(),
        "to": row.window_to.isoformat(),
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "version": row.version,
        "lessons": list(row.lessons or []),
        **dict(row.findings or {}),
    }


def insert_review(engine: Engine, values: dict[str, Any]) -> dict[str, Any]:
    with engine.begin() as conn:
        conn.execute(sa.insert(t.incident_reviews).values(**values, version=1))
    review = get_review(engine, values["id"])
    assert review is not None
    return review


def get_review(engine: Engine, review_id: str) -> dict[str, Any] | None:
    r = t.incident_reviews
    with engine.connect() as conn:
        row = conn.execute(sa.select(r).where(r.c.id == review_id)).first()
    return None if row is None else _record(row)


def list_reviews(
    engine: Engine, district: str | None, street: str | None, limit: int = 100
) -> list[dict[str, Any]]:
    """Newest first, inside the territory when a district / street is given (summaries)."""
    r = t.incident_reviews
    stmt = sa.select(r).order_by(r.c.created_at.desc(), r.c.id).limit(limit)
    if district is not None:
        stmt = stmt.where(r.c.district_code == district)
    if street is not None:
        stmt = stmt.where(r.c.street_code == street)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out = []
    for row in rows:
        full = _record(row)
        out.append(
            {
                k: full[k]
                for k in ("id", "title", "source", "source_id", "jurisdiction", "from", "to")
            }
            | {
                "created_by": full["created_by"],
                "created_at": full["created_at"],
                "late_steps": len(full.get("late", [])),
                "lead_time_minutes": full.get("lead_time_minutes"),
                "lessons": len(full["lessons"]),
            }
        )
    return out


def save_lessons(
    engine: Engine, review_id: str, lessons: list[dict[str, Any]], version: int, at: datetime
) -> dict[str, Any]:
    """Replace the lessons if the record is still at ``version`` (optimistic), else 409."""
    r = t.incident_reviews
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(r)
            .where(r.c.id == review_id, r.c.version == version)
            .values(lessons=lessons, updated_at=at, version=version + 1)
        ).rowcount
    if done != 1:
        raise ConcurrencyError("the review was changed meanwhile; read it again and retry")
    review = get_review(engine, review_id)
    if review is None:
        raise NotFound("no such review")
    return review
