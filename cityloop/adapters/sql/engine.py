"""Creating engines: SQLite with WAL and foreign keys, PostgreSQL with a connection pool."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url

try:
    import fcntl
except ImportError:  # not POSIX: threads still queue; other processes wait on busy_timeout
    fcntl = None  # type: ignore[assignment]

WRITE = "cityloop_write"

#: WAL pages after which a commit copies the log back into the database itself (SQLite's
#: default is 1,000, about 4 MB). A server checkpoints in its background rounds instead
#: (:func:`checkpoint`), so that no request's commit waits for the copy; this is the bound for
#: processes that never do.
AUTOCHECKPOINT_PAGES = 16_000


class WriterLock:
    """SQLite takes one writer at a time. Writers queue on this lock instead of spinning on
    SQLITE_BUSY (whose busy handler sleeps up to 100 ms between tries): the threads of this
    process on a thread lock, the processes serving one database file (`cityloop serve
    --workers N`) on an advisory file lock beside it, which wakes the next writer at once."""

    def __init__(self, path: Path | None) -> None:
        self._thread_lock = threading.Lock()
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        self._thread_lock.acquire()
        if self._path is not None and fcntl is not None:
            try:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise
        return True

    def release(self) -> None:
        try:
            if self._fd is not None and fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


_WRITE_LOCKS: dict[int, WriterLock] = {}


def write_lock(engine: Engine) -> WriterLock | None:
    """The writer lock of a SQLite engine (None for other databases, which lock rows)."""
    return _WRITE_LOCKS.get(id(engine))


def _json_default(value: Any) -> Any:
    item = getattr(value, "item", None)  # NumPy scalars
    if callable(item):
        return item()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_json(value: Any) -> str:
    """JSON columns' serialiser: orjson (several times faster than the standard library)."""
    return orjson.dumps(
        value, default=_json_default, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    ).decode()


def checkpoint(engine: Engine) -> int | None:
    """Copy what the SQLite write-ahead log holds back into the database without waiting for
    readers or writers (a passive checkpoint); return the pages copied. None for databases
    that have no such log to keep short."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    raw = engine.raw_connection()  # outside any transaction: one cannot checkpoint inside one
    try:
        cur = raw.cursor()
        row = cur.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        cur.close()
    finally:
        raw.close()
    return int(row[2]) if row is not None and row[2] >= 0 else 0


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite folders are created, WAL and foreign keys switched on."""
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", dumps_json)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return sa.create_engine(url, **kwargs)


def _sqlite_engine(url: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    engine = sa.create_engine(url, **kwargs)
    on_disk = bool(database) and database != ":memory:"
    _WRITE_LOCKS[id(engine)] = WriterLock(Path(f"{database}-writer.lock") if on_disk else None)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN and SAVEPOINT behave.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if database and database != ":memory:":
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front: no deadlock on a read→write upgrade.
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
