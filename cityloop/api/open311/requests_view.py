"""Service requests as Open311 sees them: one per report, with its event's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t
from cityloop.city.model import City

CLOSED_STATES = ("closed", "cancelled")


@dataclass(frozen=True, slots=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()
    limit: int = 1000


def _status(state: str | None) -> str:
    return "closed" if state in CLOSED_STATES else "open"


def _notes(m: Any, city: City, lang: str) -> str:
    state = m["state"]
    lead = m["lead_unit"]
    dept = city.departments.get(lead) if lead else None
    lead_name = (dept.name_en if lang == "en" else dept.name_zh) if dept else lead
    if state == "reported":
        return "received, awaiting triage" if lang == "en" else "已受理，待分拨"
    if state in ("triaged", "returned"):
        return "being assigned" if lang == "en" else "正在分拨"
    if state == "dispatched":
        return f"dispatched to {lead_name}" if lang == "en" else f"已派遣至{lead_name}"
    if state in ("accepted", "in_progress", "suspended"):
        return f"being handled by {lead_name}" if lang == "en" else f"{lead_name}正在处置"
    if state in ("resolved", "verified"):
        return "resolved, being verified" if lang == "en" else "已处置，待核查"
    if state == "closed":
        return "closed" if lang == "en" else "已办结"
    return "cancelled" if lang == "en" else "已撤销"


def search_requests(engine: Engine, city: City, q: RequestQuery, lang: str) -> list[dict[str, Any]]:
    r, e = t.reports, t.events
    stmt = sa.select(
        r.c.ref,
        r.c.text,
        r.c.type_code.label("report_type"),
        r.c.received_at,
        r.c.address,
        r.c.lon,
        r.c.lat,
        r.c.media,
        e.c.type_code,
        e.c.state,
        e.c.lead_unit,
        e.c.updated_at,
        e.c.dispose_by,
    ).select_from(r.outerjoin(e, r.c.event_id == e.c.id))
    if q.ids:
        stmt = stmt.where(r.c.ref.in_(q.ids))
    if q.service_codes:
        stmt = stmt.where(sa.func.coalesce(e.c.type_code, r.c.type_code).in_(q.service_codes))
    if q.start is not None:
        stmt = stmt.where(r.c.received_at >= q.start)
    if q.end is not None:
        stmt = stmt.where(r.c.received_at <= q.end)
    if q.statuses and set(q.statuses) != {"open", "closed"}:
        closed = e.c.state.in_(CLOSED_STATES)
        stmt = stmt.where(closed if "closed" in q.statuses else sa.not_(closed))
    stmt = stmt.order_by(r.c.received_at.desc(), r.c.ref.desc()).limit(q.limit)
    tz = ZoneInfo(city.timezone)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [_request(row._mapping, city, lang, tz) for row in rows]


def _fmt(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat(timespec="seconds") if value is not None else None


def _request(m: Any, city: City, lang: str, tz: ZoneInfo) -> dict[str, Any]:
    code = m["type_code"] or m["report_type"]
    etype = city.event_types.get(code) if code else None
    lead = m["lead_unit"]
    dept = city.departments.get(lead) if lead else None
    media = m["media"] or []
    return {
        "service_request_id": m["ref"],
        "status": _status(m["state"]),
        "status_notes": _notes(m, city, lang),
        "service_name": (etype.name_en if lang == "en" else etype.name_zh) if etype else None,
        "service_code": code,
        "description": m["text"],
        "agency_responsible": (dept.name_en if lang == "en" else dept.name_zh) if dept else None,
        "service_notice": None,
        "requested_datetime": _fmt(m["received_at"], tz),
        "updated_datetime": _fmt(m["updated_at"] or m["received_at"], tz),
        "expected_datetime": _fmt(m["dispose_by"], tz),
        "address": m["address"],
        "address_id": None,
        "zipcode": None,
        "lat": m["lat"],
        "long": m["lon"],
        "media_url": media[0] if media else None,
    }
