"""Which process does the background work when several serve one database.

`cityloop serve --workers N` runs N processes; the outbox relay, deadline supervision and
notification delivery must run in one of them at a time (two relays would deliver a message
twice). The first process to take the database's leader lock does the work and keeps the lock
until it exits; the others try again each round, so when the leader dies one of them takes over.

- SQLite file: an exclusive advisory lock (``flock``) on ``<database>-leader.lock``; the kernel
  drops it when the process dies.
- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its own;
  the server drops it when the connection ends.
- In-memory SQLite (one process by definition): always the leader.

Every process still relays the outbox right after the commands it handles, so relay rounds
take a lock of their own (`relay_guard`: ``<database>-relay.lock``, or a second advisory key),
held for one round: a round reads the outbox only after the last one marked what it sent.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cityloop.services.ports import RelayGuard

try:
    import fcntl
except ImportError:  # not POSIX: one process only
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: The advisory lock key of the background work (any fixed 64-bit number; "CITYLOOP" in ASCII).
ADVISORY_KEY = 0x434954594C4F4F50 - (1 << 63)


class LeaderLock(Protocol):
    def try_hold(self) -> bool:
        """True when this process holds the lock (taking it if free)."""
        ...

    def release(self) -> None: ...


class AlwaysLeader:
    def try_hold(self) -> bool:
        return True

    def release(self) -> None:
        return None


class FileLeader:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def try_hold(self) -> bool:
        if self._fd is not None:
            return True
        if fcntl is None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None


class PostgresLeader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None

    def try_hold(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.exec_driver_sql("SELECT 1")
                return True
            except sa.exc.DBAPIError:
                log.warning("lost the connection holding the leader lock; trying again")
                self._drop()
        conn = self.engine.connect()
        try:
            held = conn.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar_one()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if held:
            self._conn = conn
            return True
        conn.close()
        return False

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY}
                )
                self._conn.commit()
            except sa.exc.DBAPIError:
                pass
            self._drop()


#: The advisory lock key of the outbox relay (one relay round at a time, in any process).
RELAY_KEY = ADVISORY_KEY + 1


class NoGuard:
    """One process by definition (in-memory SQLite)."""

    def acquire(self, wait: bool) -> bool:
        return True

    def release(self) -> None:
        return None


class FileGuard:
    """An exclusive ``flock`` on a file beside the SQLite database."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, wait: bool) -> bool:
        if fcntl is None:
            return True
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        if self._fd is not None and fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


class PostgresGuard:
    """A session advisory lock, on a connection held for the round."""

    def __init__(self, engine: Engine, key: int = RELAY_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None

    def acquire(self, wait: bool) -> bool:
        conn = self.engine.connect()
        try:
            if wait:
                conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": self.key})
                held = True
            else:
                held = conn.execute(
                    sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                ).scalar_one()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not held:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            conn.commit()
        except sa.exc.DBAPIError:
            pass  # closing the connection drops the lock anyway
        finally:
            conn.close()


def relay_guard(engine: Engine) -> RelayGuard:
    """The relay guard that fits the engine's database."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresGuard(engine)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return FileGuard(f"{url.database}-relay.lock")
    return NoGuard()


def leader_lock(engine: Engine) -> LeaderLock:
    """The leader lock that fits the engine's database."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresLeader(engine)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return FileLeader(f"{url.database}-leader.lock")
    return AlwaysLeader()
