"""The Event aggregate: one case carried round the closed loop.

Every action goes through :meth:`Event.apply`, which checks the transition table, appends an
immutable timeline entry and records a domain event; the aggregate never does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cityloop.domain.errors import InvalidCommand, TransitionNotAllowed
from cityloop.domain.lifecycle import Action, State, allowed_actions, target_state
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, JurisdictionChain

Payload = dict[str, Any]


class Source(StrEnum):
    CITIZEN = "citizen"
    HOTLINE = "hotline"
    GRID = "grid"
    SENSOR = "sensor"
    DEPARTMENT = "department"
    PLAN = "plan"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a user with a role, acting for a unit (department or territory)."""

    id: str
    role: str
    unit: str | None = None

    @classmethod
    def system(cls, reason: str = "system") -> Actor:
        return cls(id=reason, role="system", unit=None)


@dataclass(frozen=True, slots=True)
class Location:
    lon: float | None = None
    lat: float | None = None
    chain: JurisdictionChain | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    content_type: str
    size: int
    key: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One immutable line of an event's history."""

    seq: int
    at: datetime
    action: str
    from_state: State | None
    to_state: State
    actor: str
    role: str
    unit: str | None
    note: str | None = None
    payload: Payload = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened to an aggregate, in the past tense (``EventDispatched``)."""

    name: str
    aggregate_id: str
    ref: str
    at: datetime
    payload: Payload = field(default_factory=dict)


_EVENT_NAMES: dict[str, str] = {
    "report": "EventReported",
    Action.TRIAGE: "EventTriaged",
    Action.DISPATCH: "EventDispatched",
    Action.ACCEPT: "EventAccepted",
    Action.RETURN: "EventReturned",
    Action.START: "EventStarted",
    Action.RESOLVE: "EventResolved",
    Action.VERIFY: "EventVerified",
    Action.REJECT: "EventVerificationRejected",
    Action.CLOSE: "EventClosed",
    Action.REOPEN: "EventReopened",
    Action.SUSPEND: "EventSuspended",
    Action.RESUME: "EventResumed",
    Action.CANCEL: "EventCancelled",
    Action.MERGE: "EventMerged",
    Action.ESCALATE: "EventEscalated",
    "absorb": "EventDuplicateAbsorbed",
    "attach": "EventAttachmentAdded",
}


@dataclass
class Event:
    """A case of the closed loop: reported, dispatched, disposed, verified, closed."""

    id: str
    ref: str
    source: Source
    title: str
    created_at: datetime
    description: str = ""
    type_code: str | None = None
    severity: Severity = Severity.IV
    location: Location = field(default_factory=Location)
    reporter_ref: str | None = None
    state: State = State.REPORTED
    lead_unit: str | None = None
    co_units: tuple[str, ...] = ()
    handling_level: HandlingLevel = HandlingLevel.STREET
    accept_by: datetime | None = None
    dispose_by: datetime | None = None
    parent_id: str | None = None
    warning_ids: tuple[str, ...] = ()
    report_ids: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    updated_at: datetime | None = None
    version: int = 0
    timeline: list[TimelineEntry] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    # ---- creation -----------------------------------------------------------------------

    @classmethod
    def report(
        cls,
        *,
        id: str,
        ref: str,
        source: Source,
        title: str,
        at: datetime,
        actor: Actor,
        description: str = "",
        type_code: str | None = None,
        severity: Severity = Severity.IV,
        location: Location | None = None,
        reporter_ref: str | None = None,
        warning_ids: tuple[str, ...] = (),
        report_ids: tuple[str, ...] = (),
        attachments: tuple[Attachment, ...] = (),
    ) -> Event:
        """A new event in state ``reported``, with its first timeline entry."""
        if not title.strip():
            raise InvalidCommand("an event needs a title")
        event = cls(
            id=id,
            ref=ref,
            source=source,
            title=title.strip(),
            description=description,
            created_at=at,
            updated_at=at,
            type_code=type_code,
            severity=severity,
            location=location or Location(),
            reporter_ref=reporter_ref,
            warning_ids=warning_ids,
            report_ids=report_ids,
            attachments=attachments,
        )
        payload: Payload = {"source": source.value, "type_code": type_code}
        payload["severity"] = severity.value
        event._record("report", None, State.REPORTED, at, actor, None, payload)
        return event

    # ---- actions ------------------------------------------------------------------------

    def allowed_actions(self) -> tuple[Action, ...]:
        return allowed_actions(self.state)

    def can(self, action: Action) -> bool:
        return target_state(self.state, action) is not None

    def triage(
        self,
        *,
        at: datetime,
        actor: Actor,
        type_code: str,
        severity: Severity,
        location: Location | None = None,
        note: str | None = None,
        reasons: tuple[str, ...] = (),
    ) -> None:
        """Fix the type, severity and (optionally) the location of the event."""
        to = self._check(Action.TRIAGE)
        self.type_code = type_code
        self.severity = severity
        if location is not None:
            self.location = location
        payload: Payload = {"type_code": type_code, "severity": severity.value}
        if reasons:
            payload["reasons"] = list(reasons)
        self._record(Action.TRIAGE, self.state, to, at, actor, note, payload)

    def dispatch(
        self,
        *,
        at: datetime,
        actor: Actor,
        lead_unit: str,
        co_units: tuple[str, ...],
        level: HandlingLevel,
        accept_within: timedelta,
        dispose_within: timedelta,
        note: str | None = None,
        reasons: tuple[str, ...] = (),
    ) -> None:
        """Send the event to its lead unit and co-units, with accept and dispose deadlines."""
        to = self._check(Action.DISPATCH)
        if not lead_unit:
            raise InvalidCommand("dispatch needs a lead unit")
        if self.type_code is None:
            raise InvalidCommand("an event must be triaged (given a type) before dispatch")
        co = tuple(dict.fromkeys(u for u in co_units if u != lead_unit))
        self.lead_unit, self.co_units, self.handling_level = lead_unit, co, level
        self.accept_by, self.dispose_by = at + accept_within, at + dispose_within
        payload: Payload = {
            "lead_unit": lead_unit,
            "co_units": list(co),
            "handling_level": level.value,
            "accept_by": self.accept_by.isoformat(),
            "dispose_by": self.dispose_by.isoformat(),
        }
        if reasons:
            payload["reasons"] = list(reasons)
        self._record(Action.DISPATCH, self.state, to, at, actor, note, payload)

    def accept(self, *, at: datetime, actor: Actor, note: str | None = None) -> None:
        self._simple(Action.ACCEPT, at, actor, note)

    def return_(self, *, at: datetime, actor: Actor, reason: str) -> None:
        """退回: the unit says the event is not theirs, with a reason; a dispatcher redirects."""
        if not reason.strip():
            raise InvalidCommand("a return needs a reason")
        to = self._check(Action.RETURN)
        payload: Payload = {"returned_by_unit": actor.unit}
        self._record(Action.RETURN, self.state, to, at, actor, reason.strip(), payload)

    def start(self, *, at: datetime, actor: Actor, note: str | None = None) -> None:
        self._simple(Action.START, at, actor, note)

    def resolve(
        self,
        *,
        at: datetime,
        actor: Actor,
        result: str,
        measures: str | None = None,
        people: int | None = None,
        vehicles: int | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> None:
        """The unit reports back what it did (留痕): result, measures, forces, evidence."""
        if not result.strip():
            raise InvalidCommand("resolving needs feedback: what was done")
        to = self._check(Action.RESOLVE)
        self.attachments = self.attachments + attachments
        payload: Payload = {
            "result": result.strip(),
            "measures": measures,
            "people": people,
            "vehicles": vehicles,
            "attachments": [a.key for a in attachments],
            "on_time": self.dispose_by is None or at <= self.dispose_by,
        }
        self._record(Action.RESOLVE, self.state, to, at, actor, result.strip(), payload)

    def verify(self, *, at: datetime, actor: Actor, note: str | None = None) -> None:
        self._simple(Action.VERIFY, at, actor, note)

    def reject(self, *, at: datetime, actor: Actor, reason: str) -> None:
        """Verification failed: the problem is still there; back to the unit."""
        if not reason.strip():
            raise InvalidCommand("rejecting a resolution needs a reason")
        self._simple(Action.REJECT, at, actor, reason.strip())

    def close(self, *, at: datetime, actor: Actor, note: str | None = None) -> None:
        self._simple(Action.CLOSE, at, actor, note)

    def reopen(
        self,
        *,
        at: datetime,
        actor: Actor,
        reason: str,
        accept_within: timedelta,
        dispose_within: timedelta,
    ) -> None:
        """Reopen a verified or closed event: the same units get it back with new deadlines."""
        if not reason.strip():
            raise InvalidCommand("reopening needs a reason")
        to = self._check(Action.REOPEN)
        self.accept_by, self.dispose_by = at + accept_within, at + dispose_within
        payload: Payload = {
            "accept_by": self.accept_by.isoformat(),
            "dispose_by": self.dispose_by.isoformat(),
        }
        self._record(Action.REOPEN, self.state, to, at, actor, reason.strip(), payload)

    def suspend(self, *, at: datetime, actor: Actor, reason: str) -> None:
        if not reason.strip():
            raise InvalidCommand("suspending needs a reason")
        self._simple(Action.SUSPEND, at, actor, reason.strip())

    def resume(self, *, at: datetime, actor: Actor, note: str | None = None) -> None:
        self._simple(Action.RESUME, at, actor, note)

    def cancel(self, *, at: datetime, actor: Actor, reason: str) -> None:
        if not reason.strip():
            raise InvalidCommand("cancelling needs a reason")
        self._simple(Action.CANCEL, at, actor, reason.strip())

    def merge_into(
        self, *, parent_id: str, parent_ref: str, at: datetime, actor: Actor, note: str | None
    ) -> None:
        """Fold this duplicate into ``parent``; the parent keeps the report links."""
        if parent_id == self.id:
            raise InvalidCommand("an event cannot be merged into itself")
        to = self._check(Action.MERGE)
        self.parent_id = parent_id
        payload: Payload = {"parent_id": parent_id, "parent_ref": parent_ref}
        self._record(Action.MERGE, self.state, to, at, actor, note, payload)

    def absorb(self, child: Event, *, at: datetime, actor: Actor) -> None:
        """Take over a merged duplicate's reports, warnings and attachments."""
        self.report_ids = tuple(dict.fromkeys(self.report_ids + child.report_ids))
        self.warning_ids = tuple(dict.fromkeys(self.warning_ids + child.warning_ids))
        self.attachments = self.attachments + child.attachments
        payload: Payload = {"child_id": child.id, "child_ref": child.ref}
        self._record("absorb", self.state, self.state, at, actor, None, payload)

    def escalate(
        self,
        *,
        at: datetime,
        actor: Actor,
        reason: str,
        to_level: HandlingLevel | None = None,
    ) -> None:
        """Raise the handling level one step (or to ``to_level``); the state is kept."""
        to = self._check(Action.ESCALATE)
        target = to_level or self.handling_level.up()
        order = list(HandlingLevel)
        if target is None or order.index(target) <= order.index(self.handling_level):
            raise InvalidCommand(
                f"cannot escalate from level '{self.handling_level.value}'"
                + (f" to '{target.value}'" if target else "")
            )
        payload: Payload = {"from_level": self.handling_level.value, "to_level": target.value}
        self.handling_level = target
        self._record(Action.ESCALATE, self.state, to, at, actor, reason, payload)

    def attach(self, attachment: Attachment, *, at: datetime, actor: Actor) -> None:
        if self.state.is_terminal:
            raise TransitionNotAllowed(self.state.value, "attach")
        self.attachments = (*self.attachments, attachment)
        payload: Payload = {"key": attachment.key, "name": attachment.name}
        self._record("attach", self.state, self.state, at, actor, None, payload)

    # ---- internals ----------------------------------------------------------------------

    def _check(self, action: Action) -> State:
        to = target_state(self.state, action)
        if to is None:
            allowed = tuple(a.value for a in self.allowed_actions())
            raise TransitionNotAllowed(self.state.value, action.value, allowed)
        return to

    def _simple(self, action: Action, at: datetime, actor: Actor, note: str | None) -> None:
        to = self._check(action)
        self._record(action, self.state, to, at, actor, note, {})

    def _record(
        self,
        action: str,
        from_state: State | None,
        to_state: State,
        at: datetime,
        actor: Actor,
        note: str | None,
        payload: Payload,
    ) -> None:
        entry = TimelineEntry(
            seq=len(self.timeline) + 1,
            at=at,
            action=str(action),
            from_state=from_state,
            to_state=to_state,
            actor=actor.id,
            role=actor.role,
            unit=actor.unit,
            note=note,
            payload=payload,
        )
        self.timeline.append(entry)
        self.state = to_state
        self.updated_at = at
        name = _EVENT_NAMES.get(str(action), "EventUpdated")
        body: Payload = {
            "action": str(action),
            "from_state": from_state.value if from_state else None,
            "to_state": to_state.value,
            "actor": actor.id,
            "role": actor.role,
            "unit": actor.unit,
            "note": note,
            **payload,
        }
        self.events.append(DomainEvent(name, self.id, self.ref, at, body))
