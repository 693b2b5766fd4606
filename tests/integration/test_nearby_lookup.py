"""The de-duplication look-up on SQLite: a few index probes per report, whatever the number
of open events (the issue: "the look-up is indexed, not a scan of all open events")."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy.dialects import sqlite

from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade
from cityloop.adapters.sql.repository import _nearby_many
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.domain.clock import FixedClock
from cityloop.domain.event import Actor, Event, Location, Source
from cityloop.domain.territory import JurisdictionChain
from cityloop.services.dedup import Circle

CHAIN = JurisdictionChain("YZ", "YZ01", "YZ01S01", "YZ01S01C01", "YZ01S01C01G001")


def _event(clock: FixedClock, n: int, type_code: str, lon: float, lat: float) -> Event:
    return Event.report(
        id=f"00000000-0000-0000-0000-{n:012d}",
        ref=f"YZ-20261123-{n:06d}",
        source=Source.CITIZEN,
        title=f"Event {n}",
        at=clock.now(),
        actor=Actor.system(),
        type_code=type_code,
        location=Location(lon, lat, CHAIN, "addr"),
    )


def test_a_batch_searches_the_dedup_index_once_per_circle(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'n.db'}")
    upgrade(engine)
    stmt = _nearby_many(3)
    sql = str(stmt.compile(dialect=sqlite.dialect()))
    with engine.connect() as conn:
        nulls = (None,) * sql.count("?")
        plan = [r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", nulls)]
    engine.dispose()
    searches = [p for p in plan if p.startswith("SEARCH events")]
    assert len(searches) == 3
    assert all(re.search(r"USING INDEX ix_events_dedup \(type_code=\?", p) for p in searches)
    assert not any("SCAN" in p for p in plan)


def test_a_batch_finds_what_one_search_per_circle_finds(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'n.db'}")
    upgrade(engine)
    clock = FixedClock()
    with SqlUnitOfWork(engine) as uow:
        for n in range(60):  # a grid of open events of two types, 0.001° apart
            type_code = "A01" if n % 2 else "B02"
            uow.events.add(
                _event(clock, n, type_code, 106.5 + (n % 10) * 1e-3, 29.5 + n // 10 * 1e-3)
            )
        uow.commit()
    circles = [
        ("A01", Circle(106.503, 29.502, 200)),
        ("B02", Circle(106.503, 29.502, 200)),  # the same circle for the other type
        ("A01", Circle(106.509, 29.505, 150)),  # overlaps no other circle
        ("A01", Circle(106.503, 29.502, 200)),  # asked twice in one batch
    ]
    since = clock.now() - timedelta(hours=24)
    with SqlUnitOfWork(engine) as uow:
        one_by_one = [
            sorted(e.id for e in uow.events.find_open_nearby(t, c, since)) for t, c in circles
        ]
    with SqlUnitOfWork(engine) as uow:
        uow.events.prefetch_open_nearby(circles, since)
        batched = [
            sorted(e.id for e in uow.events.find_open_nearby(t, c, since)) for t, c in circles
        ]
        shared = {id(e) for t, c in circles for e in uow.events.find_open_nearby(t, c, since)}
    engine.dispose()
    assert batched == one_by_one
    assert all(one_by_one)
    # an event found for several circles is one object, so merges in a batch see each other
    assert len(shared) == len({i for ids in batched for i in ids})
