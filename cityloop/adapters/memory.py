"""In-memory adapters: the fakes that the unit tests use, held to the same contract as SQL."""

from __future__ import annotations

import builtins
import copy
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cityloop.domain.access import Principal
from cityloop.domain.event import DomainEvent, Event
from cityloop.domain.lifecycle import OPEN_STATES, WORKING_STATES
from cityloop.domain.plan_activation import PlanActivation
from cityloop.domain.report import Rating, Report
from cityloop.domain.reporter import Reporter
from cityloop.domain.user import User
from cityloop.services.dedup import Circle
from cityloop.services.ports import (
    ApiKey,
    CommitPolicy,
    ConcurrencyError,
    EventPage,
    EventQuery,
    Notification,
    OpenEventBrief,
    OutboxMessage,
    UnitOfWork,
    Upload,
)


@dataclass
class MemoryStore:
    """What a database would hold; shared by every unit of work made from it."""

    events: dict[str, Event] = field(default_factory=dict)
    reporters: dict[str, Reporter] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    outbox: list[OutboxMessage] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)
    published: set[int] = field(default_factory=set)
    reports: dict[str, Report] = field(default_factory=dict)
    ratings: dict[str, Rating] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)
    plan_activations: dict[str, PlanActivation] = field(default_factory=dict)


def _matches(e: Event, q: EventQuery) -> bool:
    chain = e.location.chain
    checks = [
        q.scope is None or q.scope.sees(e),
        not q.states or e.state.value in q.states,
        not q.type_codes or e.type_code in q.type_codes,
        not q.severities or e.severity.value in q.severities,
        not q.sources or e.source.value in q.sources,
        not q.jurisdiction or (chain is not None and chain.contains(q.jurisdiction)),
        not q.lead_unit or e.lead_unit == q.lead_unit,
        not q.department or q.department == e.lead_unit or q.department in e.co_units,
        not q.handling_level or e.handling_level.value == q.handling_level,
        not q.supervision or (e.supervision == q.supervision and e.state.value in WORKING_STATES),
        q.created_from is None or e.created_at >= q.created_from,
        q.created_to is None or e.created_at < q.created_to,
        not q.text or q.text.lower() in e.title.lower() or q.text.lower() in e.description.lower(),
        q.after is None or (e.created_at, e.id) < q.after,
    ]
    return all(checks)


class MemoryEventRepository:
    def __init__(self, store: MemoryStore, pending: dict[str, Event]) -> None:
        self.store = store
        self.pending = pending

    def add(self, event: Event) -> None:
        if event.id in self.store.events or event.id in self.pending:
            raise ValueError(f"duplicate event id {event.id}")
        self.pending[event.id] = event

    def get(self, event_id: str) -> Event | None:
        e = self.pending.get(event_id) or self.store.events.get(event_id)
        return copy.deepcopy(e) if e is not None else None

    def get_by_ref(self, ref: str) -> Event | None:
        for e in [*self.pending.values(), *self.store.events.values()]:
            if e.ref == ref:
                return copy.deepcopy(e)
        return None

    def save(self, event: Event) -> None:
        stored = self.store.events.get(event.id)
        if stored is not None and stored.version != event.version:
            raise ConcurrencyError(f"event {event.ref} was changed by someone else")
        event.version += 1
        self.pending[event.id] = event

    def list(self, query: EventQuery) -> EventPage:
        everything = {**self.store.events, **self.pending}.values()
        found = sorted(
            (e for e in everything if _matches(e, query)),
            key=lambda e: (e.created_at, e.id),
            reverse=True,
        )
        items = [copy.deepcopy(e) for e in found[: query.limit]]
        for e in items:
            e.timeline = []
        cursor = (items[-1].created_at, items[-1].id) if len(found) > query.limit else None
        return EventPage(items=items, next_cursor=cursor)

    def open_briefs(self, scope: Principal | None = None) -> builtins.list[OpenEventBrief]:
        query = EventQuery(scope=scope, states=OPEN_STATES)
        found = sorted(
            (e for e in {**self.store.events, **self.pending}.values() if _matches(e, query)),
            key=lambda e: (e.created_at, e.id),
            reverse=True,
        )
        return [
            OpenEventBrief(
                e.id,
                e.type_code,
                e.severity.value,
                e.location.chain.district if e.location.chain else None,
                e.location.chain.street if e.location.chain else None,
            )
            for e in found
        ]

    def get_many(self, ids: Sequence[str]) -> dict[str, Event]:
        found = (self.get(i) for i in dict.fromkeys(ids))
        return {e.id: e for e in found if e is not None}

    def prefetch_open_nearby(self, queries: Sequence[tuple[str, Circle]], since: datetime) -> None:
        """Nothing to gain in memory: every look-up is already a scan of the dictionary."""

    def find_open_nearby(
        self, type_code: str, near: Circle, since: datetime
    ) -> builtins.list[Event]:
        min_lon, min_lat, max_lon, max_lat = near.box()
        return [
            copy.deepcopy(e)
            for e in {**self.store.events, **self.pending}.values()
            if e.type_code == type_code
            and e.created_at >= since
            and e.state.is_open
            and e.location.lon is not None
            and e.location.lat is not None
            and min_lon <= e.location.lon <= max_lon
            and min_lat <= e.location.lat <= max_lat
        ]

    def due(self, kind: str, now: datetime, limit: int = 500) -> builtins.list[str]:
        events = {**self.store.events, **self.pending}.values()
        if kind == "remind":
            due = [(e.warn_at, e.id) for e in events if e.warn_at is not None and e.warn_at <= now]
        else:
            due = [(e.due_at, e.id) for e in events if e.due_at is not None and e.due_at <= now]
        return [i for _, i in sorted(due)[:limit]]

    def next_sequence(self, scope: str) -> int:
        n = self.store.sequences.get(scope, 0) + 1
        self.store.sequences[scope] = n
        return n


class MemoryReporterRepository:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.pending: dict[str, Reporter] = {}

    def add(self, reporter: Reporter) -> None:
        self.pending[reporter.id] = reporter

    def get(self, reporter_id: str) -> Reporter | None:
        return self.pending.get(reporter_id) or self.store.reporters.get(reporter_id)


class MemoryReportRepository:
    """Reports (writes go straight to the store: the fake does not roll them back)."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def add(self, report: Report) -> None:
        self.store.reports[report.id] = copy.deepcopy(report)

    def add_many(self, reports: Sequence[Report]) -> None:
        for r in reports:
            self.add(r)

    def save(self, report: Report) -> None:
        self.add(report)

    def _find(self, pred: Callable[[Report], bool]) -> Report | None:
        found = next((r for r in self.store.reports.values() if pred(r)), None)
        return copy.deepcopy(found) if found is not None else None

    def get(self, report_id: str) -> Report | None:
        return self._find(lambda r: r.id == report_id)

    def get_by_ref(self, ref: str) -> Report | None:
        return self._find(lambda r: r.ref == ref)

    def get_by_token(self, token: str) -> Report | None:
        return self._find(lambda r: r.token == token)

    def get_by_citizen_token_hash(self, token_hash: str) -> Report | None:
        return self._find(lambda r: r.citizen_token_hash == token_hash)

    def for_event(self, event_id: str) -> list[Report]:
        found = [r for r in self.store.reports.values() if r.event_id == event_id]
        return sorted(found, key=lambda r: (r.received_at, r.id))

    def search(
        self,
        *,
        ids: Sequence[str] = (),
        received_from: datetime | None = None,
        received_to: datetime | None = None,
        limit: int = 1000,
    ) -> list[Report]:
        found = [
            r
            for r in self.store.reports.values()
            if (not ids or r.ref in ids or r.id in ids)
            and (received_from is None or r.received_at >= received_from)
            and (received_to is None or r.received_at <= received_to)
        ]
        return sorted(found, key=lambda r: (r.received_at, r.id), reverse=True)[:limit]


class MemoryRatingRepository:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def add(self, rating: Rating) -> None:
        self.store.ratings[rating.report_id] = rating

    def for_report(self, report_id: str) -> Rating | None:
        return self.store.ratings.get(report_id)

    def for_event(self, event_id: str) -> list[Rating]:
        return [r for r in self.store.ratings.values() if r.event_id == event_id]


class MemoryApiKeyRepository:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def add(self, key: ApiKey) -> None:
        self.store.api_keys[key.id] = key

    def get(self, key_id: str) -> ApiKey | None:
        return self.store.api_keys.get(key_id)

    def get_by_hash(self, key_hash: str) -> ApiKey | None:
        return next((k for k in self.store.api_keys.values() if k.key_hash == key_hash), None)

    def list(self) -> list[ApiKey]:
        return sorted(self.store.api_keys.values(), key=lambda k: k.created_at)

    def revoke(self, key_id: str, at: datetime) -> None:
        self.store.api_keys[key_id] = dataclasses.replace(
            self.store.api_keys[key_id], revoked_at=at
        )


class MemoryUploadRepository:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def add(self, upload: Upload) -> None:
        self.store.uploads[upload.key] = upload

    def get(self, key: str) -> Upload | None:
        return self.store.uploads.get(key)


class MemoryNotificationRepository:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def add(self, n: Notification) -> None:
        self.store.notifications.append(
            dataclasses.replace(n, id=len(self.store.notifications) + 1)
        )

    def pending(self, channels: Sequence[str], limit: int = 200) -> list[Notification]:
        found = [n for n in self.store.notifications if n.status == "pending"]
        return [n for n in found if n.channel in channels][:limit]

    def _set(self, notification_id: int, **changes: object) -> None:
        i = notification_id - 1
        self.store.notifications[i] = dataclasses.replace(
            self.store.notifications[i],
            **changes,  # type: ignore[arg-type]
        )

    def mark(self, notification_id: int, *, status: str, at: datetime, error: str | None) -> None:
        attempts = self.store.notifications[notification_id - 1].attempts + 1
        self._set(notification_id, status=status, sent_at=at, error=error, attempts=attempts)

    def inbox(
        self,
        recipients: Sequence[tuple[str, str]],
        *,
        district: str | None,
        street: str | None,
        unread_only: bool,
        limit: int,
    ) -> list[Notification]:
        def fits(n: Notification) -> bool:
            if n.channel != "inbox" or (n.recipient_kind, n.recipient) not in recipients:
                return False
            if n.recipient_kind == "unit" and district and n.district_code != district:
                return False
            if n.recipient_kind == "unit" and street and n.street_code != street:
                return False
            return not (unread_only and n.read_at is not None)

        return [n for n in reversed(self.store.notifications) if fits(n)][:limit]

    def get(self, notification_id: int) -> Notification | None:
        ok = 0 < notification_id <= len(self.store.notifications)
        return self.store.notifications[notification_id - 1] if ok else None

    def mark_read(self, notification_id: int, at: datetime) -> None:
        self._set(notification_id, read_at=at)

    def for_event(self, event_id: str) -> list[Notification]:
        return [n for n in self.store.notifications if n.event_id == event_id]


class MemoryUserRepository:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def add(self, user: User) -> None:
        if any(u.username == user.username for u in self.store.users.values()):
            raise ValueError(f"duplicate username {user.username}")
        self.store.users[user.id] = user

    def get(self, user_id: str) -> User | None:
        return self.store.users.get(user_id)

    def get_by_username(self, username: str) -> User | None:
        return next((u for u in self.store.users.values() if u.username == username), None)

    def list(self) -> list[User]:
        return sorted(self.store.users.values(), key=lambda u: u.username)


class MemoryPlanActivationRepository:
    """Plan activations; their domain events join the unit of work's outbox."""

    def __init__(self, store: MemoryStore, outbox: list[DomainEvent]) -> None:
        self.store = store
        self.outbox = outbox

    def add(self, a: PlanActivation) -> None:
        if a.id in self.store.plan_activations:
            raise ConcurrencyError(f"plan activation {a.id} exists")
        self._put(a)

    def _put(self, a: PlanActivation) -> None:
        self.outbox.extend(a.events)
        stored = copy.deepcopy(a)
        stored.events.clear()
        self.store.plan_activations[a.id] = stored

    def get(self, activation_id: str) -> PlanActivation | None:
        a = self.store.plan_activations.get(activation_id)
        return copy.deepcopy(a) if a is not None else None

    def save(self, a: PlanActivation) -> None:
        stored = self.store.plan_activations.get(a.id)
        if stored is None or stored.version != a.version:
            raise ConcurrencyError(f"plan activation {a.id} was changed by someone else")
        a.version += 1
        self._put(a)

    def list(
        self, *, status: str | None = None, plan_id: str | None = None, limit: int = 200
    ) -> builtins.list[PlanActivation]:
        found = [
            copy.deepcopy(a)
            for a in self.store.plan_activations.values()
            if (status is None or a.status.value == status)
            and (plan_id is None or a.plan_id == plan_id)
        ]
        found.sort(key=lambda a: (-a.activated_at.timestamp(), a.id))
        return found[:limit]


class MemoryUnitOfWork(UnitOfWork):
    def __init__(
        self, store: MemoryStore | None = None, policies: Sequence[CommitPolicy] = ()
    ) -> None:
        self.store = store or MemoryStore()
        self.policies = policies
        self._pending: dict[str, Event] = {}
        self._outbox: list[DomainEvent] = []
        self.committed = 0

    def __enter__(self) -> MemoryUnitOfWork:
        super().__enter__()
        self._pending = {}
        self.events = MemoryEventRepository(self.store, self._pending)
        self.reporters: MemoryReporterRepository = MemoryReporterRepository(self.store)
        self.users = MemoryUserRepository(self.store)
        self.reports = MemoryReportRepository(self.store)
        self.ratings = MemoryRatingRepository(self.store)
        self.api_keys = MemoryApiKeyRepository(self.store)
        self.uploads = MemoryUploadRepository(self.store)
        self.notifications = MemoryNotificationRepository(self.store)
        self.plan_activations = MemoryPlanActivationRepository(self.store, self._outbox)
        return self

    def _write_outbox(self, events: list[DomainEvent]) -> None:
        self._outbox.extend(events)

    def _commit(self) -> None:
        for event in self._pending.values():
            self.store.events[event.id] = copy.deepcopy(event)
            self.store.events[event.id].events.clear()
        self.store.reporters.update(self.reporters.pending)
        self.reporters.pending.clear()
        for e in self._outbox:
            msg_id = len(self.store.outbox) + 1
            self.store.outbox.append(OutboxMessage(msg_id, e.aggregate_id, e.name, e.at, e.payload))
        self._pending.clear()
        self._outbox.clear()
        self.committed += 1

    def rollback(self) -> None:
        self._pending.clear()
        if hasattr(self, "reporters"):
            self.reporters.pending.clear()
        self._outbox.clear()

    def unpublished(self, limit: int = 500) -> Iterator[OutboxMessage]:
        published = self.store.published
        yield from [m for m in self.store.outbox if m.id not in published][:limit]

    def mark_published(self, ids: list[int], at: datetime) -> None:
        self.store.published.update(ids)

    def mark_oldest_published(self, at: datetime, limit: int = 5000) -> int:
        oldest = [m.id for m in self.unpublished(limit)]
        self.store.published.update(oldest)
        return len(oldest)
