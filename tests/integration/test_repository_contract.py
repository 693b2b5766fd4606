"""One contract for every store: the in-memory fake, SQLite and PostgreSQL behave alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from cityloop.adapters.memory import MemoryStore, MemoryUnitOfWork
from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.domain.access import Principal, Role
from cityloop.domain.clock import FixedClock
from cityloop.domain.event import Actor, Event, Location, Source
from cityloop.domain.lifecycle import State
from cityloop.domain.reporter import Reporter
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, JurisdictionChain, Level
from cityloop.services.ports import ConcurrencyError, EventQuery, UnitOfWork
from tests.services import fresh_postgres_database

Factory = Callable[[], UnitOfWork]
OP = Actor("op", "street_operator", "YZ01S01")
S1 = JurisdictionChain("YZ", "YZ01", "YZ01S01", "YZ01S01C01", "YZ01S01C01G001")
D2 = JurisdictionChain("YZ", "YZ02", "YZ02S01", "YZ02S01C01", "YZ02S01C01G001")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def uow_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    if request.param == "memory":
        store = MemoryStore()
        yield lambda: MemoryUnitOfWork(store)
        return
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
        upgrade(engine)
        yield lambda: SqlUnitOfWork(engine)
        engine.dispose()
        return
    with fresh_postgres_database() as url:
        engine = create_engine(url)
        upgrade(engine)
        yield lambda: SqlUnitOfWork(engine)
        engine.dispose()


def make(clock: FixedClock, n: int, chain: JurisdictionChain = S1, **kw: object) -> Event:
    return Event.report(
        id=f"00000000-0000-0000-0000-{n:012d}",
        ref=f"YZ-20261123-{n:06d}",
        source=Source.CITIZEN,
        title=f"Event {n}",
        at=clock.now(),
        actor=Actor.system(),
        location=Location(106.5, 29.5, chain, "addr"),
        **kw,  # type: ignore[arg-type]
    )


def dispatch(event: Event, clock: FixedClock, lead: str, co: tuple[str, ...] = ()) -> None:
    event.triage(at=clock.now(), actor=OP, type_code="UM01", severity=Severity.IV)
    event.dispatch(
        at=clock.now(),
        actor=OP,
        lead_unit=lead,
        co_units=co,
        level=HandlingLevel.STREET,
        accept_within=timedelta(minutes=30),
        dispose_within=timedelta(hours=24),
    )


def test_an_added_event_comes_back_whole_with_its_timeline(uow_factory: Factory) -> None:
    clock = FixedClock()
    with uow_factory() as uow:
        event = make(clock, 1)
        dispatch(event, clock, "URBAN", ("PSB",))
        uow.events.add(uow.track(event))
        uow.commit()
    with uow_factory() as uow:
        back = uow.events.get(event.id)
        by_ref = uow.events.get_by_ref(event.ref)
    assert back is not None
    assert by_ref is not None
    assert back.state is State.DISPATCHED
    assert back.location.chain == S1
    assert back.co_units == ("PSB",)
    assert back.accept_by == clock.now() + timedelta(minutes=30)
    assert back.accept_by is not None
    assert back.accept_by.tzinfo is not None
    assert [e.action for e in back.timeline] == ["report", "triage", "dispatch"]
    assert by_ref.id == event.id


def test_saving_appends_only_new_timeline_entries(uow_factory: Factory) -> None:
    clock = FixedClock()
    with uow_factory() as uow:
        uow.events.add(uow.track(make(clock, 1)))
        uow.commit()
    with uow_factory() as uow:
        event = uow.track(uow.events.get(make(clock, 1).id))  # type: ignore[arg-type]
        dispatch(event, clock, "URBAN")
        uow.events.save(event)
        uow.commit()
    with uow_factory() as uow:
        back = uow.events.get(event.id)
    assert back is not None
    assert [e.seq for e in back.timeline] == [1, 2, 3]
    assert back.version == 1


def test_a_stale_writer_gets_a_concurrency_error(uow_factory: Factory) -> None:
    clock = FixedClock()
    with uow_factory() as uow:
        uow.events.add(uow.track(make(clock, 1)))
        uow.commit()
    event_id = make(clock, 1).id
    with uow_factory() as uow:
        first = uow.events.get(event_id)
    with uow_factory() as uow:
        second = uow.events.get(event_id)
    assert first is not None
    assert second is not None
    with uow_factory() as uow:
        first.cancel(at=clock.now(), actor=OP, reason="duplicate call")
        uow.events.save(uow.track(first))
        uow.commit()
    with uow_factory() as uow:
        second.triage(at=clock.now(), actor=OP, type_code="UM01", severity=Severity.IV)
        with pytest.raises(ConcurrencyError):
            uow.events.save(uow.track(second))


def test_nothing_is_kept_without_commit_neither_aggregate_nor_outbox(uow_factory: Factory) -> None:
    clock = FixedClock()
    with uow_factory() as uow:
        uow.events.add(uow.track(make(clock, 1)))
        uow.reporters.add(Reporter(id="r1", created_at=clock.now(), phone="13800000000"))
    with uow_factory() as uow:
        assert uow.events.get(make(clock, 1).id) is None
        assert uow.reporters.get("r1") is None
        assert list(uow.unpublished()) == []


def test_commit_writes_the_domain_events_to_the_outbox_in_order(uow_factory: Factory) -> None:
    clock = FixedClock()
    with uow_factory() as uow:
        event = make(clock, 1)
        dispatch(event, clock, "URBAN")
        uow.events.add(uow.track(event))
        uow.commit()
    with uow_factory() as uow:
        msgs = list(uow.unpublished())
        assert [m.name for m in msgs] == ["EventReported", "EventTriaged", "EventDispatched"]
        assert msgs[2].payload["lead_unit"] == "URBAN"
        uow.mark_published([m.id for m in msgs[:2]], clock.now())
        uow.commit()
    with uow_factory() as uow:
        assert [m.name for m in uow.unpublished()] == ["EventDispatched"]


def test_sequences_count_up_per_scope(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        assert [uow.events.next_sequence("YZ-20261123") for _ in range(3)] == [1, 2, 3]
        assert uow.events.next_sequence("YZ-20261124") == 1
        uow.commit()
    with uow_factory() as uow:
        assert uow.events.next_sequence("YZ-20261123") == 4


def test_lists_are_newest_first_and_pages_follow_the_cursor(uow_factory: Factory) -> None:
    clock = FixedClock()
    with uow_factory() as uow:
        for n in range(1, 8):
            uow.events.add(uow.track(make(clock, n)))
            clock.advance(minutes=1)
        uow.commit()
    seen: list[str] = []
    after = None
    with uow_factory() as uow:
        while True:
            page = uow.events.list(EventQuery(limit=3, after=after))
            seen.extend(e.title for e in page.items)
            if page.next_cursor is None:
                break
            after = page.next_cursor
    assert seen == [f"Event {n}" for n in range(7, 0, -1)]


def test_list_filters_by_state_type_jurisdiction_and_department(uow_factory: Factory) -> None:
    clock = FixedClock()
    with uow_factory() as uow:
        a = make(clock, 1)
        dispatch(a, clock, "URBAN", ("PSB",))
        b = make(clock, 2, chain=D2)
        dispatch(b, clock, "TPOL")
        c = make(clock, 3, chain=D2)
        for e in (a, b, c):
            uow.events.add(uow.track(e))
        uow.commit()
    with uow_factory() as uow:

        def titles(**kw: object) -> set[str]:
            return {e.title for e in uow.events.list(EventQuery(**kw)).items}  # type: ignore[arg-type]

        assert titles(states=("reported",)) == {"Event 3"}
        assert titles(type_codes=("UM01",)) == {"Event 1", "Event 2"}
        assert titles(jurisdiction="YZ02") == {"Event 2", "Event 3"}
        assert titles(jurisdiction="YZ01S01C01G001") == {"Event 1"}
        assert titles(department="PSB") == {"Event 1"}
        assert titles(lead_unit="TPOL") == {"Event 2"}
        assert titles(text="event 3") == {"Event 3"}


def test_list_applies_the_callers_scope(uow_factory: Factory) -> None:
    clock = FixedClock()
    with uow_factory() as uow:
        a = make(clock, 1)
        dispatch(a, clock, "URBAN", ("PSB",))
        b = make(clock, 2, chain=D2)
        dispatch(b, clock, "PSB")
        for e in (a, b):
            uow.events.add(uow.track(e))
        uow.commit()

    def visible(p: Principal) -> set[str]:
        with uow_factory() as uow:
            return {e.title for e in uow.events.list(EventQuery(scope=p)).items}

    assert visible(Principal("u", "u", Role.DISTRICT_OPERATOR, "YZ02", Level.DISTRICT)) == {
        "Event 2"
    }
    assert visible(Principal("u", "u", Role.STREET_OPERATOR, "YZ01S01", Level.STREET)) == {
        "Event 1"
    }
    assert visible(Principal("u", "u", Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "PSB")) == {
        "Event 1",
        "Event 2",
    }
    urban_d2 = Principal("u", "u", Role.DEPARTMENT_HANDLER, "YZ02", Level.DISTRICT, "URBAN")
    assert visible(urban_d2) == set()


def test_open_briefs_name_every_open_event_in_scope_newest_first(uow_factory: Factory) -> None:
    clock = FixedClock()
    with uow_factory() as uow:
        a = make(clock, 1)
        dispatch(a, clock, "URBAN")
        clock.advance(minutes=1)
        b = make(clock, 2, chain=D2)
        clock.advance(minutes=1)
        cancelled = make(clock, 3)
        cancelled.cancel(at=clock.now(), actor=OP, reason="a test call")
        for e in (a, b, cancelled):
            uow.events.add(uow.track(e))
        uow.commit()

    with uow_factory() as uow:
        city = uow.events.open_briefs()
        street = uow.events.open_briefs(
            Principal("u", "u", Role.STREET_OPERATOR, "YZ01S01", Level.STREET)
        )
    assert [(x.id, x.type_code, x.severity, x.district, x.street) for x in city] == [
        (b.id, None, b.severity.value, "YZ02", "YZ02S01"),
        (a.id, "UM01", "IV", "YZ01", "YZ01S01"),
    ]
    assert [x.id for x in street] == [a.id]
