"""The intake pipeline: every channel's report becomes an event, or joins one.

classify → locate → de-duplicate → create (and, when sure, triage and dispatch) — all in one
transaction with the report, its reporter, the event's timeline and the outbox. Whatever the
pipeline cannot decide with confidence goes to the manual triage queue with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cityloop.city.model import City
from cityloop.domain.access import Principal
from cityloop.domain.clock import Clock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.event import Actor, Attachment, Event, Location, Source
from cityloop.domain.ids import new_id
from cityloop.domain.lifecycle import Action
from cityloop.domain.report import Channel, Report
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, JurisdictionChain, spanning_level
from cityloop.services.commands import Contact, store_contact
from cityloop.services.dedup import Circle, DedupPolicy, DuplicateOf, best_match
from cityloop.services.handlers import UowFactory
from cityloop.services.intake_ports import AddressLocator, TextClassifier
from cityloop.services.ports import UnitOfWork
from cityloop.services.refs import daily_ref
from cityloop.services.routing import plan_dispatch

INTAKE = Actor(id="intake", role="system", unit=None)


def _text_of(incoming: IncomingReport) -> str:
    """What the classifier reads: the title and the text."""
    return f"{incoming.title or ''} {incoming.text}".strip()


_SOURCE_OF = {
    Channel.OPEN311: Source.CITIZEN,
    Channel.HOTLINE: Source.HOTLINE,
    Channel.GRID: Source.GRID,
    Channel.DEPARTMENT: Source.DEPARTMENT,
    Channel.API: Source.CITIZEN,
    Channel.SENSOR: Source.SENSOR,
}


@dataclass(frozen=True, slots=True)
class IncomingReport:
    """A report as a channel hands it over, before any decision."""

    channel: Channel
    text: str
    title: str | None = None
    type_code: str | None = None
    severity: Severity | None = None
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    contact: Contact | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    media: tuple[str, ...] = ()
    external_id: str | None = None
    submitted_by: str | None = None
    source: Source | None = None
    auto_dispatch: bool = True
    token: str | None = None
    attachments: tuple[Attachment, ...] = ()
    warning_ids: tuple[str, ...] = ()
    lead_unit: str | None = None  # route to this unit instead of the responsibility list's lead
    #: The jurisdiction chain at (lon, lat) when the channel has already located the point
    #: (for its own access check), so the pipeline does not locate it twice.
    chain: JurisdictionChain | None = None


@dataclass(frozen=True, slots=True)
class IntakeOutcome:
    report: Report
    event: Event
    merged: bool
    dispatched: bool
    suggestion: dict[str, Any] | None
    location_reasons: tuple[str, ...]
    triage_reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnswerView:
    """Who will read a report's answer (what they may do with the event) and in which language:
    enough for the process that stores the report to write the answer itself."""

    principal: Principal
    lang: str


@dataclass(frozen=True, slots=True)
class RenderedOutcome:
    """A stored report's answer, already written (JSON) by the process that stored it."""

    body: bytes


@dataclass(frozen=True, slots=True)
class Located:
    """Where a report is (its location and the reasons), or why it could not be placed."""

    location: Location
    reasons: tuple[str, ...]
    problem: str | None


Prepared = tuple[IncomingReport, dict[str, Any] | None, Located]


class IntakePipeline:
    def __init__(
        self,
        uow: UowFactory,
        city: City,
        clock: Clock,
        classifier: TextClassifier | None,
        addresses: AddressLocator | None,
        dedup: DedupPolicy | None = None,
    ) -> None:
        self.uow = uow
        self.city = city
        self.clock = clock
        self.classifier = classifier
        self.addresses = addresses
        self.dedup = dedup or DedupPolicy()

    # ---- decisions ----------------------------------------------------------------------

    def classify(self, text: str) -> dict[str, Any] | None:
        if self.classifier is None or not text.strip():
            return None
        return self._known(self.classifier.predict(text).as_dict())

    def _known(self, suggestion: dict[str, Any]) -> dict[str, Any] | None:
        return suggestion if suggestion.get("type") in self.city.event_types else None

    def locate(self, incoming: IncomingReport) -> Located:
        """Coordinates → jurisdiction chain; else address text → unified address table."""
        address = incoming.address
        if incoming.lon is not None and incoming.lat is not None:
            chain = incoming.chain or self.city.locator.locate(incoming.lon, incoming.lat)
            if chain is None:
                raise InvalidCommand(
                    f"the point ({incoming.lon}, {incoming.lat}) is outside the jurisdiction "
                    f"of {self.city.name_en}"
                )
            loc = Location(incoming.lon, incoming.lat, chain, address)
            return Located(loc, (f"coordinates in grid {chain.grid or chain.community}",), None)
        for label, text in (("address", address), ("report text", incoming.text)):
            if not text or self.addresses is None:
                continue
            hit = self.addresses.match(text)
            if hit is None:
                continue
            chain = self.city.locator.locate(hit.lon, hit.lat)
            if chain is None:
                continue
            reasons = (
                f"{label} matched {hit.label} ({hit.code}, {hit.precision}, score {hit.score:.2f})",
                *hit.reasons,
            )
            return Located(Location(hit.lon, hit.lat, chain, address or hit.label), reasons, None)
        problem = (
            f"address not found in the unified address table: {address!r}"
            if address
            else "no coordinates and no address"
        )
        return Located(Location(address=address), (), problem)

    # ---- the pipeline -------------------------------------------------------------------

    def submit(self, incoming: IncomingReport) -> IntakeOutcome:
        return self.submit_many([incoming])[0]

    def submit_many(self, batch: list[IncomingReport]) -> list[IntakeOutcome]:
        """Process reports in one transaction (all or none are stored)."""
        return self.store_prepared([self.prepare(r) for r in batch])

    def store_prepared(self, prepared: list[Prepared]) -> list[IntakeOutcome]:
        """Store reports already classified and located, in one transaction: all of them
        received at one moment, the transaction's."""
        now = self.clock.now()
        with self.uow() as uow:
            self._prefetch_duplicates(uow, prepared, now)
            outcomes = [self._store(uow, now, *p) for p in prepared]
            uow.commit()
        return outcomes

    def _prefetch_duplicates(
        self, uow: UnitOfWork, prepared: list[Prepared], now: datetime
    ) -> None:
        """One query for the stored duplicate candidates of a whole batch."""
        if len(prepared) < 2:
            return
        queries = []
        for incoming, suggestion, located in prepared:
            type_code = incoming.type_code or (suggestion["type"] if suggestion else None)
            loc = located.location
            policy = self._policy(type_code)
            if type_code and policy is not None and loc.lon is not None and loc.lat is not None:
                queries.append((type_code, Circle(loc.lon, loc.lat, policy.radius_m)))
        uow.events.prefetch_open_nearby(queries, now - self.dedup.window)

    def submit_lenient(self, batch: list[IncomingReport]) -> list[IntakeOutcome | InvalidCommand]:
        """Process what is valid in one transaction; return each bad report's error instead."""
        results: list[IntakeOutcome | InvalidCommand] = []
        prepared: list[tuple[int, Prepared]] = []
        for i, incoming in enumerate(batch):
            try:
                prepared.append((i, self.prepare(incoming)))
                results.append(InvalidCommand("not processed"))
            except InvalidCommand as exc:
                results.append(exc)
        now = self.clock.now()
        with self.uow() as uow:
            for i, p in prepared:
                results[i] = self._store(uow, now, *p)
            uow.commit()
        return results

    def prepare(self, incoming: IncomingReport) -> Prepared:
        """The decisions that need no store: validation, classification, location."""
        self._validate(incoming)
        suggestion = None
        if incoming.type_code is None:
            suggestion = self.classify(_text_of(incoming))
        return incoming, suggestion, self.locate(incoming)

    def prepare_many(self, batch: list[IncomingReport]) -> list[Prepared]:
        """``prepare`` for each report, the texts classified in one vectorised pass. Raises on
        the first invalid report (the caller then prepares them one by one)."""
        for incoming in batch:
            self._validate(incoming)
        untyped = [i for i, r in enumerate(batch) if r.type_code is None and _text_of(r)]
        suggestions: list[dict[str, Any] | None] = [None] * len(batch)
        if self.classifier is not None and untyped:
            found = self.classifier.predict_many([_text_of(batch[i]) for i in untyped])
            for i, suggestion in zip(untyped, found, strict=True):
                suggestions[i] = self._known(suggestion.as_dict())
        return [(r, s, self.locate(r)) for r, s in zip(batch, suggestions, strict=True)]

    def submit_prepared_many(self, batch: list[IncomingReport]) -> list[IntakeOutcome]:
        """Classify and locate a batch together, then store it in one transaction."""
        return self.store_prepared(self.prepare_many(batch))

    def _validate(self, incoming: IncomingReport) -> None:
        if not incoming.text.strip() and not (incoming.title or "").strip():
            raise InvalidCommand("a report needs a description of the problem")
        if incoming.type_code is not None and incoming.type_code not in self.city.event_types:
            raise InvalidCommand(f"unknown event type '{incoming.type_code}'")

    def _store(
        self,
        uow: UnitOfWork,
        now: datetime,
        incoming: IncomingReport,
        suggestion: dict[str, Any] | None,
        located: Located,
    ) -> IntakeOutcome:
        report = self._new_report(uow, incoming, now, located)
        type_code = incoming.type_code or (suggestion["type"] if suggestion else None)
        confident = incoming.type_code is not None or (
            suggestion is not None and not suggestion.get("needs_triage", True)
        )
        duplicate = self._find_duplicate(uow, now, type_code, located, incoming, confident)
        if duplicate is not None:
            event = uow.track(duplicate.event)
            policy = self._policy(type_code) or self.dedup
            event.link_report(report.id, at=now, actor=INTAKE, reasons=duplicate.reasons(policy))
            self._span_territories(event, located, now)
            uow.events.save(event)
            report.event_id = event.id
            uow.reports.add(report)
            return IntakeOutcome(report, event, True, False, suggestion, located.reasons, ())
        triage_reasons = self._triage_reasons(incoming, suggestion, located, confident)
        event = Event.report(
            id=new_id(),
            ref=daily_ref(uow, self.city, now),
            source=incoming.source or _SOURCE_OF[incoming.channel],
            title=(incoming.title or incoming.text)[:200].strip(),
            description=incoming.text,
            at=now,
            actor=Actor(id=incoming.submitted_by or incoming.channel.value, role="reporter"),
            type_code=incoming.type_code,
            severity=incoming.severity or Severity.IV,
            location=located.location,
            reporter_ref=report.reporter_id,
            report_ids=(report.id,),
            suggestion=(
                {**suggestion, "location_reasons": list(located.reasons)} if suggestion else None
            ),
            triage_reasons=triage_reasons,
            attachments=incoming.attachments,
            warning_ids=incoming.warning_ids,
        )
        uow.track(event)
        dispatched = False
        if not triage_reasons and incoming.auto_dispatch and type_code is not None:
            self._triage_and_dispatch(event, now, type_code, incoming, suggestion, located)
            dispatched = True
        uow.events.add(event)
        report.event_id = event.id
        uow.reports.add(report)
        return IntakeOutcome(
            report, event, False, dispatched, suggestion, located.reasons, triage_reasons
        )

    def _new_report(
        self, uow: UnitOfWork, incoming: IncomingReport, now: datetime, located: Located
    ) -> Report:
        reporter_id = store_contact(uow, incoming.contact, now)
        return Report(
            id=new_id(),
            ref=daily_ref(uow, self.city, now, "R"),
            channel=incoming.channel,
            received_at=now,
            title=(incoming.title or incoming.text)[:200].strip(),
            text=incoming.text,
            type_code=incoming.type_code,
            lon=located.location.lon,
            lat=located.location.lat,
            address=incoming.address,
            reporter_id=reporter_id,
            attributes=dict(incoming.attributes),
            media=list(incoming.media),
            external_id=incoming.external_id,
            submitted_by=incoming.submitted_by,
            token=incoming.token,
        )

    def _span_territories(self, event: Event, located: Located, now: datetime) -> None:
        """A report that joins an event from another street (or district) makes it a problem
        of several territories: the centre above both takes it (escalated, with the reason)."""
        mine, theirs = event.location.chain, located.location.chain
        if mine is None or theirs is None or not event.can(Action.ESCALATE):
            return
        span = spanning_level(mine, theirs)
        order = list(HandlingLevel)
        if order.index(span) <= order.index(event.handling_level):
            return
        where = (
            f"districts {mine.district} and {theirs.district}"
            if span is HandlingLevel.CITY
            else f"streets {mine.street} and {theirs.street}"
        )
        event.escalate(
            at=now,
            actor=INTAKE,
            to_level=span,
            reason=f"reports of this problem come from {where}: the {span.value} centre, "
            "whose territory holds them all, takes the handling",
        )

    def _find_duplicate(
        self,
        uow: UnitOfWork,
        now: datetime,
        type_code: str | None,
        located: Located,
        incoming: IncomingReport,
        confident: bool,
    ) -> DuplicateOf | None:
        loc = located.location
        policy = self._policy(type_code)
        if policy is None or not confident or loc.lon is None or loc.lat is None:
            return None
        assert type_code is not None
        candidates = uow.events.find_open_nearby(
            type_code, Circle(loc.lon, loc.lat, policy.radius_m), now - policy.window
        )
        text = f"{incoming.title or ''} {incoming.text}"
        return best_match(candidates, lon=loc.lon, lat=loc.lat, text=text, now=now, policy=policy)

    def _policy(self, type_code: str | None) -> DedupPolicy | None:
        """How reports of this type join open events nearby: the type's own radius when the
        city gives one, else the platform's; None when they never do (radius 0, or no type)."""
        if type_code is None:
            return None
        kind = self.city.event_types.get(type_code)
        radius = kind.merge_radius_m if kind is not None else None
        if radius is None:
            return self.dedup
        return DedupPolicy(radius, self.dedup.window) if radius > 0 else None

    def _triage_reasons(
        self,
        incoming: IncomingReport,
        suggestion: dict[str, Any] | None,
        located: Located,
        confident: bool,
    ) -> tuple[str, ...]:
        reasons = []
        if incoming.type_code is None and suggestion is None:
            reasons.append("no event type given and the classifier made no suggestion")
        elif not confident and suggestion is not None:
            reasons.append(
                f"classifier not confident: {suggestion['type']} at "
                f"{suggestion['confidence']:.2f}, below the threshold "
                f"{suggestion.get('threshold', 0.6):.2f}"
            )
        if located.problem:
            reasons.append(located.problem)
        if not reasons and not incoming.auto_dispatch:
            reasons.append("awaiting the operator's confirmation of type and location")
        return tuple(reasons)

    def _triage_and_dispatch(
        self,
        event: Event,
        now: datetime,
        type_code: str,
        incoming: IncomingReport,
        suggestion: dict[str, Any] | None,
        located: Located,
    ) -> None:
        etype = self.city.event_types[type_code]
        severity = incoming.severity or etype.default_severity
        if incoming.type_code is not None:
            why = [f"type {type_code} given by the {incoming.channel.value} channel"]
        else:
            assert suggestion is not None
            why = [
                f"type {type_code} suggested at confidence {suggestion['confidence']:.2f}",
                *(f"classifier: {r}" for r in suggestion.get("reasons", [])),
            ]
        why.append(
            f"severity {severity.value}" + (" (type default)" if not incoming.severity else "")
        )
        event.triage(
            at=now,
            actor=INTAKE,
            type_code=type_code,
            severity=severity,
            board=etype.board.value,
            reasons=(*why, *located.reasons),
        )
        if incoming.lead_unit is None:
            plan_dispatch(self.city, event).apply(event, at=now, actor=INTAKE)
            return
        usual = plan_dispatch(self.city, event)
        co = tuple(u for u in (usual.lead, *usual.co) if u != incoming.lead_unit)
        by = f"{incoming.submitted_by or 'intake'} (the unit that owns the source)"
        plan_dispatch(self.city, event, lead=incoming.lead_unit, co=co, by=by).apply(
            event, at=now, actor=INTAKE
        )
