"""Reads for evaluation: the events of a window and their timeline, reports and ratings as
columnar frames (``cityloop.evaluation.frames``). Only codes, times, numbers and types are read:
no free text, no reporter, no user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t
from cityloop.evaluation.frames import (
    EventFrame,
    Frames,
    RatingFrame,
    ReportFrame,
    TimelineFrame,
    floats,
    strs,
    ts,
)

_LEVEL_COLUMNS = {
    "city": t.events.c.city_code,
    "district": t.events.c.district_code,
    "street": t.events.c.street_code,
    "community": t.events.c.community_code,
    "grid": t.events.c.grid_code,
}


@dataclass(frozen=True)
class Scope:
    """Which events: inside a territory (level, code) and, for handlers, of a department."""

    level: str | None = None
    code: str | None = None
    department: str | None = None


def load_frames(engine: Engine, since: datetime, until: datetime, scope: Scope) -> Frames:
    """Events created in ``[since, until)`` in scope, with all their timeline lines, reports
    and ratings."""
    e = t.events
    stmt = sa.select(
        e.c.id,
        e.c.created_at,
        e.c.type_code,
        e.c.lead_unit,
        e.c.district_code,
        e.c.street_code,
        e.c.grid_code,
        e.c.lon,
        e.c.lat,
    ).where(e.c.created_at >= since, e.c.created_at < until, e.c.state != "merged")
    if scope.level and scope.code and scope.level != "city":
        stmt = stmt.where(_LEVEL_COLUMNS[scope.level] == scope.code)
    if scope.department:
        u = t.event_units
        stmt = stmt.where(
            sa.exists().where(u.c.event_id == e.c.id, u.c.department == scope.department)
        )
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(e.c.created_at, e.c.id)).all()
        ids = [r.id for r in rows]
        index = {eid: i for i, eid in enumerate(ids)}
        timeline: list[dict[str, Any]] = []
        reports: list[Any] = []
        ratings: list[Any] = []
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            tl = t.event_timeline
            for r in conn.execute(
                sa.select(
                    tl.c.event_id, tl.c.seq, tl.c.at, tl.c.action, tl.c.unit, tl.c.payload
                ).where(tl.c.event_id.in_(chunk))
            ):
                timeline.append(
                    {
                        "event": index[r.event_id],
                        "seq": r.seq,
                        "at": ts(r.at),
                        "action": r.action,
                        "unit": r.unit,
                        "payload": r.payload,
                    }
                )
            rp = t.reports
            reports += conn.execute(
                sa.select(
                    rp.c.event_id, rp.c.received_at, rp.c.type_code, rp.c.lon, rp.c.lat
                ).where(rp.c.event_id.in_(chunk))
            ).all()
            rt = t.ratings
            ratings += conn.execute(
                sa.select(rt.c.event_id, rt.c.score).where(rt.c.event_id.in_(chunk))
            ).all()
    events = EventFrame(
        id=strs(ids),
        created=floats([ts(r.created_at) for r in rows]),
        type_code=strs([r.type_code for r in rows]),
        lead_unit=strs([r.lead_unit for r in rows]),
        district=strs([r.district_code for r in rows]),
        street=strs([r.street_code for r in rows]),
        grid=strs([r.grid_code for r in rows]),
        lon=floats([r.lon for r in rows]),
        lat=floats([r.lat for r in rows]),
    )
    report_frame = ReportFrame(
        event=np.array([index[r.event_id] for r in reports], dtype=np.int64),
        received=floats([ts(r.received_at) for r in reports]),
        type_code=strs([r.type_code for r in reports]),
        lon=floats([r.lon for r in reports]),
        lat=floats([r.lat for r in reports]),
    )
    rating_frame = RatingFrame(
        event=np.array([index[r.event_id] for r in ratings], dtype=np.int64),
        score=floats([r.score for r in ratings]),
    )
    return Frames(events, TimelineFrame.build(timeline), report_frame, rating_frame)
