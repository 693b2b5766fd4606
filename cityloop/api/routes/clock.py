"""The stepped clock of a scenario run: the admin moves simulated time on, one step at a time.

Only a server started with ``CITYLOOP_CLOCK_STEPPED=1`` has one. A step is followed by a round
of background work (deadlines, stale sensors, plans, vital signs, notifications) at the new time
when ``supervision_interval_s × clock_speed`` simulated seconds have passed since the last one —
as often as a server whose clock runs at that speed would do it — so a scenario driver that sends
everything due before a step sees the same outcome on a fast machine and on a loaded one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cityloop.api.deps import ContainerDep, PrincipalDep
from cityloop.domain.access import Forbidden, Role
from cityloop.domain.clock import SteppedClock
from cityloop.domain.errors import InvalidCommand

router = APIRouter(prefix="/admin", tags=["ops"])


class AdvanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0.001, le=86_400, description="How far to move the clock on")


@router.post("/clock")
def advance_clock(
    body: AdvanceIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Move the stepped clock on by ``seconds``; run a round of background work then if one is
    due (``ticked``)."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("only the admin moves the clock")
    clock = container.clock
    if not isinstance(clock, SteppedClock):
        raise InvalidCommand(
            "this server's clock is not stepped (start it with CITYLOOP_CLOCK_STEPPED=1)"
        )
    at = clock.advance(body.seconds)
    settings = container.settings
    every = settings.supervision_interval_s * settings.clock_speed
    ticked = container.last_tick is None or (at - container.last_tick).total_seconds() >= every
    if ticked:
        container.tick()
    return {"time": at.isoformat(), "clock": "stepped", "ticked": ticked}
