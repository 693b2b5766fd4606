"""Command handlers: load, authorise, act on the aggregate, commit with the outbox.

Every decision that affects a citizen or a department (location, routing, deadlines) is taken
here from the city's configuration and recorded with its reasons on the event's timeline.
"""

from __future__ import annotations

from collections.abc import Callable

from cityloop.city.model import City
from cityloop.domain.access import NotFound, Principal
from cityloop.domain.clock import Clock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.event import Actor, Event, Location
from cityloop.domain.ids import new_id
from cityloop.domain.lifecycle import Action
from cityloop.domain.report import Channel, Report
from cityloop.domain.severity import Severity
from cityloop.services import commands as c
from cityloop.services.ports import UnitOfWork
from cityloop.services.refs import daily_ref
from cityloop.services.routing import plan_dispatch

UowFactory = Callable[[], UnitOfWork]


def actor_of(principal: Principal) -> Actor:
    return Actor(id=principal.username, role=principal.role.value, unit=principal.unit)


class Handlers:
    """One handler per command; errors propagate to the caller."""

    def __init__(self, uow: UowFactory, city: City, clock: Clock) -> None:
        self.uow = uow
        self.city = city
        self.clock = clock

    # ---- helpers ------------------------------------------------------------------------

    def locate(
        self, lon: float | None, lat: float | None, address: str | None
    ) -> tuple[Location, list[str]]:
        """The event's location with its jurisdiction chain, and what was found."""
        if lon is None or lat is None:
            return Location(address=address), ["no coordinates: location to be fixed at triage"]
        chain = self.city.locator.locate(lon, lat)
        if chain is None:
            raise InvalidCommand(
                f"the point ({lon}, {lat}) is outside the jurisdiction of {self.city.name_en}"
            )
        return Location(lon=lon, lat=lat, chain=chain, address=address), []

    def next_ref(self, uow: UnitOfWork) -> str:
        return daily_ref(uow, self.city, self.clock.now())

    def _load(self, uow: UnitOfWork, principal: Principal, event_id: str) -> Event:
        event = uow.events.get(event_id) or uow.events.get_by_ref(event_id)
        if event is None or not principal.sees(event):
            raise NotFound("event not found")
        return uow.track(event)

    def _check_type(self, type_code: str) -> None:
        if type_code not in self.city.event_types:
            raise InvalidCommand(f"unknown event type '{type_code}'")

    def _check_unit(self, code: str) -> None:
        if code not in self.city.departments:
            raise InvalidCommand(f"unknown department '{code}'")

    # ---- report -------------------------------------------------------------------------

    def report(self, cmd: c.ReportEvent) -> Event:
        if cmd.type_code is not None:
            self._check_type(cmd.type_code)
        location, _ = self.locate(cmd.lon, cmd.lat, cmd.address)
        if location.chain is None and not cmd.principal.citywide:
            # A report without a point is filed in the reporter's own territory.
            home = self.city.jurisdiction_at(cmd.principal.jurisdiction)
            location = Location(address=cmd.address, chain=home.chain)
        cmd.principal.authorize_create_at(location.chain)
        severity = cmd.severity
        if severity is None:
            severity = (
                self.city.event_types[cmd.type_code].default_severity
                if cmd.type_code
                else Severity.IV
            )
        now = self.clock.now()
        with self.uow() as uow:
            reporter_ref = c.store_contact(uow, cmd.contact, now)
            report = Report(
                id=new_id(),
                ref=daily_ref(uow, self.city, now, "R"),
                channel=Channel.API,
                received_at=now,
                title=cmd.title,
                text=cmd.description or cmd.title,
                type_code=cmd.type_code,
                lon=location.lon,
                lat=location.lat,
                address=cmd.address,
                reporter_id=reporter_ref,
                submitted_by=cmd.principal.username,
            )
            event = Event.report(
                id=new_id(),
                ref=self.next_ref(uow),
                source=cmd.source,
                title=cmd.title,
                description=cmd.description,
                at=now,
                actor=actor_of(cmd.principal),
                type_code=cmd.type_code,
                severity=severity,
                location=location,
                reporter_ref=reporter_ref,
                report_ids=(report.id,),
            )
            uow.events.add(uow.track(event))
            report.event_id = event.id
            uow.reports.add(report)
            uow.commit()
        return event

    # ---- triage and dispatch ------------------------------------------------------------

    def triage(self, cmd: c.TriageEvent) -> Event:
        self._check_type(cmd.type_code)
        with self.uow() as uow:
            event = self._load(uow, cmd.principal, cmd.event_id)
            cmd.principal.authorize(Action.TRIAGE, event)
            location = None
            if cmd.lon is not None and cmd.lat is not None:
                location, _ = self.locate(cmd.lon, cmd.lat, cmd.address or event.location.address)
            etype = self.city.event_types[cmd.type_code]
            severity = cmd.severity or etype.default_severity
            reasons = (
                f"type {etype.code} {etype.name_en} chosen by {cmd.principal.username}",
                f"severity {severity.value}"
                + (" (type default)" if cmd.severity is None else " (set by operator)"),
            )
            event.triage(
                at=self.clock.now(),
                actor=actor_of(cmd.principal),
                type_code=cmd.type_code,
                severity=severity,
                location=location,
                board=etype.board.value,
                note=cmd.note,
                reasons=reasons,
            )
            uow.events.save(event)
            uow.commit()
        return event

    def dispatch(self, cmd: c.DispatchEvent) -> Event:
        with self.uow() as uow:
            event = self._load(uow, cmd.principal, cmd.event_id)
            cmd.principal.authorize(Action.DISPATCH, event)
            if event.type_code is None:
                raise InvalidCommand("an event must be triaged (given a type) before dispatch")
            for unit in (cmd.lead_unit, *(cmd.co_units or ())):
                if unit is not None:
                    self._check_unit(unit)
            plan = plan_dispatch(
                self.city,
                event,
                level=cmd.level,
                lead=cmd.lead_unit,
                co=cmd.co_units,
                by=cmd.principal.username,
            )
            plan.apply(event, at=self.clock.now(), actor=actor_of(cmd.principal), note=cmd.note)
            uow.events.save(event)
            uow.commit()
        return event

    # ---- disposal and closing -----------------------------------------------------------

    def resolve(self, cmd: c.ResolveEvent) -> Event:
        with self.uow() as uow:
            event = self._load(uow, cmd.principal, cmd.event_id)
            cmd.principal.authorize(Action.RESOLVE, event)
            event.resolve(
                at=self.clock.now(),
                actor=actor_of(cmd.principal),
                result=cmd.result,
                measures=cmd.measures,
                people=cmd.people,
                vehicles=cmd.vehicles,
                attachments=cmd.attachments,
            )
            uow.events.save(event)
            uow.commit()
        return event

    def simple(self, cmd: c.SimpleAction) -> Event:
        action = cmd.action
        if action not in c.NOTE_ACTIONS + c.REASON_ACTIONS:
            raise InvalidCommand(f"'{action.value}' is not a simple action")
        if action in c.REASON_ACTIONS and not (cmd.note or "").strip():
            raise InvalidCommand(f"'{action.value}' needs a reason")
        with self.uow() as uow:
            event = self._load(uow, cmd.principal, cmd.event_id)
            cmd.principal.authorize(action, event)
            at, actor, note = self.clock.now(), actor_of(cmd.principal), cmd.note
            reason = (note or "").strip()
            match action:
                case Action.ACCEPT:
                    event.accept(at=at, actor=actor, note=note)
                case Action.START:
                    event.start(at=at, actor=actor, note=note)
                case Action.VERIFY:
                    event.verify(at=at, actor=actor, note=note)
                case Action.CLOSE:
                    event.close(at=at, actor=actor, note=note)
                case Action.RESUME:
                    event.resume(at=at, actor=actor, note=note)
                case Action.RETURN:
                    event.return_(at=at, actor=actor, reason=reason)
                case Action.REJECT:
                    event.reject(at=at, actor=actor, reason=reason)
                case Action.SUSPEND:
                    event.suspend(at=at, actor=actor, reason=reason)
                case Action.CANCEL:
                    event.cancel(at=at, actor=actor, reason=reason)
            uow.events.save(event)
            uow.commit()
        return event

    def reopen(self, cmd: c.ReopenEvent) -> Event:
        with self.uow() as uow:
            event = self._load(uow, cmd.principal, cmd.event_id)
            cmd.principal.authorize(Action.REOPEN, event)
            event.reopen(at=self.clock.now(), actor=actor_of(cmd.principal), reason=cmd.reason)
            uow.events.save(event)
            uow.commit()
        return event

    def escalate(self, cmd: c.EscalateEvent) -> Event:
        if not cmd.reason.strip():
            raise InvalidCommand("escalating needs a reason")
        with self.uow() as uow:
            event = self._load(uow, cmd.principal, cmd.event_id)
            cmd.principal.authorize(Action.ESCALATE, event)
            event.escalate(
                at=self.clock.now(),
                actor=actor_of(cmd.principal),
                reason=cmd.reason.strip(),
                to_level=cmd.to_level,
            )
            uow.events.save(event)
            uow.commit()
        return event

    def merge(self, cmd: c.MergeEvent) -> Event:
        """Fold a duplicate into its parent; both change in one transaction."""
        with self.uow() as uow:
            child = self._load(uow, cmd.principal, cmd.event_id)
            parent = self._load(uow, cmd.principal, cmd.into_event_id)
            cmd.principal.authorize(Action.MERGE, child)
            if parent.id == child.id:
                raise InvalidCommand("an event cannot be merged into itself")
            if parent.state.is_terminal:
                raise InvalidCommand(f"cannot merge into an event that is {parent.state.value}")
            at, actor = self.clock.now(), actor_of(cmd.principal)
            child.merge_into(
                parent_id=parent.id, parent_ref=parent.ref, at=at, actor=actor, note=cmd.note
            )
            parent.absorb(child, at=at, actor=actor)
            uow.events.save(child)
            uow.events.save(parent)
            uow.commit()
        return child

    def feedback(self, cmd: c.CoUnitFeedback) -> Event:
        """A co-unit's own feedback; the last one completes a lead's resolution."""
        with self.uow() as uow:
            event = self._load(uow, cmd.principal, cmd.event_id)
            cmd.principal.authorize(Action.FEEDBACK, event)
            unit = cmd.principal.department or cmd.unit
            if unit is None:
                raise InvalidCommand("say which co-unit this feedback is for")
            event.feedback(
                at=self.clock.now(),
                actor=actor_of(cmd.principal),
                unit=unit,
                result=cmd.result,
                people=cmd.people,
                vehicles=cmd.vehicles,
            )
            uow.events.save(event)
            uow.commit()
        return event

    def split(self, cmd: c.SplitReport) -> Event:
        """Undo a wrong merge: the report leaves and becomes an event of its own (to triage)."""
        if not cmd.reason.strip():
            raise InvalidCommand("splitting needs a reason")
        with self.uow() as uow:
            event = self._load(uow, cmd.principal, cmd.event_id)
            cmd.principal.authorize(Action.SPLIT, event)
            report = uow.reports.get(cmd.report_id) or uow.reports.get_by_ref(cmd.report_id)
            if report is None or report.event_id != event.id:
                raise InvalidCommand(f"report {cmd.report_id} is not part of event {event.ref}")
            at, actor = self.clock.now(), actor_of(cmd.principal)
            event.split_report(report.id, at=at, actor=actor, reason=cmd.reason.strip())
            chain = (
                self.city.locator.locate(report.lon, report.lat)
                if report.lon is not None and report.lat is not None
                else None
            )
            new = Event.report(
                id=new_id(),
                ref=self.next_ref(uow),
                source=event.source,
                title=report.title,
                description=report.text,
                at=at,
                actor=actor,
                location=Location(
                    report.lon, report.lat, chain or event.location.chain, report.address
                ),
                reporter_ref=report.reporter_id,
                report_ids=(report.id,),
                triage_reasons=(
                    f"split from {event.ref} by {cmd.principal.username}: {cmd.reason.strip()}",
                ),
            )
            report.event_id = new.id
            uow.events.save(uow.track(event))
            uow.events.add(uow.track(new))
            uow.reports.save(report)
            uow.commit()
        return new

    # ---- dispatch table -----------------------------------------------------------------

    def handle(self, cmd: c.Command) -> Event:
        match cmd:
            case c.ReportEvent():
                return self.report(cmd)
            case c.TriageEvent():
                return self.triage(cmd)
            case c.DispatchEvent():
                return self.dispatch(cmd)
            case c.ResolveEvent():
                return self.resolve(cmd)
            case c.SimpleAction():
                return self.simple(cmd)
            case c.ReopenEvent():
                return self.reopen(cmd)
            case c.EscalateEvent():
                return self.escalate(cmd)
            case c.MergeEvent():
                return self.merge(cmd)
            case c.CoUnitFeedback():
                return self.feedback(cmd)
            case c.SplitReport():
                return self.split(cmd)
