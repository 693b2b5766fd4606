"""Read-only queries that span aggregates (reporting, learning)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t


def confirmed_examples(engine: Engine) -> list[tuple[str, str]]:
    """(text, type) of closed events whose final type a person confirmed at triage.

    These are what dispatchers taught the system: retraining on them learns corrections.
    """
    e, tl = t.events, t.event_timeline
    human_triage = sa.exists().where(
        tl.c.event_id == e.c.id, tl.c.action == "triage", tl.c.role != "system"
    )
    stmt = sa.select(e.c.title, e.c.description, e.c.type_code).where(
        e.c.state == "closed", e.c.type_code.is_not(None), human_triage
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [((r.description or r.title).strip(), r.type_code) for r in rows if r.type_code]
