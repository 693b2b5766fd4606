"""In-memory adapters: the fakes that the unit tests use, held to the same contract as SQL."""

from __future__ import annotations

import builtins
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from cityloop.domain.event import DomainEvent, Event
from cityloop.domain.reporter import Reporter
from cityloop.domain.user import User
from cityloop.services.ports import (
    ConcurrencyError,
    EventPage,
    EventQuery,
    OutboxMessage,
    UnitOfWork,
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

    def find_open_nearby(
        self, type_code: str, box: tuple[float, float, float, float], since: datetime
    ) -> builtins.list[Event]:
        min_lon, min_lat, max_lon, max_lat = box
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


class MemoryUnitOfWork(UnitOfWork):
    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore()
        self._pending: dict[str, Event] = {}
        self._outbox: list[DomainEvent] = []
        self.committed = 0

    def __enter__(self) -> MemoryUnitOfWork:
        super().__enter__()
        self._pending = {}
        self.events = MemoryEventRepository(self.store, self._pending)
        self.reporters: MemoryReporterRepository = MemoryReporterRepository(self.store)
        self.users = MemoryUserRepository(self.store)
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
