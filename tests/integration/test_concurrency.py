"""Two handlers acting on one event at the same moment: exactly one wins, nothing is lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.domain.clock import FixedClock
from cityloop.domain.errors import TransitionNotAllowed
from cityloop.domain.event import Actor, Event, Location, Source
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, JurisdictionChain
from cityloop.services.ports import ConcurrencyError, UnitOfWork

OP = Actor("op", "street_operator", "S1")
CHAIN = JurisdictionChain("YZ", "YZ01", "YZ01S01", "YZ01S01C01", "YZ01S01C01G001")


def test_concurrent_accepts_of_one_event_let_exactly_one_through(
    database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    upgrade(engine)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    clock = FixedClock()
    event = Event.report(
        id="00000000-0000-0000-0000-0000000000aa",
        ref="YZ-20261123-000001",
        source=Source.CITIZEN,
        title="x",
        at=clock.now(),
        actor=OP,
        location=Location(106.5, 29.5, CHAIN),
    )
    event.triage(at=clock.now(), actor=OP, type_code="UM01", severity=Severity.IV)
    event.dispatch(
        at=clock.now(),
        actor=OP,
        lead_unit="URBAN",
        co_units=(),
        level=HandlingLevel.STREET,
        accept_within=timedelta(minutes=30),
        dispose_within=timedelta(hours=24),
    )
    with uow() as u:
        u.events.add(u.track(event))
        u.commit()

    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def act(name: str, action: Callable[[Event], None]) -> None:
        # Everyone reads the event first; then all try to write what they decided.
        with SqlUnitOfWork(engine, write=False) as reader:
            loaded = reader.events.get(event.id)
        assert loaded is not None
        barrier.wait(timeout=30)
        try:
            with uow() as u:
                action(u.track(loaded))
                u.events.save(loaded)
                u.commit()
            result = "ok"
        except (ConcurrencyError, TransitionNotAllowed):
            result = "refused"
        with lock:
            outcomes.append(result)

    handler = Actor("h", "department_handler", "URBAN")
    threads = [
        threading.Thread(
            target=act,
            args=(f"t{i}", lambda e: e.accept(at=clock.now(), actor=handler)),
        )
        for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    with uow() as u:
        final = u.events.get(event.id)
    assert final is not None
    assert [e.action for e in final.timeline].count("accept") == 1
    assert final.version == 1
    engine.dispose()
