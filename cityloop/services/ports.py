"""The ports the service layer depends on; adapters implement them (SQL, in-memory)."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol

from cityloop.domain.access import Principal
from cityloop.domain.event import DomainEvent, Event
from cityloop.domain.reporter import Reporter
from cityloop.domain.user import User


class ConcurrencyError(Exception):
    """Someone else changed the aggregate since it was loaded; reload and retry."""


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Filters for listing events, always within a principal's scope (None: no scope)."""

    scope: Principal | None = None
    states: tuple[str, ...] = ()
    type_codes: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    jurisdiction: str | None = None  # any level's code
    lead_unit: str | None = None
    department: str | None = None  # lead or co-unit
    handling_level: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None
    limit: int = 50
    after: tuple[datetime, str] | None = None  # cursor: (created_at, id) of the last row seen


@dataclass(frozen=True, slots=True)
class EventPage:
    items: list[Event]
    next_cursor: tuple[datetime, str] | None = None


class EventRepository(Protocol):
    def add(self, event: Event) -> None: ...
    def get(self, event_id: str) -> Event | None: ...
    def get_by_ref(self, ref: str) -> Event | None: ...
    def save(self, event: Event) -> None: ...
    def list(self, query: EventQuery) -> EventPage: ...
    def next_sequence(self, scope: str) -> int: ...


class ReporterRepository(Protocol):
    def add(self, reporter: Reporter) -> None: ...
    def get(self, reporter_id: str) -> Reporter | None: ...


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...
    def get(self, user_id: str) -> User | None: ...
    def get_by_username(self, username: str) -> User | None: ...
    def list(self) -> list[User]: ...


@dataclass
class OutboxMessage:
    id: int
    aggregate_id: str
    name: str
    at: datetime
    payload: dict[str, object] = field(default_factory=dict)


class UnitOfWork(abc.ABC):
    """One transaction: aggregates and the outbox of their domain events commit together."""

    events: EventRepository
    reporters: ReporterRepository
    users: UserRepository

    def __enter__(self) -> UnitOfWork:
        self._seen: dict[str, Event] = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def track(self, event: Event) -> Event:
        self._seen[event.id] = event
        return event

    def commit(self) -> list[DomainEvent]:
        """Save every tracked aggregate and its domain events atomically; return the events."""
        emitted: list[DomainEvent] = []
        for event in self._seen.values():
            emitted.extend(event.events)
        self._write_outbox(emitted)
        self._commit()
        for event in self._seen.values():
            event.events.clear()
        return emitted

    @abc.abstractmethod
    def _write_outbox(self, events: list[DomainEvent]) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    @abc.abstractmethod
    def unpublished(self, limit: int = 500) -> Iterator[OutboxMessage]: ...

    @abc.abstractmethod
    def mark_published(self, ids: list[int], at: datetime) -> None: ...
