"""The SQL unit of work: aggregates and outbox rows in one transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.db import Db
from cityloop.adapters.sql.engine import WRITE, WriterLock, write_lock
from cityloop.adapters.sql.repository import (
    SqlEventRepository,
    SqlReporterRepository,
    SqlUserRepository,
)
from cityloop.adapters.sql.repository_intake import (
    SqlApiKeyRepository,
    SqlNotificationRepository,
    SqlRatingRepository,
    SqlReportRepository,
    SqlUploadRepository,
)
from cityloop.adapters.sql.repository_plans import SqlPlanActivationRepository
from cityloop.adapters.sql.repository_warnings import SqlWarningRepository
from cityloop.domain.event import DomainEvent
from cityloop.services.ports import CommitPolicy, OutboxMessage, UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    def __init__(
        self, engine: Engine, *, write: bool = True, policies: Sequence[CommitPolicy] = ()
    ) -> None:
        self.engine = engine
        self.write = write
        self.policies = policies
        self._conn: Connection | None = None
        self._lock: WriterLock | None = None

    def __enter__(self) -> SqlUnitOfWork:
        super().__enter__()
        self._lock = write_lock(self.engine) if self.write else None
        if self._lock is not None:
            self._lock.acquire()
        try:
            conn = self.engine.connect().execution_options(**{WRITE: self.write})
            conn.begin()
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        self._conn = conn
        self.db = db = Db(conn)
        self.events = self._events = SqlEventRepository(db)
        self.reporters = SqlReporterRepository(db)
        self.users = SqlUserRepository(db)
        self.reports = SqlReportRepository(db)
        self.ratings = SqlRatingRepository(db)
        self.api_keys = SqlApiKeyRepository(db)
        self.uploads = SqlUploadRepository(db)
        self.notifications = SqlNotificationRepository(db)
        self.warnings = SqlWarningRepository(db)
        self.plan_activations = SqlPlanActivationRepository(db)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def _write_outbox(self, events: list[DomainEvent]) -> None:
        rows = [
            {"aggregate_id": e.aggregate_id, "name": e.name, "at": e.at, "payload": e.payload}
            for e in events
        ]
        self.db.insert_later(t.outbox, rows)

    def _commit(self) -> None:
        self._events.write_counters()
        self.db.flush()
        self.conn.commit()
        self.conn.begin()
        self._events.forget_new()

    def rollback(self) -> None:
        if self._conn is not None:
            self.db.discard()
            self._events.forget_new()
            if self._conn.in_transaction():
                self._conn.rollback()

    def unpublished(self, limit: int = 500) -> Iterator[OutboxMessage]:
        o = t.outbox
        rows = self.db.execute(
            o.select().where(o.c.published_at.is_(None)).order_by(o.c.id).limit(limit)
        )
        for r in rows:
            m = r._mapping
            yield OutboxMessage(m["id"], m["aggregate_id"], m["name"], m["at"], m["payload"])

    def mark_oldest_published(self, at: datetime, limit: int = 5000) -> int:
        o = t.outbox
        oldest = sa.select(o.c.id).where(o.c.published_at.is_(None)).order_by(o.c.id).limit(limit)
        done = self.db.execute(o.update().where(o.c.id.in_(oldest)).values(published_at=at))
        return int(done.rowcount)

    def mark_published(self, ids: list[int], at: datetime) -> None:
        if ids:
            self.db.execute(t.outbox.update().where(t.outbox.c.id.in_(ids)).values(published_at=at))
