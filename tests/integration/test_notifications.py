"""On a real store, an event's notifications commit or roll back with its change; with
nobody subscribed, the relay marks the outbox published in bounded transactions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.city import City
from cityloop.domain.clock import FixedClock
from cityloop.domain.report import Channel
from cityloop.services import messagebus
from cityloop.services.handlers import Handlers
from cityloop.services.intake import IncomingReport, IntakePipeline
from cityloop.services.messagebus import MessageBus
from cityloop.services.notifications import NotificationPolicy
from cityloop.services.ports import UnitOfWork


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'n.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pipeline(engine: Engine, demo_city: City, clock: FixedClock) -> IntakePipeline:
    policy = NotificationPolicy(demo_city, clock, "http://city.example")
    return IntakePipeline(
        lambda: SqlUnitOfWork(engine, policies=(policy,)), demo_city, clock, None, None
    )


def report(city: City, n: int = 0) -> IncomingReport:
    p = city.jurisdictions["YZ02S01"].geometry.representative_point()
    return IncomingReport(
        Channel.GRID, f"Railing {n} washed out", type_code="UM10", lon=p.x, lat=p.y + n * 0.01
    )


def inbox_of(engine: Engine, unit: str) -> list[str]:
    with SqlUnitOfWork(engine, write=False) as uow:
        found = uow.notifications.inbox(
            [("unit", unit)], district=None, street=None, unread_only=False, limit=100
        )
    return [n.kind for n in found]


def test_a_stored_dispatch_has_its_lead_units_inbox_item(
    pipeline: IntakePipeline, engine: Engine, demo_city: City
) -> None:
    out = pipeline.submit(report(demo_city))
    assert out.dispatched
    assert out.event.lead_unit == "URBAN"
    assert inbox_of(engine, "URBAN") == ["dispatched"]


def test_a_dispatch_whose_commit_fails_leaves_neither_event_nor_notice(
    engine: Engine, demo_city: City, clock: FixedClock
) -> None:
    class Crash(Exception):
        pass

    def crash(uow: UnitOfWork, changes: object) -> None:
        raise Crash  # after the notices were added, before anything is written

    notices = NotificationPolicy(demo_city, clock, "http://city.example")
    uow = lambda: SqlUnitOfWork(engine, policies=(notices, crash))  # noqa: E731
    with pytest.raises(Crash):
        IntakePipeline(uow, demo_city, clock, None, None).submit(report(demo_city))
    assert inbox_of(engine, "URBAN") == []
    with SqlUnitOfWork(engine, write=False) as r:
        assert list(r.unpublished()) == []


def test_with_nobody_subscribed_the_relay_marks_everything_in_bounded_rounds(
    pipeline: IntakePipeline,
    engine: Engine,
    demo_city: City,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(messagebus, "MARK_AT_ONCE", 4)
    pipeline.submit_many([report(demo_city, n) for n in range(3)])  # 9 messages
    uow = lambda: SqlUnitOfWork(engine)  # noqa: E731
    bus = MessageBus(Handlers(uow, demo_city, clock), uow, clock)
    assert bus.relay() == 9
    with SqlUnitOfWork(engine, write=False) as r:
        assert list(r.unpublished()) == []
    assert bus.relay() == 0
