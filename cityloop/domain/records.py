"""Value objects of an event's record: its source, who acted, where, attachments, history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cityloop.domain.lifecycle import State
from cityloop.domain.territory import JurisdictionChain

Payload = dict[str, Any]


class Source(StrEnum):
    CITIZEN = "citizen"
    HOTLINE = "hotline"
    GRID = "grid"
    SENSOR = "sensor"
    DEPARTMENT = "department"
    PLAN = "plan"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a user with a role, acting for a unit (department or territory)."""

    id: str
    role: str
    unit: str | None = None

    @classmethod
    def system(cls, reason: str = "system") -> Actor:
        return cls(id=reason, role="system", unit=None)


@dataclass(frozen=True, slots=True)
class Location:
    lon: float | None = None
    lat: float | None = None
    chain: JurisdictionChain | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    content_type: str
    size: int
    key: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One immutable line of an event's history."""

    seq: int
    at: datetime
    action: str
    from_state: State | None
    to_state: State
    actor: str
    role: str
    unit: str | None
    note: str | None = None
    payload: Payload = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened to an aggregate, in the past tense (``EventDispatched``)."""

    name: str
    aggregate_id: str
    ref: str
    at: datetime
    payload: Payload = field(default_factory=dict)
