"""The citizen's personal link (a documented extension beside Open311): status, confirm, rate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cityloop.api.deps import ContainerDep, LangDep
from cityloop.api.open311.requests_view import RequestQuery, search_requests
from cityloop.services.citizen import CitizenView

router = APIRouter(prefix="/citizen", tags=["citizen"])


class VerificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fixed: bool = Field(description="Is the problem gone?")
    comment: str | None = Field(None, max_length=2_000)


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy)")
    comment: str | None = Field(None, max_length=2_000)


def _body(container: Any, view: CitizenView, lang: str) -> dict[str, Any]:
    requests = search_requests(
        container.engine, container.city, RequestQuery(ids=(view.report.ref,)), lang
    )
    return {
        "request": requests[0] if requests else None,
        "state": view.event.state.value,
        "can_verify": view.can_verify,
        "can_rate": view.can_rate,
        "rating": (
            {"score": view.rating.score, "comment": view.rating.comment} if view.rating else None
        ),
    }


@router.get("/{token}")
def status(token: str, container: ContainerDep, lang: LangDep) -> dict[str, Any]:
    """Where the reporter's problem stands, and what they can do now."""
    return _body(container, container.citizen.view(token), lang)


@router.post("/{token}/verification")
def verification(
    token: str, body: VerificationIn, container: ContainerDep, lang: LangDep
) -> dict[str, Any]:
    """The reporter confirms the fix (verified) or says it is not fixed (back to the unit)."""
    view = container.citizen.verify(token, fixed=body.fixed, comment=body.comment)
    container.bus.relay()
    return _body(container, view, lang)


@router.post("/{token}/rating")
def rating(token: str, body: RatingIn, container: ContainerDep, lang: LangDep) -> dict[str, Any]:
    """Rate the closed event 1–5; 2 or less reopens it for the centre's review."""
    view = container.citizen.rate(token, score=body.score, comment=body.comment)
    container.bus.relay()
    return _body(container, view, lang)
