"""The dashboard counters equal a COUNT(*) of the events after any mix of writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.counters import DIMS, NO_DISTRICT, ROW, map_cell, rebuild
from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.domain.clock import FixedClock
from cityloop.domain.event import Event, Location
from cityloop.domain.severity import Severity
from cityloop.services.ports import ConcurrencyError
from tests.integration.test_repository_contract import D2, OP, S1, dispatch, make
from tests.services import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    with fresh_postgres_database() as url:
        eng = create_engine(url)
        upgrade(eng)
        yield eng
        eng.dispose()


def _counted(engine: Engine) -> tuple[dict[tuple[Any, ...], int], dict[tuple[Any, ...], int]]:
    """(counters, what COUNT(*) over the events says), zeros dropped."""
    e = t.events.c
    truth: dict[tuple[Any, ...], int] = {}
    with engine.connect() as conn:
        counts = {tuple(r[:-1]): int(r[-1]) for r in conn.execute(sa.select(t.event_counts))}
        cells = {("cells", *r[:-1]): int(r[-1]) for r in conn.execute(sa.select(t.event_cells))}
        districts = [r[0] for r in conn.execute(sa.select(e.district_code).distinct()) if r[0]]
        streets = [r[0] for r in conn.execute(sa.select(e.street_code).distinct()) if r[0]]
        areas = [(d, e.district_code == d, 5) for d in districts]
        areas += [(s, e.street_code == s, 0) for s in streets]
        for area, where, _ in [("", sa.true(), 5), *areas]:  # counts: the city's too
            for dim, col in DIMS.items():
                value = sa.func.coalesce(e[col], "")
                stmt = sa.select(value, e.state, sa.func.count()).where(where)
                for v, state, n in conn.execute(stmt.group_by(value, e.state)):
                    truth[(area, dim, v, state)] = int(n)
        # cells: the districts' (the city's map is their sum), those outside every district
        for area, where, top in [*areas, (NO_DISTRICT, e.district_code.is_(None), 5)]:
            for res in range(top + 1):
                side = 2**res
                cell = (e.map_cell // ROW // side) * ROW + (e.map_cell % ROW // side)
                stmt = sa.select(cell, e.state, sa.func.count()).where(
                    where, e.map_cell.is_not(None)
                )
                for c, state, n in conn.execute(stmt.group_by(cell, e.state)):
                    truth[("cells", area, res, int(c), state)] = int(n)
    kept = {k: n for k, n in (counts | cells).items() if n}
    return kept, truth


def _load(uow: SqlUnitOfWork, event_id: str) -> Event:
    event = uow.events.get(event_id)
    assert event is not None
    return uow.track(event)


def test_counters_follow_creates_state_changes_moves_merges_and_rollbacks(
    engine: Engine,
) -> None:
    clock = FixedClock()
    with SqlUnitOfWork(engine) as uow:
        for n in range(1, 7):
            uow.events.add(uow.track(make(clock, n, chain=S1 if n % 2 else D2)))
        unlocated = make(clock, 7)
        unlocated.location = Location(None, None, None, None)
        uow.events.add(uow.track(unlocated))
        outside = make(clock, 10)  # a point, but in no district
        outside.location = Location(106.2, 29.2, None, None)
        uow.events.add(uow.track(outside))
        uow.commit()
    ids = [make(clock, n).id for n in range(1, 7)]
    with SqlUnitOfWork(engine) as uow:  # created and changed in one transaction
        late = make(clock, 8, chain=D2)
        uow.events.add(uow.track(late))
        for event_id in ids[:3]:
            event = _load(uow, event_id)
            dispatch(event, clock, "URBAN")
            uow.events.save(event)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        moved = _load(uow, ids[3])
        moved.triage(
            at=clock.now(),
            actor=OP,
            type_code="SS03",
            severity=Severity.II,
            location=Location(106.61, 29.61, S1, "moved"),
        )
        uow.events.save(moved)
        dup = _load(uow, ids[4])
        dup.merge_into(parent_id=ids[0], parent_ref="p", at=clock.now(), actor=OP, note=None)
        uow.events.save(dup)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        red = _load(uow, ids[1])
        red.accept(at=clock.now(), actor=OP)
        clock.advance(hours=30)
        red.mark_overdue(at=clock.now())
        uow.events.save(red)
        cancelled = _load(uow, ids[2])
        cancelled.cancel(at=clock.now(), actor=OP, reason="no longer needed")
        uow.events.save(cancelled)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:  # rolled back: the counters do not move
        gone = _load(uow, ids[5])
        gone.cancel(at=clock.now(), actor=OP, reason="undone")
        uow.events.save(gone)
        uow.events.add(make(clock, 9))
        uow.rollback()
    counters, truth = _counted(engine)
    assert counters == truth
    states = {k[3] for k in counters if k[0] != "cells"}
    assert {"dispatched", "merged", "cancelled", "reported", "triaged", "accepted"} <= states
    assert counters[("", "supervision", "red", "accepted")] == 1
    assert sum(n for k, n in counters.items() if k[:2] == ("", "type")) == 9
    assert not any(k[:2] == ("cells", "") for k in counters)  # the city's map: its districts'
    assert any(k[:2] == ("cells", NO_DISTRICT) for k in counters)


def test_a_stale_write_leaves_the_counters_untouched(engine: Engine) -> None:
    clock = FixedClock()
    with SqlUnitOfWork(engine) as uow:
        uow.events.add(uow.track(make(clock, 1)))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        stale = _load(uow, make(clock, 1).id)
    with SqlUnitOfWork(engine) as uow:
        fresh = _load(uow, stale.id)
        dispatch(fresh, clock, "URBAN")
        uow.events.save(fresh)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        stale.cancel(at=clock.now(), actor=OP, reason="late")
        with pytest.raises(ConcurrencyError):
            uow.events.save(stale)
    counters, truth = _counted(engine)
    assert counters == truth


def test_rebuild_gives_what_the_writes_kept(engine: Engine) -> None:
    clock = FixedClock()
    with SqlUnitOfWork(engine) as uow:
        for n in range(1, 5):
            event = make(clock, n, chain=S1 if n < 3 else D2)
            if n % 2:
                dispatch(event, clock, "URBAN")
            uow.events.add(uow.track(event))
        uow.commit()
    kept, _ = _counted(engine)
    with engine.begin() as conn:
        rebuild(conn)
    assert _counted(engine)[0] == kept


def test_map_cells_are_fine_grid_squares() -> None:
    here = map_cell(106.5, 29.5)
    assert here == map_cell(106.5 + 1 / 512, 29.5 + 1 / 512)
    assert here != map_cell(106.5 + 1 / 256, 29.5)
    assert map_cell(None, 29.5) is None


@pytest.fixture(params=["sqlite", "postgres"])
def engine_at_0012(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
        upgrade(eng, "0012")
        yield eng
        eng.dispose()
        return
    with fresh_postgres_database() as url:
        eng = create_engine(url)
        upgrade(eng, "0012")
        yield eng
        eng.dispose()


def test_the_city_cells_migration_leaves_the_districts_sum(engine_at_0012: Engine) -> None:
    clock = FixedClock()
    with SqlUnitOfWork(engine_at_0012) as uow:
        for n in range(1, 5):
            uow.events.add(uow.track(make(clock, n, chain=S1 if n < 3 else D2)))
        outside = make(clock, 5)
        outside.location = Location(106.2, 29.2, None, None)
        uow.events.add(uow.track(outside))
        uow.commit()
    with engine_at_0012.begin() as conn:  # as the cells were before: the city's, no '-'
        c = t.event_cells.c
        conn.execute(t.event_cells.delete().where(c.area == NO_DISTRICT))
        city = sa.select(sa.literal(""), c.res, c.cell, c.state, sa.func.sum(c.n))
        city = city.where(c.res > 0).group_by(c.res, c.cell, c.state)
        conn.execute(
            t.event_cells.insert().from_select(["area", "res", "cell", "state", "n"], city)
        )
    upgrade(engine_at_0012)
    counters, truth = _counted(engine_at_0012)
    assert counters == truth
