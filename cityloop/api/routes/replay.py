"""Review (复盘): replay a window of the city's history, and its state at a moment."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Query

from cityloop.adapters.sql.views_replay import replay, state_at
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
    the state of the city at both ends."""
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
        "from": state_at(container.engine, since),
        "steps": list(islice(rows, limit)),
        "to": state_at(container.engine, until),
    }
