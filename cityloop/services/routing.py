"""Routing: who handles an event, at which level, by when — and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cityloop.city.model import City
from cityloop.domain.event import Actor, Event
from cityloop.domain.territory import HandlingLevel


@dataclass(frozen=True, slots=True)
class DispatchPlan:
    lead: str
    co: tuple[str, ...]
    level: HandlingLevel
    accept_within: timedelta
    dispose_within: timedelta
    reasons: tuple[str, ...]

    def apply(self, event: Event, *, at: datetime, actor: Actor, note: str | None = None) -> None:
        event.dispatch(
            at=at,
            actor=actor,
            lead_unit=self.lead,
            co_units=self.co,
            level=self.level,
            accept_within=self.accept_within,
            dispose_within=self.dispose_within,
            note=note,
            reasons=self.reasons,
        )


def plan_dispatch(
    city: City,
    event: Event,
    *,
    level: HandlingLevel | None = None,
    lead: str | None = None,
    co: tuple[str, ...] | None = None,
    by: str | None = None,
) -> DispatchPlan:
    """The responsibility list's answer for a triaged event, with any operator overrides."""
    if event.type_code is None:
        raise ValueError("an event must have a type to be routed")
    chosen = level or city.handling_level(event.type_code, event.severity)
    district = event.location.chain.district if event.location.chain else None
    routing = city.route(event.type_code, chosen, district)
    reasons = [
        f"handling level {chosen.value} set by {by}"
        if level is not None and by
        else f"handling level {chosen.value} for severity {event.severity.value}",
        *routing.reasons,
    ]
    final_lead, final_co = routing.lead, routing.co
    if lead is not None:
        final_lead = lead
        reasons.append(f"lead unit overridden to {lead} by {by}")
    if co is not None:
        final_co = co
        reasons.append(f"co-units overridden to {', '.join(co) or 'none'} by {by}")
    limits = city.time_limits(event.type_code, event.severity)
    reasons.append(
        f"deadlines: accept within {limits.accept_minutes} min, dispose within "
        f"{limits.dispose_minutes} min ({limits.source})"
    )
    return DispatchPlan(
        final_lead,
        final_co,
        chosen,
        timedelta(minutes=limits.accept_minutes),
        timedelta(minutes=limits.dispose_minutes),
        tuple(reasons),
    )
