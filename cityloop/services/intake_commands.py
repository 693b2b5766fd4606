"""Intake commands on a shared bus: a report as one JSON message, and back.

The fields are those a channel hands over (`IncomingReport`) that survive a trip through a
queue: text and place, the type and severity if the channel knows them, the contact, the
channel's own id for the record. Attachments travel as upload keys (`media`).
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from cityloop.domain.errors import InvalidCommand
from cityloop.domain.report import Channel
from cityloop.domain.severity import Severity
from cityloop.services.commands import Contact
from cityloop.services.intake import IncomingReport


def encode_report(report: IncomingReport) -> bytes:
    contact = report.contact
    return orjson.dumps(
        {
            "channel": report.channel.value,
            "text": report.text,
            "title": report.title,
            "type_code": report.type_code,
            "severity": report.severity.value if report.severity else None,
            "lon": report.lon,
            "lat": report.lat,
            "address": report.address,
            "contact": None
            if contact is None
            else {
                "name": contact.name,
                "phone": contact.phone,
                "email": contact.email,
                "device_id": contact.device_id,
            },
            "attributes": report.attributes,
            "media": list(report.media),
            "external_id": report.external_id,
            "submitted_by": report.submitted_by,
            "auto_dispatch": report.auto_dispatch,
        }
    )


def decode_report(data: bytes) -> IncomingReport:
    """The report of a message; InvalidCommand names what is wrong with it."""
    try:
        doc: Any = orjson.loads(data)
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
            raise InvalidCommand("an intake command is a JSON object with a text")
        contact = doc.get("contact")
        return IncomingReport(
            channel=Channel(doc.get("channel", "api")),
            text=doc["text"],
            title=doc.get("title"),
            type_code=doc.get("type_code"),
            severity=Severity(doc["severity"]) if doc.get("severity") else None,
            lon=doc.get("lon"),
            lat=doc.get("lat"),
            address=doc.get("address"),
            contact=Contact(**contact) if isinstance(contact, dict) else None,
            attributes=dict(doc.get("attributes") or {}),
            media=tuple(doc.get("media") or ()),
            external_id=doc.get("external_id"),
            submitted_by=doc.get("submitted_by"),
            auto_dispatch=bool(doc.get("auto_dispatch", True)),
        )
    except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
        raise InvalidCommand(f"not an intake command: {exc}") from exc


class IntakeQueue(Protocol):
    def submit(self, reports: list[IncomingReport]) -> int:
        """Queue reports for the intake workers; return how many were queued."""
