"""CAP 1.2 alerts and their Atom feed: public, as warnings to the public are."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from cityloop.adapters.cap import CAP_MIME, to_cap_xml
from cityloop.adapters.cap_feed import atom_feed
from cityloop.api.deps import ContainerDep
from cityloop.bootstrap import Container
from cityloop.domain.access import NotFound
from cityloop.plans.cap import activation_messages
from cityloop.services.cap_view import CapMessages

router = APIRouter(prefix="/cap", tags=["cap"])


def _messages(container: Container) -> CapMessages:
    engine = container.telemetry.engine if container.telemetry.available else None
    return CapMessages(container.city, engine, container.settings.public_url)


@router.get("/alerts/{warning_id:path}.xml", summary="The latest CAP 1.2 message of a warning")
def cap_alert(warning_id: str, container: ContainerDep, sequence: int | None = None) -> Response:
    """The warning's latest message (``?sequence=N`` for an earlier one): Alert when raised,
    Update on a change with ``references`` to the earlier messages, Cancel when cleared."""
    with container.reader() as uow:
        w = uow.warnings.get(warning_id)
    if w is None:
        raise NotFound("warning not found")
    messages = _messages(container).messages(w)
    if sequence is not None:
        messages = [m for m in messages if m.sequence == sequence]
    if not messages:
        raise NotFound("no such message")
    return Response(to_cap_xml(messages[-1]), media_type=CAP_MIME)


@router.get(
    "/activations/{activation_id}.xml", summary="The latest CAP 1.2 message of a plan activation"
)
def cap_activation(
    activation_id: str, container: ContainerDep, sequence: int | None = None
) -> Response:
    """The plan's public message: Alert when the plan starts, Update on a level change (with
    ``references`` to the earlier messages), Cancel on termination; ``?sequence=N`` for an
    earlier one. Proposals awaiting confirmation are not published."""
    with container.reader() as uow:
        act = uow.plan_activations.get(activation_id)
    plan = container.plans.plans.get(act.plan_id) if act is not None else None
    if act is None or plan is None:
        raise NotFound("plan activation not found")
    cap = _messages(container)
    messages = activation_messages(act, plan, container.city, cap.sender, cap.public_url)
    if sequence is not None:
        messages = [m for m in messages if m.sequence == sequence]
    if not messages:
        raise NotFound("no such message")
    return Response(to_cap_xml(messages[-1]), media_type=CAP_MIME)


@router.get("/feed.atom", summary="Active warnings as an Atom feed")
def cap_feed(request: Request, container: ContainerDep) -> Response:
    with container.reader() as uow:
        active = uow.warnings.list(active=True, limit=1000)
    messages = _messages(container)
    base = str(request.base_url).rstrip("/")
    alerts = []
    for w in active:
        latest = messages.messages(w)
        if latest:
            alerts.append((latest[-1], f"{base}/cap/alerts/{w.id}.xml"))
    body = atom_feed(alerts, f"{base}/cap/feed.atom", container.clock.now())
    return Response(body, media_type="application/atom+xml")
