"""The ports the service layer depends on; adapters implement them (SQL, in-memory)."""

from __future__ import annotations

import abc
import builtins
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol

from cityloop.domain.access import Principal
from cityloop.domain.event import DomainEvent, Event
from cityloop.domain.plan_activation import PlanActivation
from cityloop.domain.report import Rating, Report
from cityloop.domain.reporter import Reporter
from cityloop.domain.user import User
from cityloop.domain.warning import Warning
from cityloop.services.dedup import Circle


class ConcurrencyError(Exception):
    """Someone else changed the aggregate since it was loaded; reload and retry."""


class RelayGuard(Protocol):
    """One outbox relay round at a time among the processes sharing a store: a message is
    marked published before the next round reads the outbox, so none is delivered twice."""

    def acquire(self, wait: bool) -> bool:
        """True once held; with ``wait`` off, False at once when another process holds it."""
        ...

    def release(self) -> None: ...


class StoreUnavailable(Exception):
    """The store stopped while it had the request: it may or may not have been stored, and
    sending it again is safe (a repeated report joins the event the first one made)."""


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
    supervision: str | None = None  # "yellow" | "red"
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None
    limit: int = 50
    after: tuple[datetime, str] | None = None  # cursor: (created_at, id) of the last row seen


@dataclass(frozen=True, slots=True)
class EventPage:
    items: list[Event]
    next_cursor: tuple[datetime, str] | None = None


@dataclass(frozen=True, slots=True)
class OpenEventBrief:
    """What a city-wide look at the open events needs of each: no timeline, units or text."""

    id: str
    type_code: str | None
    severity: str
    district: str | None
    street: str | None


class EventRepository(Protocol):
    def add(self, event: Event) -> None: ...
    def get(self, event_id: str) -> Event | None: ...
    def get_by_ref(self, ref: str) -> Event | None: ...
    def get_many(self, ids: Sequence[str]) -> dict[str, Event]: ...
    def save(self, event: Event) -> None: ...
    def list(self, query: EventQuery) -> EventPage: ...
    def open_briefs(self, scope: Principal | None = None) -> builtins.list[OpenEventBrief]: ...
    def next_sequence(self, scope: str) -> int: ...
    def due(self, kind: str, now: datetime, limit: int = 500) -> builtins.list[str]: ...
    def prefetch_open_nearby(
        self, queries: Sequence[tuple[str, Circle]], since: datetime
    ) -> None: ...
    def find_open_nearby(
        self, type_code: str, near: Circle, since: datetime
    ) -> builtins.list[Event]: ...


class ReporterRepository(Protocol):
    def add(self, reporter: Reporter) -> None: ...
    def get(self, reporter_id: str) -> Reporter | None: ...


class ReportRepository(Protocol):
    def add(self, report: Report) -> None: ...
    def add_many(self, reports: Sequence[Report]) -> None: ...
    def save(self, report: Report) -> None: ...
    def get(self, report_id: str) -> Report | None: ...
    def get_by_ref(self, ref: str) -> Report | None: ...
    def get_by_token(self, token: str) -> Report | None: ...
    def get_by_citizen_token_hash(self, token_hash: str) -> Report | None: ...
    def for_event(self, event_id: str) -> list[Report]: ...
    def search(
        self,
        *,
        ids: Sequence[str] = (),
        received_from: datetime | None = None,
        received_to: datetime | None = None,
        limit: int = 1000,
    ) -> list[Report]: ...


class RatingRepository(Protocol):
    def add(self, rating: Rating) -> None: ...
    def for_report(self, report_id: str) -> Rating | None: ...
    def for_event(self, event_id: str) -> list[Rating]: ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None: ...
    def get(self, key_id: str) -> ApiKey | None: ...
    def get_by_hash(self, key_hash: str) -> ApiKey | None: ...
    def list(self) -> list[ApiKey]: ...
    def revoke(self, key_id: str, at: datetime) -> None: ...


class UploadRepository(Protocol):
    def add(self, upload: Upload) -> None: ...
    def get(self, key: str) -> Upload | None: ...


class NotificationRepository(Protocol):
    def add(self, n: Notification) -> None: ...
    def pending(self, channels: Sequence[str], limit: int = 200) -> list[Notification]: ...
    def mark(
        self, notification_id: int, *, status: str, at: datetime, error: str | None
    ) -> None: ...
    def inbox(
        self,
        recipients: Sequence[tuple[str, str]],
        *,
        district: str | None,
        street: str | None,
        unread_only: bool,
        limit: int,
    ) -> list[Notification]: ...
    def get(self, notification_id: int) -> Notification | None: ...
    def mark_read(self, notification_id: int, at: datetime) -> None: ...
    def for_event(self, event_id: str) -> list[Notification]: ...


class WarningRepository(Protocol):
    def add(self, w: Warning) -> None: ...
    def get(self, warning_id: str) -> Warning | None: ...
    def get_many(self, ids: Sequence[str]) -> dict[str, Warning]: ...
    def save(self, w: Warning) -> None: ...
    def list(
        self,
        *,
        active: bool | None = True,
        confirmation: str | None = None,
        district: str | None = None,
        street: str | None = None,
        limit: int = 500,
    ) -> builtins.list[Warning]: ...
    def dismissal_counts(self) -> dict[str, tuple[int, int]]: ...


class PlanActivationRepository(Protocol):
    def add(self, a: PlanActivation) -> None: ...
    def get(self, activation_id: str) -> PlanActivation | None: ...
    def save(self, a: PlanActivation) -> None: ...
    def list(
        self, *, status: str | None = None, plan_id: str | None = None, limit: int = 200
    ) -> builtins.list[PlanActivation]: ...


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...
    def get(self, user_id: str) -> User | None: ...
    def get_by_username(self, username: str) -> User | None: ...
    def list(self) -> list[User]: ...


@dataclass
class ApiKey:
    """An Open311 API key; only its SHA-256 hash is stored."""

    id: str
    name: str
    prefix: str
    key_hash: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass
class Upload:
    """A stored attachment (photo, video, document) before or after it joins an event."""

    key: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime


@dataclass
class Notification:
    """A message to a user, a unit, a centre or a citizen, on one channel."""

    created_at: datetime
    channel: str  # inbox | sms | email | webhook
    recipient_kind: str  # user | unit | centre | citizen | webhook
    recipient: str
    kind: str
    title: str
    body: str
    status: str = "pending"  # pending | sent | failed (inbox items are "sent" at once)
    attempts: int = 0
    event_id: str | None = None
    district_code: str | None = None
    street_code: str | None = None
    link: str | None = None
    error: str | None = None
    sent_at: datetime | None = None
    read_at: datetime | None = None
    id: int | None = None


@dataclass
class OutboxMessage:
    id: int
    aggregate_id: str
    name: str
    at: datetime
    payload: dict[str, object] = field(default_factory=dict)


#: Something that must happen in the same transaction as an event's change (its inbox
#: notifications, say): called at commit with the tracked events and each one's new domain
#: events, before anything is written.
CommitPolicy = Callable[["UnitOfWork", list[tuple[Event, DomainEvent]]], None]


class UnitOfWork(abc.ABC):
    """One transaction: aggregates, the outbox of their domain events, and what the commit
    policies add for them commit together."""

    #: Run at every commit, in order (see :data:`CommitPolicy`).
    policies: Sequence[CommitPolicy] = ()

    events: EventRepository
    reporters: ReporterRepository
    users: UserRepository
    reports: ReportRepository
    ratings: RatingRepository
    api_keys: ApiKeyRepository
    uploads: UploadRepository
    notifications: NotificationRepository
    warnings: WarningRepository
    plan_activations: PlanActivationRepository

    def __enter__(self) -> UnitOfWork:
        self._seen: dict[str, Event] = {}
        self._seen_warnings: dict[str, Warning] = {}
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

    def track_warning(self, warning: Warning) -> Warning:
        self._seen_warnings[warning.id] = warning
        return warning

    def commit(self) -> list[DomainEvent]:
        """Save every tracked aggregate and its domain events atomically; return the events."""
        changes = [(event, e) for event in self._seen.values() for e in event.events]
        for policy in self.policies:
            policy(self, changes)
        emitted = [e for _, e in changes]
        for warning in self._seen_warnings.values():
            emitted.extend(warning.events)
        self._write_outbox(emitted)
        self._commit()
        for event in self._seen.values():
            event.events.clear()
        for warning in self._seen_warnings.values():
            warning.events.clear()
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

    @abc.abstractmethod
    def mark_oldest_published(self, at: datetime, limit: int = 5000) -> int:
        """Mark up to ``limit`` of the oldest unpublished messages published without reading
        them (when nobody subscribes); return how many."""
