"""The centre's work lists: manual triage queue, supervision list, inbox; admin API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from cityloop.api import schemas as s
from cityloop.api.deps import ContainerDep, LangDep, PrincipalDep, territory_of
from cityloop.api.views import event_out
from cityloop.domain.access import NotFound, Principal, Role
from cityloop.services.ports import EventQuery, Notification

router = APIRouter(tags=["work lists"])


@router.get("/triage-queue", response_model=s.EventPageOut)
def triage_queue(
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> s.EventPageOut:
    """Reports the pipeline could not decide: each with the classifier's suggestion and why."""
    with container.reader() as uow:
        page = uow.events.list(EventQuery(scope=principal, states=("reported",), limit=limit))
    items = [event_out(e, principal, container.city, lang) for e in page.items]
    return s.EventPageOut(items=items, next_cursor=None)


@router.get("/supervision", response_model=s.EventPageOut)
def supervision_list(
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
    color: Annotated[str, Query(pattern="^(red|yellow)$")] = "red",
    level: Annotated[str | None, Query(pattern="^(street|district|city)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> s.EventPageOut:
    """督办: overdue (red) or nearly due (yellow) events in scope, by handling level."""
    with container.reader() as uow:
        page = uow.events.list(
            EventQuery(scope=principal, supervision=color, handling_level=level, limit=limit)
        )
    items = [event_out(e, principal, container.city, lang) for e in page.items]
    return s.EventPageOut(items=items, next_cursor=None)


class NotificationOut(BaseModel):
    id: int
    created_at: Any
    kind: str
    title: str
    body: str
    event_id: str | None
    link: str | None
    read: bool


def _recipients(principal: Principal) -> list[tuple[str, str]]:
    out = [("user", principal.user_id)]
    if principal.department:
        out.append(("unit", principal.department))
    if principal.role in (
        Role.CITY_OPERATOR,
        Role.DISTRICT_OPERATOR,
        Role.STREET_OPERATOR,
        Role.LEADER,
    ):
        out.append(("centre", principal.jurisdiction))
    return out


def _note_out(n: Notification) -> NotificationOut:
    assert n.id is not None
    return NotificationOut(
        id=n.id,
        created_at=n.created_at,
        kind=n.kind,
        title=n.title,
        body=n.body,
        event_id=n.event_id,
        link=n.link,
        read=n.read_at is not None,
    )


@router.get("/inbox", response_model=list[NotificationOut])
def inbox(
    container: ContainerDep,
    principal: PrincipalDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationOut]:
    """The user's inbox: messages to the user, its unit (in its territory) and its centre."""
    district, street = territory_of(container, principal)
    with container.reader() as uow:
        items = uow.notifications.inbox(
            _recipients(principal),
            district=district,
            street=street,
            unread_only=unread,
            limit=limit,
        )
    return [_note_out(n) for n in items]


@router.post("/inbox/{notification_id}/read", response_model=NotificationOut)
def mark_read(
    notification_id: int, container: ContainerDep, principal: PrincipalDep
) -> NotificationOut:
    with container.uow() as uow:
        n = uow.notifications.get(notification_id)
        mine = n is not None and (n.recipient_kind, n.recipient) in _recipients(principal)
        if n is None or not mine or n.channel != "inbox":
            raise NotFound("no such notification")
        uow.notifications.mark_read(notification_id, container.clock.now())
        uow.commit()
        n = uow.notifications.get(notification_id)
    assert n is not None
    return _note_out(n)


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Who the key is for")


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    created_by: str
    created_at: Any
    revoked_at: Any | None
    key: str | None = Field(None, description="The key itself: shown once, at creation")


@router.post("/admin/api-keys", response_model=ApiKeyOut, status_code=status.HTTP_201_CREATED)
def issue_key(body: ApiKeyIn, container: ContainerDep, principal: PrincipalDep) -> ApiKeyOut:
    """Issue an Open311 API key. The plaintext is in this answer only; it is stored hashed."""
    key, plaintext = container.api_keys.issue(principal, body.name)
    return ApiKeyOut(**_key_fields(key), key=plaintext)


@router.get("/admin/api-keys", response_model=list[ApiKeyOut])
def list_keys(container: ContainerDep, principal: PrincipalDep) -> list[ApiKeyOut]:
    return [ApiKeyOut(**_key_fields(k)) for k in container.api_keys.list(principal)]


@router.delete("/admin/api-keys/{key_id}", response_model=ApiKeyOut)
def revoke_key(key_id: str, container: ContainerDep, principal: PrincipalDep) -> ApiKeyOut:
    """Revoke a key: Open311 requests with it are refused (403) from now on."""
    return ApiKeyOut(**_key_fields(container.api_keys.revoke(principal, key_id)))


def _key_fields(key: Any) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "created_by": key.created_by,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }
