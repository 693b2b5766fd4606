"""Turning aggregates into API bodies, within what the caller may see."""

from __future__ import annotations

import base64
from datetime import datetime

from cityloop.api import schemas as s
from cityloop.city.model import City
from cityloop.domain.access import Principal
from cityloop.domain.event import Event, TimelineEntry
from cityloop.domain.reporter import Reporter


def name_in(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def event_out(
    event: Event,
    principal: Principal,
    city: City,
    lang: str,
    reporter: Reporter | None = None,
) -> s.EventOut:
    etype = city.event_types.get(event.type_code) if event.type_code else None
    chain = event.location.chain
    actions = principal.permitted([a.value for a in event.allowed_actions()], event)
    return s.EventOut(
        id=event.id,
        ref=event.ref,
        state=event.state.value,
        source=event.source.value,
        type_code=event.type_code,
        type_name=name_in(lang, etype.name_zh, etype.name_en) if etype else None,
        severity=event.severity.value,
        title=event.title,
        description=event.description,
        location=s.LocationOut(
            lon=event.location.lon,
            lat=event.location.lat,
            address=event.location.address,
            chain=chain.as_dict() if chain else None,
        ),
        lead_unit=event.lead_unit,
        co_units=list(event.co_units),
        handling_level=event.handling_level.value,
        accept_by=event.accept_by,
        dispose_by=event.dispose_by,
        parent_id=event.parent_id,
        warning_ids=list(event.warning_ids),
        report_ids=list(event.report_ids),
        attachments=[
            {"name": a.name, "content_type": a.content_type, "size": a.size, "key": a.key}
            for a in event.attachments
        ],
        has_reporter=event.reporter_ref is not None,
        reporter=(
            s.ReporterOut(name=reporter.name, phone=reporter.phone, email=reporter.email)
            if reporter is not None and principal.sees_contact_details
            else None
        ),
        created_at=event.created_at,
        updated_at=event.updated_at,
        version=event.version,
        allowed_actions=actions,
    )


def timeline_out(entry: TimelineEntry) -> s.TimelineEntryOut:
    return s.TimelineEntryOut(
        seq=entry.seq,
        at=entry.at,
        action=entry.action,
        from_state=entry.from_state.value if entry.from_state else None,
        to_state=entry.to_state.value,
        actor=entry.actor,
        role=entry.role,
        unit=entry.unit,
        note=entry.note,
        payload=entry.payload,
    )


def encode_cursor(cursor: tuple[datetime, str] | None) -> str | None:
    if cursor is None:
        return None
    raw = f"{cursor[0].isoformat()}|{cursor[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, str]:
    """Raises ValueError on a malformed cursor."""
    padded = token + "=" * (-len(token) % 4)
    at, _, event_id = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
    if not event_id:
        raise ValueError("malformed cursor")
    parsed = datetime.fromisoformat(at)
    if parsed.tzinfo is None:
        raise ValueError("malformed cursor")
    return parsed, event_id
