"""Several processes on one database: writers queue on one lock, one process leads background
work, one relays the outbox at a time (real SQLite files, real PostgreSQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from cityloop.adapters.sql.engine import WriterLock, create_engine, write_lock
from cityloop.adapters.sql.leader import (
    AlwaysLeader,
    FileGuard,
    FileLeader,
    NoGuard,
    PostgresGuard,
    PostgresLeader,
    leader_lock,
    relay_guard,
)
from cityloop.services.ports import RelayGuard
from tests.services import fresh_postgres_database


def test_a_sqlite_file_engine_has_a_writer_lock_beside_the_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    lock = write_lock(engine)
    assert isinstance(lock, WriterLock)
    lock.acquire()
    lock.release()
    assert (tmp_path / "a.db-writer.lock").exists()
    engine.dispose()


def test_writers_with_separate_lock_handles_on_one_file_wait_for_each_other(
    tmp_path: Path,
) -> None:
    # Two WriterLocks on one path behave like two processes: each has its own descriptor.
    path = tmp_path / "db-writer.lock"
    first, second = WriterLock(path), WriterLock(path)
    order: list[str] = []
    first.acquire()
    waiter = threading.Thread(target=lambda: (second.acquire(), order.append("second")))
    waiter.start()
    time.sleep(0.2)
    assert order == []  # still waiting: the first holds the file lock
    order.append("first done")
    first.release()
    waiter.join(timeout=5)
    second.release()
    assert order == ["first done", "second"]


def test_one_file_leader_at_a_time_and_the_next_takes_over(tmp_path: Path) -> None:
    path = str(tmp_path / "db-leader.lock")
    a, b = FileLeader(path), FileLeader(path)
    assert a.try_hold()
    assert a.try_hold()  # kept
    assert not b.try_hold()
    a.release()
    assert b.try_hold()
    b.release()


def test_the_leader_lock_fits_the_database(tmp_path: Path) -> None:
    file_engine = create_engine(f"sqlite:///{tmp_path / 'l.db'}")
    memory_engine = create_engine("sqlite://")
    assert isinstance(leader_lock(file_engine), FileLeader)
    assert isinstance(leader_lock(memory_engine), AlwaysLeader)
    file_engine.dispose()
    memory_engine.dispose()


def test_one_postgres_leader_at_a_time_and_the_next_takes_over() -> None:
    with fresh_postgres_database() as url:
        one, two = create_engine(url), create_engine(url)
        try:
            a, b = leader_lock(one), leader_lock(two)
            assert isinstance(a, PostgresLeader)
            assert a.try_hold()
            assert a.try_hold()
            assert not b.try_hold()
            a.release()
            assert b.try_hold()
            b.release()
        finally:
            one.dispose()
            two.dispose()


def _one_relay_round_at_a_time(a: RelayGuard, b: RelayGuard) -> None:
    assert a.acquire(wait=False)
    assert not b.acquire(wait=False)  # another process's round is on: skip at once
    order: list[str] = []
    waiter = threading.Thread(target=lambda: (b.acquire(wait=True), order.append("b")))
    waiter.start()
    time.sleep(0.2)
    assert order == []  # a waiting round waits for the one that runs
    order.append("a done")
    a.release()
    waiter.join(timeout=10)
    assert order == ["a done", "b"]
    b.release()
    assert a.acquire(wait=False)
    a.release()


def test_one_relay_round_at_a_time_on_a_sqlite_file(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'r.db'}")
    a, b = relay_guard(engine), relay_guard(engine)
    assert isinstance(a, FileGuard)
    _one_relay_round_at_a_time(a, b)
    assert isinstance(relay_guard(create_engine("sqlite://")), NoGuard)
    engine.dispose()


def test_one_relay_round_at_a_time_on_postgres() -> None:
    with fresh_postgres_database() as url:
        one, two = create_engine(url), create_engine(url)
        try:
            a, b = relay_guard(one), relay_guard(two)
            assert isinstance(a, PostgresGuard)
            _one_relay_round_at_a_time(a, b)
        finally:
            one.dispose()
            two.dispose()


def test_two_processes_relaying_at_once_deliver_each_message_once(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from cityloop.adapters.sql.migrate import upgrade
    from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
    from cityloop.domain.clock import FixedClock
    from cityloop.services.messagebus import MessageBus
    from cityloop.services.ports import OutboxMessage

    url = f"sqlite:///{tmp_path / 'relay.db'}"
    engines = [create_engine(url), create_engine(url)]  # two processes' engines, one file
    upgrade(engines[0])
    with engines[0].begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO outbox (aggregate_id, name, at, payload) VALUES "
            + ", ".join(f"('e{i}', 'Ping', '2026-12-01T08:00:00', '{{}}')" for i in range(300))
        )
    seen: list[str] = []

    def bus(engine: object) -> MessageBus:
        b = MessageBus(
            None,  # type: ignore[arg-type]  (no commands here, only the relay)
            lambda: SqlUnitOfWork(engine),  # type: ignore[arg-type]
            FixedClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
            guard=relay_guard(engine),  # type: ignore[arg-type]
        )

        def slow(batch: list[OutboxMessage]) -> None:
            time.sleep(0.05)  # a round takes a while: the other one would read the same rows
            seen.extend(m.aggregate_id for m in batch)

        b.subscribe_batch(slow)
        return b

    buses = [bus(e) for e in engines]
    threads = [threading.Thread(target=b.relay) for b in buses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(seen) == sorted(f"e{i}" for i in range(300))  # each once
    for e in engines:
        e.dispose()
