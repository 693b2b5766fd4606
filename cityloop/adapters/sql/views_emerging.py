"""Reads for emerging complaints: the texts of the reports that fit no event type well.

A report fits no type well when its channel gave it no type and its event's classifier
suggestion is missing or below the triage threshold (``needs_triage``). The reporter's name is
read only to be blanked out of the example texts; it never leaves the evaluation module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.views_evaluation import _LEVEL_COLUMNS, Scope
from cityloop.evaluation.frames import Floats, Strs, floats, strs, ts


@dataclass(frozen=True)
class UncertainReports:
    text: list[str]
    received: Floats
    street: Strs
    grid: Strs
    lon: Floats
    lat: Floats
    suggested: Strs  # the classifier's (unconfident) type, "" when none
    names: list[str]  # reporters' names, only to blank them out

    def __len__(self) -> int:
        return len(self.text)


def _uncertain(suggestion: object) -> bool:
    if not isinstance(suggestion, dict):
        return True
    return bool(suggestion.get("needs_triage", True))


def load_uncertain_reports(
    engine: Engine, since: datetime, until: datetime, scope: Scope, limit: int = 3000
) -> UncertainReports:
    """Reports received in ``[since, until)`` in scope whose type was left to the classifier
    and the classifier was not confident; the newest ``limit`` of them."""
    r, e, p = t.reports, t.events, t.reporters
    stmt = (
        sa.select(
            r.c.title,
            r.c.text,
            r.c.received_at,
            r.c.lon,
            r.c.lat,
            e.c.street_code,
            e.c.grid_code,
            e.c.lon.label("event_lon"),
            e.c.lat.label("event_lat"),
            e.c.suggestion,
            p.c.name,
        )
        .select_from(r.join(e, r.c.event_id == e.c.id).outerjoin(p, r.c.reporter_id == p.c.id))
        .where(r.c.received_at >= since, r.c.received_at < until, r.c.type_code.is_(None))
        .order_by(r.c.received_at.desc(), r.c.id)
    )
    if scope.level and scope.code and scope.level != "city":
        stmt = stmt.where(_LEVEL_COLUMNS[scope.level] == scope.code)
    if scope.department:
        u = t.event_units
        stmt = stmt.where(
            sa.exists().where(u.c.event_id == e.c.id, u.c.department == scope.department)
        )
    with engine.connect() as conn:
        rows = [x for x in conn.execute(stmt) if _uncertain(x.suggestion)][:limit]
    rows.reverse()
    return UncertainReports(
        text=[
            x.text if x.title and x.text.startswith(x.title) else f"{x.title} {x.text}".strip()
            for x in rows
        ],
        received=floats([ts(x.received_at) for x in rows]),
        street=strs([x.street_code for x in rows]),
        grid=strs([x.grid_code for x in rows]),
        lon=floats([x.lon if x.lon is not None else x.event_lon for x in rows]),
        lat=floats([x.lat if x.lat is not None else x.event_lat for x in rows]),
        suggested=strs(
            [x.suggestion.get("type") if isinstance(x.suggestion, dict) else None for x in rows]
        ),
        names=sorted({x.name for x in rows if x.name}),
    )
