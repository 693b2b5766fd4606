"""Review (复盘): replay a window of the city's history, and its state at a moment."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Query

from cityloop.adapters.sql.views_replay import replay, snapshot, state_at
from cityloop.api.deps import ContainerDep, PrincipalDep, territory_of
from cityloop.domain.errors import InvalidCommand

router = APIRouter(tags=["review"])


@router.get("/replay")
def replay_window(
    container: ContainerDep,
    principal: PrincipalDep,
    since: Annotated[datetime, Query(alias="from")],
    until: Annotated[datetime, Query(alias="to")],
    limit: Annotated[int, Query(ge=1, le=50_000)] = 10_000,
) -> dict[str, Any]:
    """Every event step and warning change in [from, to) inside your territory, in order, with
    the state of your territory at both ends."""
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidCommand("from and to need a time zone offset")
    if until <= since:
        raise InvalidCommand("to must be after from")
    district, street = territory_of(container, principal)
    rows = (
        r
        for r in replay(container.engine, since, until)
        if (district is None or r["district"] == district)
        and (street is None or r["street"] == street)
    )
    return {
        "from": state_at(container.engine, since, district, street),
        "steps": list(islice(rows, limit)),
        "to": state_at(container.engine, until, district, street),
    }


@router.get("/replay/snapshot")
def replay_snapshot(
    container: ContainerDep,
    principal: PrincipalDep,
    at: datetime,
    include_finished: bool = False,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
) -> dict[str, Any]:
    """The city at one moment inside your territory, for a map with a time slider: every event
    with its state then, its unit and coordinates, and every warning active then with its level
    then (closed, cancelled and merged events only with ``include_finished``)."""
    if at.tzinfo is None:
        raise InvalidCommand("at needs a time zone offset")
    district, street = territory_of(container, principal)
    return snapshot(container.engine, at, district, street, include_finished, limit)
