"""Command handlers on the in-memory store: locating, routing with reasons, deadlines, merging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cityloop.adapters.memory import MemoryStore, MemoryUnitOfWork
from cityloop.city import City
from cityloop.domain.access import NotFound, Principal, Role
from cityloop.domain.clock import FixedClock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.event import Source
from cityloop.domain.lifecycle import Action, State
from cityloop.domain.territory import Level
from cityloop.services import commands as c
from cityloop.services.handlers import Handlers
from cityloop.services.messagebus import MessageBus
from cityloop.services.ports import OutboxMessage

CITY_OP = Principal("u1", "city_op", Role.CITY_OPERATOR, "YZ", Level.CITY)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def handlers(demo_city: City, store: MemoryStore, clock: FixedClock) -> Handlers:
    return Handlers(lambda: MemoryUnitOfWork(store), demo_city, clock)


def point(city: City, code: str) -> tuple[float, float]:
    p = city.jurisdictions[code].geometry.representative_point()
    return p.x, p.y


def reported(handlers: Handlers, code: str, **kw: object) -> str:
    lon, lat = point(handlers.city, code)
    cmd = c.ReportEvent(CITY_OP, "A problem", Source.HOTLINE, lon=lon, lat=lat, **kw)  # type: ignore[arg-type]
    return handlers.report(cmd).id


def test_a_report_is_located_in_the_five_level_chain(handlers: Handlers) -> None:
    grid = next(j for j in handlers.city.jurisdictions.values() if j.level is Level.GRID)
    event = handlers.report(
        c.ReportEvent(
            CITY_OP,
            "x",
            Source.CITIZEN,
            lon=point(handlers.city, grid.code)[0],
            lat=point(handlers.city, grid.code)[1],
        )
    )
    assert event.location.chain == grid.chain


def test_refs_count_per_day_in_the_citys_time_zone(handlers: Handlers, clock: FixedClock) -> None:
    clock.current = datetime(2026, 11, 23, 15, 59, tzinfo=UTC)  # 23:59 in Asia/Shanghai
    first = handlers.report(c.ReportEvent(CITY_OP, "a", Source.HOTLINE))
    second = handlers.report(c.ReportEvent(CITY_OP, "b", Source.HOTLINE))
    clock.advance(minutes=2)  # 00:01 the next day in Yuzhou
    third = handlers.report(c.ReportEvent(CITY_OP, "c", Source.HOTLINE))
    assert (first.ref, second.ref) == ("YZ-20261123-000001", "YZ-20261123-000002")
    assert third.ref == "YZ-20261124-000001"


def test_dispatch_follows_the_responsibility_list_and_records_why(
    handlers: Handlers, clock: FixedClock
) -> None:
    eid = reported(handlers, "YZ02S01")
    handlers.triage(c.TriageEvent(CITY_OP, eid, "AC08"))
    event = handlers.dispatch(c.DispatchEvent(CITY_OP, eid))
    assert event.lead_unit == "WATERCO"
    assert set(event.co_units) == {"URBAN", "TPOL"}
    assert event.accept_by == clock.now() + timedelta(minutes=10)
    assert event.dispose_by == clock.now() + timedelta(hours=4)
    reasons = event.timeline[-1].payload["reasons"]
    assert reasons[0] == "handling level street for severity IV"
    assert any("AC08" in r for r in reasons)
    assert any("accept within 10 min, dispose within 240 min" in r for r in reasons)


def test_a_district_override_of_the_responsibility_list_wins_and_says_so(
    handlers: Handlers,
) -> None:
    overrides = [
        (type_code, o)
        for type_code, resp in handlers.city.responsibilities.items()
        for o in resp.overrides
    ]
    assert overrides, "the demo city ships per-district overrides"
    type_code, override = overrides[0]
    district = handlers.city.jurisdictions[override.district]
    eid = reported(handlers, district.children[0])
    handlers.triage(c.TriageEvent(CITY_OP, eid, type_code))
    event = handlers.dispatch(c.DispatchEvent(CITY_OP, eid, level=override.level))
    assert event.lead_unit == override.lead
    assert any(override.district in r for r in event.timeline[-1].payload["reasons"])


def test_graver_events_go_to_higher_centres_with_shorter_deadlines(
    handlers: Handlers, clock: FixedClock
) -> None:
    from cityloop.domain.severity import Severity

    eid = reported(handlers, "YZ03")
    handlers.triage(c.TriageEvent(CITY_OP, eid, "ND01", severity=Severity.II))
    event = handlers.dispatch(c.DispatchEvent(CITY_OP, eid))
    assert event.handling_level.value == "city"
    assert event.dispose_by == clock.now() + timedelta(hours=1)


def test_an_unknown_type_is_refused_before_anything_is_stored(
    handlers: Handlers, store: MemoryStore
) -> None:
    with pytest.raises(InvalidCommand, match="unknown event type"):
        handlers.report(c.ReportEvent(CITY_OP, "x", Source.HOTLINE, type_code="XX99"))
    assert store.events == {}
    assert store.outbox == []


def test_merge_changes_child_and_parent_together(handlers: Handlers, store: MemoryStore) -> None:
    a, b = reported(handlers, "YZ04"), reported(handlers, "YZ04")
    handlers.merge(c.MergeEvent(CITY_OP, b, a))
    assert store.events[b].state is State.MERGED
    assert store.events[a].timeline[-1].action == "absorb"
    with pytest.raises(InvalidCommand):
        handlers.merge(c.MergeEvent(CITY_OP, a, a))


def test_a_handler_outside_the_events_units_gets_not_found(handlers: Handlers) -> None:
    eid = reported(handlers, "YZ01S01")
    handlers.triage(c.TriageEvent(CITY_OP, eid, "UM02"))
    handlers.dispatch(c.DispatchEvent(CITY_OP, eid))
    psb = Principal("u2", "psb", Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "PSB")
    with pytest.raises(NotFound):
        handlers.simple(c.SimpleAction(psb, eid, Action.ACCEPT))


def test_the_bus_relays_stored_events_and_isolates_a_failing_subscriber(
    handlers: Handlers, store: MemoryStore, clock: FixedClock
) -> None:
    bus = MessageBus(handlers, lambda: MemoryUnitOfWork(store), clock)
    seen: list[str] = []

    def broken(msg: OutboxMessage) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe("EventReported", broken)
    bus.subscribe("*", lambda m: seen.append(m.name))
    bus.handle(c.ReportEvent(CITY_OP, "x", Source.HOTLINE))
    assert seen == ["EventReported"]
    assert store.published == {1}
    assert bus.relay() == 0
