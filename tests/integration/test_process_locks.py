"""Several processes on one database: writers queue on one lock, one process leads background
work (real SQLite files, real PostgreSQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from cityloop.adapters.sql.engine import WriterLock, create_engine, write_lock
from cityloop.adapters.sql.leader import AlwaysLeader, FileLeader, PostgresLeader, leader_lock
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
