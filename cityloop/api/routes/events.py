"""Events: report, list, read, timeline, and one endpoint per action of the closed loop."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from cityloop.api import schemas as s
from cityloop.api.deps import ContainerDep, LangDep, PrincipalDep
from cityloop.api.views import decode_cursor, encode_cursor, event_out, timeline_out
from cityloop.bootstrap import Container
from cityloop.domain.access import NotFound, Principal
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.event import Event
from cityloop.domain.lifecycle import Action
from cityloop.services import commands as c
from cityloop.services.ports import EventQuery

router = APIRouter(prefix="/events", tags=["events"])


def _out(container: Container, event: Event, principal: Principal, lang: str) -> s.EventOut:
    reporter = None
    if event.reporter_ref and principal.sees_contact_details:
        with container.reader() as uow:
            reporter = uow.reporters.get(event.reporter_ref)
    return event_out(event, principal, container.city, lang, reporter)


def _visible(container: Container, principal: Principal, event_id: str) -> Event:
    with container.reader() as uow:
        event = uow.events.get(event_id) or uow.events.get_by_ref(event_id)
    if event is None or not principal.sees(event):
        raise NotFound("event not found")
    return event


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.EventOut)
def create_event(
    body: s.EventCreate, container: ContainerDep, principal: PrincipalDep, lang: LangDep
) -> s.EventOut:
    """Report a new event. With a point it is located at once; outside the city it is refused."""
    contact = (
        c.Contact(name=body.contact.name, phone=body.contact.phone, email=body.contact.email)
        if body.contact
        else None
    )
    event = container.bus.handle(
        c.ReportEvent(
            principal=principal,
            title=body.title,
            source=body.source,
            description=body.description,
            type_code=body.type_code,
            severity=body.severity,
            lon=body.lon,
            lat=body.lat,
            address=body.address,
            contact=contact,
        )
    )
    return _out(container, event, principal, lang)


@router.get("", response_model=s.EventPageOut)
def list_events(
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
    state: Annotated[list[str] | None, Query()] = None,
    type_code: Annotated[list[str] | None, Query()] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    source: Annotated[list[str] | None, Query()] = None,
    jurisdiction: str | None = None,
    lead_unit: str | None = None,
    department: str | None = None,
    handling_level: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> s.EventPageOut:
    """Events in the caller's scope, newest first, with cursor pagination."""
    after = None
    if cursor:
        try:
            after = decode_cursor(cursor)
        except ValueError as exc:
            raise InvalidCommand("malformed cursor") from exc
    query = EventQuery(
        scope=principal,
        states=tuple(state or ()),
        type_codes=tuple(type_code or ()),
        severities=tuple(severity or ()),
        sources=tuple(source or ()),
        jurisdiction=jurisdiction,
        lead_unit=lead_unit,
        department=department,
        handling_level=handling_level,
        created_from=created_from,
        created_to=created_to,
        text=q,
        limit=limit,
        after=after,
    )
    with container.reader() as uow:
        page = uow.events.list(query)
    items = [event_out(e, principal, container.city, lang) for e in page.items]
    return s.EventPageOut(items=items, next_cursor=encode_cursor(page.next_cursor))


@router.get("/{event_id}", response_model=s.EventOut)
def get_event(
    event_id: str, container: ContainerDep, principal: PrincipalDep, lang: LangDep
) -> s.EventOut:
    """One event, by id or ref; 404 when it is outside the caller's scope."""
    return _out(container, _visible(container, principal, event_id), principal, lang)


@router.get("/{event_id}/timeline", response_model=list[s.TimelineEntryOut])
def get_timeline(
    event_id: str, container: ContainerDep, principal: PrincipalDep
) -> list[s.TimelineEntryOut]:
    """Every step of the event's history, oldest first, with reasons in the payload."""
    return [timeline_out(e) for e in _visible(container, principal, event_id).timeline]


@router.post("/{event_id}/triage", response_model=s.EventOut)
def triage(
    event_id: str,
    body: s.TriageIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> s.EventOut:
    cmd = c.TriageEvent(
        principal=principal,
        event_id=event_id,
        type_code=body.type_code,
        severity=body.severity,
        lon=body.lon,
        lat=body.lat,
        address=body.address,
        note=body.note,
    )
    return _out(container, container.bus.handle(cmd), principal, lang)


@router.post("/{event_id}/dispatch", response_model=s.EventOut)
def dispatch(
    event_id: str,
    body: s.DispatchIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> s.EventOut:
    """Dispatch by the responsibility list; lead, co-units and level may be overridden."""
    cmd = c.DispatchEvent(
        principal=principal,
        event_id=event_id,
        lead_unit=body.lead_unit,
        co_units=tuple(body.co_units) if body.co_units is not None else None,
        level=body.level,
        note=body.note,
    )
    return _out(container, container.bus.handle(cmd), principal, lang)


@router.post("/{event_id}/resolve", response_model=s.EventOut)
def resolve(
    event_id: str,
    body: s.ResolveIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> s.EventOut:
    """The lead unit reports what it did: result, measures, people and vehicles sent."""
    cmd = c.ResolveEvent(
        principal=principal,
        event_id=event_id,
        result=body.result,
        measures=body.measures,
        people=body.people,
        vehicles=body.vehicles,
        attachments=container.uploads.attachments(body.attachments) if body.attachments else (),
    )
    return _out(container, container.bus.handle(cmd), principal, lang)


@router.post("/{event_id}/merge", response_model=s.EventOut)
def merge(
    event_id: str,
    body: s.MergeIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> s.EventOut:
    """Fold this duplicate into another event."""
    cmd = c.MergeEvent(
        principal=principal, event_id=event_id, into_event_id=body.into, note=body.note
    )
    return _out(container, container.bus.handle(cmd), principal, lang)


@router.post("/{event_id}/escalate", response_model=s.EventOut)
def escalate(
    event_id: str,
    body: s.EscalateIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> s.EventOut:
    """Raise the handling level (street → district → city) for a recorded reason."""
    cmd = c.EscalateEvent(
        principal=principal, event_id=event_id, reason=body.reason, to_level=body.to_level
    )
    return _out(container, container.bus.handle(cmd), principal, lang)


@router.post("/{event_id}/reopen", response_model=s.EventOut)
def reopen(
    event_id: str,
    body: s.ReasonIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> s.EventOut:
    """Reopen a verified or closed event for the centre's review (back to triaged)."""
    cmd = c.ReopenEvent(principal=principal, event_id=event_id, reason=body.reason)
    return _out(container, container.bus.handle(cmd), principal, lang)


def _note_route(action: Action) -> None:
    def endpoint(
        event_id: str,
        body: s.NoteIn,
        container: ContainerDep,
        principal: PrincipalDep,
        lang: LangDep,
    ) -> s.EventOut:
        cmd = c.SimpleAction(principal=principal, event_id=event_id, action=action, note=body.note)
        return _out(container, container.bus.handle(cmd), principal, lang)

    router.add_api_route(
        f"/{{event_id}}/{action.value}",
        endpoint,
        methods=["POST"],
        response_model=s.EventOut,
        name=f"{action.value}_event",
        summary=f"{action.value.capitalize()} the event (optional note)",
    )


def _reason_route(action: Action) -> None:
    def endpoint(
        event_id: str,
        body: s.ReasonIn,
        container: ContainerDep,
        principal: PrincipalDep,
        lang: LangDep,
    ) -> s.EventOut:
        cmd = c.SimpleAction(
            principal=principal, event_id=event_id, action=action, note=body.reason
        )
        return _out(container, container.bus.handle(cmd), principal, lang)

    router.add_api_route(
        f"/{{event_id}}/{action.value}",
        endpoint,
        methods=["POST"],
        response_model=s.EventOut,
        name=f"{action.value}_event",
        summary=f"{action.value.capitalize()} the event (reason required)",
    )


for _action in c.NOTE_ACTIONS:
    _note_route(_action)
for _action in c.REASON_ACTIONS:
    _reason_route(_action)


@router.post("/{event_id}/feedback", response_model=s.EventOut)
def co_unit_feedback(
    event_id: str,
    body: s.FeedbackIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> s.EventOut:
    """A co-unit reports its part; the event resolves once the lead and every co-unit have."""
    cmd = c.CoUnitFeedback(
        principal=principal,
        event_id=event_id,
        result=body.result,
        people=body.people,
        vehicles=body.vehicles,
        unit=body.unit,
    )
    return _out(container, container.bus.handle(cmd), principal, lang)


@router.post("/{event_id}/split", response_model=s.EventOut, status_code=201)
def split_report(
    event_id: str,
    body: s.SplitIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> s.EventOut:
    """Undo a wrong merge: the report becomes a new event in the triage queue (returned)."""
    cmd = c.SplitReport(
        principal=principal, event_id=event_id, report_id=body.report_id, reason=body.reason
    )
    return _out(container, container.bus.handle(cmd), principal, lang)


@router.get("/{event_id}/reports", response_model=list[s.ReportOut])
def event_reports(
    event_id: str, container: ContainerDep, principal: PrincipalDep
) -> list[s.ReportOut]:
    """Every report that makes up the event; contact details only for roles that need them."""
    event = _visible(container, principal, event_id)
    out = []
    with container.reader() as uow:
        for r in uow.reports.for_event(event.id):
            reporter = None
            if r.reporter_id and principal.sees_contact_details:
                who = uow.reporters.get(r.reporter_id)
                if who is not None:
                    reporter = s.ReporterOut(name=who.name, phone=who.phone, email=who.email)
            out.append(
                s.ReportOut(
                    id=r.id,
                    ref=r.ref,
                    channel=r.channel.value,
                    received_at=r.received_at,
                    title=r.title,
                    text=r.text,
                    address=r.address,
                    lon=r.lon,
                    lat=r.lat,
                    media=r.media,
                    reporter=reporter,
                )
            )
    return out
