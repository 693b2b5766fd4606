"""Commands: what a caller asks the system to do. Each has exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cityloop.domain.access import Principal
from cityloop.domain.event import Attachment, Source
from cityloop.domain.ids import new_id
from cityloop.domain.lifecycle import Action
from cityloop.domain.reporter import Reporter
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel
from cityloop.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Contact:
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    device_id: str | None = None

    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.email or self.device_id)


def store_contact(uow: UnitOfWork, contact: Contact | None, at: datetime) -> str | None:
    """Keep a reporter's contact details apart from the event; return their id (None if none)."""
    if contact is None or contact.is_empty():
        return None
    reporter_id = new_id()
    uow.reporters.add(
        Reporter(reporter_id, at, contact.name, contact.phone, contact.email, contact.device_id)
    )
    return reporter_id


@dataclass(frozen=True, slots=True)
class ReportEvent:
    principal: Principal
    title: str
    source: Source
    description: str = ""
    type_code: str | None = None
    severity: Severity | None = None
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    contact: Contact | None = None


@dataclass(frozen=True, slots=True)
class TriageEvent:
    principal: Principal
    event_id: str
    type_code: str
    severity: Severity | None = None
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class DispatchEvent:
    """Dispatch by the responsibility list, or to explicit units (an operator's override)."""

    principal: Principal
    event_id: str
    lead_unit: str | None = None
    co_units: tuple[str, ...] | None = None
    level: HandlingLevel | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ResolveEvent:
    principal: Principal
    event_id: str
    result: str
    measures: str | None = None
    people: int | None = None
    vehicles: int | None = None
    #: Evidence (photos, videos) already uploaded, as event attachments.
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class MergeEvent:
    principal: Principal
    event_id: str
    into_event_id: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class EscalateEvent:
    principal: Principal
    event_id: str
    reason: str
    to_level: HandlingLevel | None = None


@dataclass(frozen=True, slots=True)
class ReopenEvent:
    principal: Principal
    event_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CoUnitFeedback:
    principal: Principal
    event_id: str
    result: str
    people: int | None = None
    vehicles: int | None = None
    unit: str | None = None  # for admins acting for a unit; handlers give their department's


@dataclass(frozen=True, slots=True)
class SplitReport:
    principal: Principal
    event_id: str
    report_id: str
    reason: str


#: Actions whose only input is an optional note.
NOTE_ACTIONS = (Action.ACCEPT, Action.START, Action.VERIFY, Action.CLOSE, Action.RESUME)
#: Actions that require a reason.
REASON_ACTIONS = (Action.RETURN, Action.REJECT, Action.SUSPEND, Action.CANCEL)


@dataclass(frozen=True, slots=True)
class SimpleAction:
    """accept, start, verify, close, resume (note optional); return, reject, suspend, cancel
    (reason required)."""

    principal: Principal
    event_id: str
    action: Action
    note: str | None = None


Command = (
    ReportEvent
    | TriageEvent
    | DispatchEvent
    | ResolveEvent
    | MergeEvent
    | EscalateEvent
    | ReopenEvent
    | SimpleAction
    | CoUnitFeedback
    | SplitReport
)
