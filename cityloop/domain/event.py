"""The Event aggregate: one case carried round the closed loop.

Every action checks the declared transition table (``lifecycle.TRANSITIONS``), appends an
immutable timeline entry and records a domain event; the aggregate never does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cityloop.domain.errors import InvalidCommand, TransitionNotAllowed
from cityloop.domain.lifecycle import Action, State, allowed_actions, target_state
from cityloop.domain.records import (
    Actor,
    Attachment,
    DomainEvent,
    Location,
    Payload,
    Source,
    TimelineEntry,
)
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel

__all__ = [
    "REMIND_AT",
    "Actor",
    "Attachment",
    "DomainEvent",
    "Event",
    "Location",
    "Payload",
    "Source",
    "TimelineEntry",
]

Supervision = str  # "normal" | "yellow" (75 % of a limit used) | "red" (overdue)

#: The share of a time limit after which the handler is reminded (yellow).
REMIND_AT = 0.75


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
    Action.FEEDBACK: "EventCoUnitFeedback",
    Action.REMIND: "EventDeadlineNear",
    Action.OVERDUE: "EventOverdue",
    Action.LINK_REPORT: "EventReportLinked",
    Action.SPLIT: "EventReportSplit",
    Action.RATE: "EventRated",
    Action.REGRADE: "EventRegraded",
    Action.TRACE: "EventSourcesTraced",
    "lead_resolve": "EventLeadResolved",
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
    board: str | None = None
    suggestion: Payload | None = None
    triage_reasons: tuple[str, ...] = ()
    co_feedback: tuple[str, ...] = ()
    lead_resolved_at: datetime | None = None
    dispatched_at: datetime | None = None
    warn_at: datetime | None = None
    due_at: datetime | None = None
    supervision: Supervision = field(default="normal")
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
        suggestion: Payload | None = None,
        triage_reasons: tuple[str, ...] = (),
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
            suggestion=suggestion,
            triage_reasons=triage_reasons,
        )
        payload: Payload = {"source": source.value, "type_code": type_code}
        payload["severity"] = severity.value
        if suggestion is not None:
            payload["suggestion"] = suggestion
        if triage_reasons:
            payload["triage_reasons"] = list(triage_reasons)
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
        board: str | None = None,
        note: str | None = None,
        reasons: tuple[str, ...] = (),
    ) -> None:
        """Fix the type, severity, board and (optionally) the location of the event."""
        to = self._check(Action.TRIAGE)
        self.type_code = type_code
        self.severity = severity
        self.board = board or self.board
        self.triage_reasons = ()
        if location is not None:
            self.location = location
        payload: Payload = {"type_code": type_code, "severity": severity.value, "board": board}
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
        self.dispatched_at = at
        self.co_feedback, self.lead_resolved_at = (), None
        self._start_clock(at, self.accept_by)
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
        """The lead unit takes the event; the disposal clock now runs."""
        self._simple(Action.ACCEPT, at, actor, note)
        if self.dispose_by is not None:
            self._start_clock(self.dispatched_at or at, self.dispose_by)

    def return_(self, *, at: datetime, actor: Actor, reason: str) -> None:
        """退回: the unit says the event is not theirs, with a reason; a dispatcher redirects."""
        if not reason.strip():
            raise InvalidCommand("a return needs a reason")
        to = self._check(Action.RETURN)
        self._stop_clock()
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
        if self.lead_resolved_at is not None:
            raise InvalidCommand(
                "the lead unit has resolved already; waiting for co-units: "
                + ", ".join(self.pending_co_units())
            )
        self.attachments = self.attachments + attachments
        pending = self.pending_co_units()
        payload: Payload = {
            "result": result.strip(),
            "measures": measures,
            "people": people,
            "vehicles": vehicles,
            "attachments": [a.key for a in attachments],
            "on_time": self.dispose_by is None or at <= self.dispose_by,
        }
        if pending:
            # The lead is done but co-units have not reported: the event waits for them.
            self.lead_resolved_at = at
            payload["pending_co_units"] = list(pending)
            self._record(
                "lead_resolve", self.state, State.IN_PROGRESS, at, actor, result.strip(), payload
            )
            return
        self.lead_resolved_at = at
        self._stop_clock()
        self._record(Action.RESOLVE, self.state, to, at, actor, result.strip(), payload)

    def pending_co_units(self) -> tuple[str, ...]:
        """Co-units that have not given their feedback yet."""
        return tuple(u for u in self.co_units if u not in self.co_feedback)

    def feedback(
        self,
        *,
        at: datetime,
        actor: Actor,
        unit: str,
        result: str,
        people: int | None = None,
        vehicles: int | None = None,
    ) -> None:
        """A co-unit reports its own part; the last one completes a lead's resolution."""
        if unit not in self.co_units:
            raise InvalidCommand(f"{unit} is not a co-unit of this event")
        if not result.strip():
            raise InvalidCommand("co-unit feedback needs a result: what was done")
        self._check(Action.FEEDBACK)
        if unit not in self.co_feedback:
            self.co_feedback = (*self.co_feedback, unit)
        payload: Payload = {"unit": unit, "result": result.strip()}
        payload |= {"people": people, "vehicles": vehicles}
        payload["pending_co_units"] = list(self.pending_co_units())
        self._record(Action.FEEDBACK, self.state, self.state, at, actor, result.strip(), payload)
        if self.lead_resolved_at is not None and not self.pending_co_units():
            self._stop_clock()
            done: Payload = {"on_time": self.dispose_by is None or at <= self.dispose_by}
            note = "the lead unit resolved and every co-unit has reported"
            self._record(Action.RESOLVE, self.state, State.RESOLVED, at, Actor.system(), note, done)

    def verify(self, *, at: datetime, actor: Actor, note: str | None = None) -> None:
        self._simple(Action.VERIFY, at, actor, note)

    def reject(self, *, at: datetime, actor: Actor, reason: str) -> None:
        """Verification failed: the problem is still there; back to the unit."""
        if not reason.strip():
            raise InvalidCommand("rejecting a resolution needs a reason")
        self._simple(Action.REJECT, at, actor, reason.strip())
        self.lead_resolved_at = None

    def close(self, *, at: datetime, actor: Actor, note: str | None = None) -> None:
        self._simple(Action.CLOSE, at, actor, note)

    def reopen(self, *, at: datetime, actor: Actor, reason: str) -> None:
        """Reopen a verified or closed event for the centre's review (back to triaged)."""
        if not reason.strip():
            raise InvalidCommand("reopening needs a reason")
        to = self._check(Action.REOPEN)
        self.lead_resolved_at, self.co_feedback = None, ()
        self.accept_by = self.dispose_by = None
        self._stop_clock()
        self._record(Action.REOPEN, self.state, to, at, actor, reason.strip(), {})

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
        self._stop_clock()

    def merge_into(
        self, *, parent_id: str, parent_ref: str, at: datetime, actor: Actor, note: str | None
    ) -> None:
        """Fold this duplicate into ``parent``; the parent keeps the report links."""
        if parent_id == self.id:
            raise InvalidCommand("an event cannot be merged into itself")
        to = self._check(Action.MERGE)
        self.parent_id = parent_id
        self._stop_clock()
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

    # ---- reports and ratings -------------------------------------------------------------

    def link_report(
        self, report_id: str, *, at: datetime, actor: Actor, reasons: tuple[str, ...]
    ) -> None:
        """Another report of the same problem joins this event (de-duplication)."""
        self._check(Action.LINK_REPORT)
        if report_id in self.report_ids:
            return
        self.report_ids = (*self.report_ids, report_id)
        payload: Payload = {"report_id": report_id, "reports": len(self.report_ids)}
        payload["reasons"] = list(reasons)
        self._record(Action.LINK_REPORT, self.state, self.state, at, actor, None, payload)

    def split_report(self, report_id: str, *, at: datetime, actor: Actor, reason: str) -> None:
        """Undo a wrong merge: the report leaves this event (it becomes an event of its own)."""
        self._check(Action.SPLIT)
        if report_id not in self.report_ids:
            raise InvalidCommand(f"report {report_id} is not part of this event")
        if len(self.report_ids) == 1:
            raise InvalidCommand("the event's only report cannot be split off")
        self.report_ids = tuple(r for r in self.report_ids if r != report_id)
        payload: Payload = {"report_id": report_id, "reports": len(self.report_ids)}
        self._record(Action.SPLIT, self.state, self.state, at, actor, reason, payload)

    def rate(self, *, at: datetime, report_id: str, score: int, comment: str | None) -> None:
        """The reporter of ``report_id`` rates the closed event 1–5."""
        if not 1 <= score <= 5:
            raise InvalidCommand("a rating is a whole number from 1 to 5")
        self._check(Action.RATE)
        payload: Payload = {"report_id": report_id, "score": score, "comment": comment}
        actor = Actor(id=f"reporter:{report_id}", role="citizen")
        self._record(Action.RATE, self.state, self.state, at, actor, comment, payload)

    def regrade(self, *, at: datetime, actor: Actor, severity: Severity, reason: str) -> None:
        """Change the severity (e.g. its warning was upgraded); deadlines already set stay."""
        self._check(Action.REGRADE)
        if severity is self.severity:
            return
        payload: Payload = {"from": self.severity.value, "to": severity.value}
        self.severity = severity
        self._record(Action.REGRADE, self.state, self.state, at, actor, reason, payload)

    def record_trace(
        self, *, at: datetime, actor: Actor, candidates: list[Payload], reasons: list[str]
    ) -> None:
        """Attach the candidate sources found upstream, and how they were found."""
        self._check(Action.TRACE)
        note = f"{len(candidates)} candidate source(s) upstream"
        payload: Payload = {"candidates": candidates, "reasons": reasons}
        self._record(Action.TRACE, self.state, self.state, at, actor, note, payload)

    def link_warning(self, warning_id: str) -> None:
        if warning_id not in self.warning_ids:
            self.warning_ids = (*self.warning_ids, warning_id)

    # ---- supervision (督办) ---------------------------------------------------------------

    def remind(self, *, at: datetime) -> None:
        """75 % of the running time limit is used: the event turns yellow."""
        self._check(Action.REMIND)
        self.supervision = "yellow"
        self.warn_at = None
        payload: Payload = {"phase": self.phase(), "due_at": _iso(self.due_at)}
        self._record(
            Action.REMIND,
            self.state,
            self.state,
            at,
            Actor.system("supervision"),
            f"{int(REMIND_AT * 100)} % of the {self.phase()} time limit used",
            payload,
        )

    def mark_overdue(self, *, at: datetime) -> None:
        """The running time limit has passed: the event turns red and goes one level up."""
        self._check(Action.OVERDUE)
        phase, due = self.phase(), self.due_at
        self.supervision = "red"
        self.warn_at = self.due_at = None
        up = self.handling_level.up()
        payload: Payload = {
            "phase": phase,
            "due_at": _iso(due),
            "from_level": self.handling_level.value,
        }
        if up is not None:
            self.handling_level = up
        payload["to_level"] = self.handling_level.value
        note = f"{phase} deadline passed" + (f"; escalated to {up.value}" if up else "")
        self._record(
            Action.OVERDUE, self.state, self.state, at, Actor.system("supervision"), note, payload
        )

    def phase(self) -> str:
        """Which time limit runs now: ``accept`` before acceptance, ``dispose`` after."""
        return "accept" if self.state is State.DISPATCHED else "dispose"

    def _start_clock(self, start: datetime, due: datetime) -> None:
        self.supervision = "normal"
        self.warn_at = start + (due - start) * REMIND_AT
        self.due_at = due

    def _stop_clock(self) -> None:
        self.warn_at = self.due_at = None

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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
