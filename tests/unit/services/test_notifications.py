"""Notifications are written by the transaction that changes the event they tell of."""

from __future__ import annotations

import pytest

from cityloop.adapters.memory import MemoryStore, MemoryUnitOfWork
from cityloop.city import City
from cityloop.domain.access import Principal, Role
from cityloop.domain.clock import FixedClock
from cityloop.domain.event import DomainEvent, Event, Source
from cityloop.domain.territory import Level
from cityloop.services import commands as c
from cityloop.services.handlers import Handlers
from cityloop.services.messagebus import MessageBus
from cityloop.services.notifications import NotificationPolicy
from cityloop.services.ports import Notification, UnitOfWork

CITY_OP = Principal("u1", "city_op", Role.CITY_OPERATOR, "YZ", Level.CITY)
HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def policy(demo_city: City, clock: FixedClock) -> NotificationPolicy:
    return NotificationPolicy(demo_city, clock, "http://city.example/", [HOOK])


@pytest.fixture
def handlers(
    demo_city: City, store: MemoryStore, clock: FixedClock, policy: NotificationPolicy
) -> Handlers:
    return Handlers(lambda: MemoryUnitOfWork(store, policies=(policy,)), demo_city, clock)


def dispatched(handlers: Handlers, *co_units: str) -> Event:
    p = handlers.city.jurisdictions["YZ01S01"].geometry.representative_point()
    eid = handlers.report(c.ReportEvent(CITY_OP, "路灯不亮", Source.HOTLINE, lon=p.x, lat=p.y)).id
    handlers.triage(c.TriageEvent(CITY_OP, eid, "UM02"))
    return handlers.dispatch(c.DispatchEvent(CITY_OP, eid, co_units=co_units or None))


def test_a_dispatch_tells_its_lead_and_co_units_with_a_webhook_copy_of_each(
    handlers: Handlers, store: MemoryStore
) -> None:
    event = dispatched(handlers, "PSB")
    inbox = [n for n in store.notifications if n.channel == "inbox"]
    assert {(n.recipient, n.kind) for n in inbox} == {
        (event.lead_unit, "dispatched"),
        ("PSB", "dispatched"),
    }
    assert all(n.event_id == event.id and event.ref in n.title for n in inbox)
    assert all(n.status == "sent" for n in inbox)  # an inbox item is there once written
    hooks = [n for n in store.notifications if n.channel == "webhook"]
    assert [n.recipient for n in hooks] == [HOOK, HOOK]
    assert all(n.status == "pending" for n in hooks)  # the dispatcher delivers them


def test_changes_without_a_rule_tell_nobody(handlers: Handlers, store: MemoryStore) -> None:
    p = handlers.city.jurisdictions["YZ01S01"].geometry.representative_point()
    handlers.report(c.ReportEvent(CITY_OP, "x", Source.HOTLINE, lon=p.x, lat=p.y))
    assert store.notifications == []


def test_a_failing_rule_gives_no_notice_and_never_undoes_the_change(
    handlers: Handlers, store: MemoryStore, policy: NotificationPolicy
) -> None:
    def broken(uow: UnitOfWork, event: Event, change: DomainEvent) -> list[Notification]:
        raise RuntimeError("rule bug")

    policy.rules["EventDispatched"] = broken
    event = dispatched(handlers)
    assert store.events[event.id].state.value == "dispatched"
    assert store.notifications == []


def test_with_nobody_subscribed_the_relay_marks_messages_published_unread(
    handlers: Handlers, store: MemoryStore, clock: FixedClock
) -> None:
    bus = MessageBus(handlers, lambda: MemoryUnitOfWork(store), clock)
    dispatched(handlers)
    assert len(store.outbox) == 3  # reported, triaged, dispatched
    assert bus.relay() == 3
    assert store.published == {1, 2, 3}
    assert bus.relay() == 0
