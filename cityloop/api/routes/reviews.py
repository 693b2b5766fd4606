"""Incident review records (复盘): created from an event, a plan activation or a time window and
a territory; what was late and why and the warnings before the first report are computed from
the stored history; lessons are noted by people, each with who and when."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from cityloop.adapters.sql import reviews as store
from cityloop.api.deps import ContainerDep, PrincipalDep, territory_of
from cityloop.bootstrap import Container
from cityloop.city.model import Jurisdiction
from cityloop.domain.access import Forbidden, NotFound, Principal, Role
from cityloop.domain.errors import InvalidCommand
from cityloop.evaluation.review import findings
from cityloop.services.ports import ConcurrencyError

router = APIRouter(prefix="/reviews", tags=["review"])

REVIEWERS = {
    Role.CITY_OPERATOR,
    Role.DISTRICT_OPERATOR,
    Role.STREET_OPERATOR,
    Role.LEADER,
    Role.AUDITOR,
    Role.ADMIN,
}


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=500)
    event_id: str | None = Field(None, description="Review this event (and its split children)")
    activation_id: str | None = Field(None, description="Review this plan activation")
    territory: str | None = Field(None, description="With from/to: a window over a territory")
    from_: datetime | None = Field(None, alias="from")
    to: datetime | None = Field(None, description="End of the window; default now")
    lookback_hours: float = Field(
        24, ge=0, le=24 * 30, description="How far before the first report to look for warnings"
    )


class LessonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    version: int | None = Field(None, description="The review's version you read (optional)")


def _writer(principal: Principal) -> None:
    if principal.role not in REVIEWERS:
        raise Forbidden(f"role '{principal.role.value}' may not write incident reviews")


def _place(container: Container, principal: Principal, code: str | None) -> Jurisdiction:
    place = container.city.jurisdictions.get(code or container.city.city_jurisdiction.code)
    if place is None or not principal.covers(place.chain):
        raise NotFound("no such territory")
    return place


def _aware(t: datetime | None, name: str) -> datetime | None:
    if t is not None and t.tzinfo is None:
        raise InvalidCommand(f"'{name}' needs a time zone offset")
    return t


@router.post("", status_code=status.HTTP_201_CREATED)
def create_review(
    body: ReviewIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Compute and store a review record from exactly one of: an event, a plan activation, or a
    window (from, to) over a territory."""
    _writer(principal)
    given = [body.event_id is not None, body.activation_id is not None, body.from_ is not None]
    if sum(given) != 1:
        raise InvalidCommand("give exactly one of event_id, activation_id, or from (with to)")
    now = container.clock.now()
    end = _aware(body.to, "to") or now
    lookback = timedelta(hours=body.lookback_hours)
    engine = container.engine
    if body.event_id is not None:
        row = store.event_row(engine, body.event_id)
        if row is None:
            raise NotFound("no such event")
        place = _place(container, principal, row.street_code or row.district_code)
        start = row.created_at - lookback
        incident = store.incident_of_event(
            engine, row.id, place.level.value, place.code, start, end
        )
        source, source_id, title = "event", row.id, f"Review of {row.ref}"
    elif body.activation_id is not None:
        act = store.activation_row(engine, body.activation_id)
        if act is None:
            raise NotFound("no such plan activation")
        place = _place(container, principal, act.jurisdiction)
        start = act.activated_at - lookback
        end = _aware(body.to, "to") or act.terminated_at or now
        incident = store.incident_of_activation(
            engine, act, place.level.value, place.code, start, end
        )
        if incident.events:
            start = min(start, min(e.first_report_at for e in incident.events) - lookback)
        source, source_id = "plan", act.id
        title = f"Review of plan {act.plan_id} ({act.level}) activated {act.activated_at:%Y-%m-%d}"
    else:
        start = _aware(body.from_, "from")
        assert start is not None
        if end <= start:
            raise InvalidCommand("'to' must be after 'from'")
        place = _place(container, principal, body.territory)
        incident = store.incident_of_window(engine, place.level.value, place.code, start, end)
        source, source_id = "window", None
        title = f"Review of {place.name_en} {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"
    if end <= start:
        raise InvalidCommand("the review window is empty: 'to' is before its start")
    computed = findings(incident.events, incident.warnings, incident.tasks, start, end)
    chain = place.chain
    return store.insert_review(
        engine,
        {
            "id": str(uuid.uuid4()),
            "title": (body.title or title)[:500],
            "source": source,
            "source_id": source_id,
            "jurisdiction": place.code,
            "district_code": chain.district,
            "street_code": chain.street,
            "window_from": start,
            "window_to": end,
            "findings": computed,
            "lessons": [],
            "created_by": principal.username,
            "created_at": now,
            "updated_at": now,
        },
    )


def _visible(container: Container, principal: Principal, review_id: str) -> dict[str, Any]:
    review = store.get_review(container.engine, review_id)
    if review is None:
        raise NotFound("no such review")
    place = container.city.jurisdictions.get(review["jurisdiction"])
    if place is None or not principal.covers(place.chain):
        raise NotFound("no such review")
    return review


@router.get("")
def list_reviews(
    container: ContainerDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Review records inside your territory, newest first (summaries)."""
    district, street = territory_of(container, principal)
    return {"items": store.list_reviews(container.engine, district, street, limit)}


@router.get("/{review_id}")
def get_review(review_id: str, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    return _visible(container, principal, review_id)


def _check_version(review: dict[str, Any], version: int | None) -> None:
    if version is not None and version != review["version"]:
        raise ConcurrencyError(
            f"the review is at version {review['version']}, not {version}; read it again"
        )


@router.post("/{review_id}/lessons", status_code=status.HTTP_201_CREATED)
def add_lesson(
    review_id: str, body: LessonIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Note a lesson learned; who and when are recorded."""
    _writer(principal)
    review = _visible(container, principal, review_id)
    _check_version(review, body.version)
    now = container.clock.now()
    lessons = [
        *review["lessons"],
        {
            "n": len(review["lessons"]) + 1,
            "text": body.text.strip(),
            "by": principal.username,
            "at": now.isoformat(),
            "edits": [],
        },
    ]
    return store.save_lessons(container.engine, review_id, lessons, review["version"], now)


@router.put("/{review_id}/lessons/{n}")
def edit_lesson(
    review_id: str, n: int, body: LessonIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Change a lesson's text; the earlier text, who changed it and when are kept."""
    _writer(principal)
    review = _visible(container, principal, review_id)
    _check_version(review, body.version)
    lessons = [dict(x) for x in review["lessons"]]
    if not 1 <= n <= len(lessons):
        raise NotFound(f"no lesson {n}")
    now = container.clock.now()
    lesson = lessons[n - 1]
    lesson["edits"] = [
        *lesson.get("edits", []),
        {"text": lesson["text"], "by": principal.username, "at": now.isoformat()},
    ]
    lesson["text"] = body.text.strip()
    return store.save_lessons(container.engine, review_id, lessons, review["version"], now)
