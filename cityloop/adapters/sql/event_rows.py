"""Mapping between the Event aggregate and its rows (the domain knows nothing of SQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cityloop.adapters.sql.counters import map_cell
from cityloop.domain.event import Attachment, Event, Location, Source, TimelineEntry
from cityloop.domain.lifecycle import State
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, JurisdictionChain


def event_to_row(event: Event) -> dict[str, Any]:
    chain = event.location.chain
    return {
        "id": event.id,
        "ref": event.ref,
        "source": event.source.value,
        "type_code": event.type_code,
        "severity": event.severity.value,
        "title": event.title,
        "description": event.description,
        "state": event.state.value,
        "lon": event.location.lon,
        "lat": event.location.lat,
        "city_code": chain.city if chain else None,
        "district_code": chain.district if chain else None,
        "street_code": chain.street if chain else None,
        "community_code": chain.community if chain else None,
        "grid_code": chain.grid if chain else None,
        "address": event.location.address,
        "reporter_id": event.reporter_ref,
        "lead_unit": event.lead_unit,
        "co_units": list(event.co_units),
        "handling_level": event.handling_level.value,
        "accept_by": event.accept_by,
        "dispose_by": event.dispose_by,
        "parent_id": event.parent_id,
        "warning_ids": list(event.warning_ids),
        "report_ids": list(event.report_ids),
        "attachments": [attachment_to_json(a) for a in event.attachments],
        "board": event.board,
        "suggestion": event.suggestion,
        "triage_reasons": list(event.triage_reasons),
        "co_feedback": list(event.co_feedback),
        "lead_resolved_at": event.lead_resolved_at,
        "dispatched_at": event.dispatched_at,
        "warn_at": event.warn_at,
        "due_at": event.due_at,
        "supervision": event.supervision,
        "created_at": event.created_at,
        "updated_at": event.updated_at or event.created_at,
        "version": event.version,
        "map_cell": map_cell(event.location.lon, event.location.lat),
    }


def unit_rows(event: Event) -> list[dict[str, Any]]:
    rows = []
    if event.lead_unit:
        rows.append({"event_id": event.id, "department": event.lead_unit, "role": "lead"})
    rows.extend(
        {"event_id": event.id, "department": d, "role": "co"}
        for d in event.co_units
        if d != event.lead_unit
    )
    return rows


def attachment_to_json(a: Attachment) -> dict[str, Any]:
    return {
        "name": a.name,
        "content_type": a.content_type,
        "size": a.size,
        "key": a.key,
        "uploaded_by": a.uploaded_by,
        "uploaded_at": a.uploaded_at.isoformat(),
    }


def attachment_from_json(d: dict[str, Any]) -> Attachment:
    return Attachment(
        name=d["name"],
        content_type=d["content_type"],
        size=int(d["size"]),
        key=d["key"],
        uploaded_by=d["uploaded_by"],
        uploaded_at=datetime.fromisoformat(d["uploaded_at"]),
    )


def event_from_row(row: Any, timeline: list[TimelineEntry] | None = None) -> Event:
    m = row._mapping
    chain = (
        JurisdictionChain(
            city=m["city_code"],
            district=m["district_code"],
            street=m["street_code"],
            community=m["community_code"],
            grid=m["grid_code"],
        )
        if m["city_code"]
        else None
    )
    return Event(
        id=m["id"],
        ref=m["ref"],
        source=Source(m["source"]),
        title=m["title"],
        description=m["description"] or "",
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        type_code=m["type_code"],
        severity=Severity(m["severity"]),
        location=Location(lon=m["lon"], lat=m["lat"], chain=chain, address=m["address"]),
        reporter_ref=m["reporter_id"],
        state=State(m["state"]),
        lead_unit=m["lead_unit"],
        co_units=tuple(m["co_units"] or ()),
        handling_level=HandlingLevel(m["handling_level"]),
        accept_by=m["accept_by"],
        dispose_by=m["dispose_by"],
        parent_id=m["parent_id"],
        warning_ids=tuple(m["warning_ids"] or ()),
        report_ids=tuple(m["report_ids"] or ()),
        attachments=tuple(attachment_from_json(a) for a in m["attachments"] or ()),
        board=m["board"],
        suggestion=m["suggestion"],
        triage_reasons=tuple(m["triage_reasons"] or ()),
        co_feedback=tuple(m["co_feedback"] or ()),
        lead_resolved_at=m["lead_resolved_at"],
        dispatched_at=m["dispatched_at"],
        warn_at=m["warn_at"],
        due_at=m["due_at"],
        supervision=m["supervision"],
        version=m["version"],
        timeline=timeline if timeline is not None else [],
    )


def timeline_to_row(event_id: str, e: TimelineEntry) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "seq": e.seq,
        "at": e.at,
        "action": e.action,
        "from_state": e.from_state.value if e.from_state else None,
        "to_state": e.to_state.value,
        "actor": e.actor,
        "role": e.role,
        "unit": e.unit,
        "note": e.note,
        "payload": e.payload,
    }


def timeline_from_row(row: Any) -> TimelineEntry:
    m = row._mapping
    return TimelineEntry(
        seq=m["seq"],
        at=m["at"],
        action=m["action"],
        from_state=State(m["from_state"]) if m["from_state"] else None,
        to_state=State(m["to_state"]),
        actor=m["actor"],
        role=m["role"],
        unit=m["unit"],
        note=m["note"],
        payload=m["payload"] or {},
    )
