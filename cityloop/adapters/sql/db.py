"""A connection that defers inserts and writes them in bulk.

Inserts of new rows are queued per table and written with one ``executemany`` per table just
before any other statement runs (and before commit), in foreign-key order. A transaction that
stores hundreds of reports therefore sends a handful of statements instead of thousands, and
nothing reads the database before the rows it needs are there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.bulk import bulk_insert

#: Parents before children, so foreign keys hold at every step.
_ORDER = [
    t.reporters,
    t.events,
    t.event_units,
    t.event_timeline,
    t.reports,
    t.outbox,
    t.notifications,
]

_NEXT_IN_SEQUENCE = (
    t.id_sequences.update()
    .where(t.id_sequences.c.scope == sa.bindparam("seq_scope"))
    .values(last=t.id_sequences.c.last + 1)
    .returning(t.id_sequences.c.last)
)
_SET_SEQUENCE = (
    t.id_sequences.update()
    .where(t.id_sequences.c.scope == sa.bindparam("seq_scope"))
    .values(last=sa.bindparam("seq_last"))
)


class Db:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._pending: dict[str, list[dict[str, Any]]] = {}
        #: scope → (last number handed out, last number written to the table)
        self._sequences: dict[str, tuple[int, int]] = {}

    def insert_later(self, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._pending.setdefault(table.name, []).extend(dict(r) for r in rows)

    def execute(self, statement: Any, params: Any = None) -> CursorResult[Any]:
        self.flush()
        if params is None:
            return self.conn.execute(statement)
        return self.conn.execute(statement, params)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, {}
            for table in _ORDER:
                rows = pending.pop(table.name, None)
                if rows:
                    bulk_insert(self.conn, table, rows)
            if pending:
                raise RuntimeError(f"no insert order for tables {sorted(pending)}")
        for scope, (last, written) in list(self._sequences.items()):
            if last != written:
                self.conn.execute(_SET_SEQUENCE, {"seq_scope": scope, "seq_last": last})
                self._sequences[scope] = (last, last)

    def next_sequence(self, scope: str) -> int:
        """The next number of a named counter. The first call locks the counter's row until the
        transaction ends; later calls count on in memory and are written back at flush."""
        if scope in self._sequences:
            last, written = self._sequences[scope]
            self._sequences[scope] = (last + 1, written)
            return last + 1
        row = self.conn.execute(_NEXT_IN_SEQUENCE, {"seq_scope": scope}).first()
        if row is None:
            try:
                with self.conn.begin_nested():
                    self.conn.execute(t.id_sequences.insert(), [{"scope": scope, "last": 1}])
            except sa.exc.IntegrityError:
                # Another transaction created the counter first: take the next number after it.
                return self.next_sequence(scope)
            value = 1
        else:
            value = int(row[0])
        self._sequences[scope] = (value, value)
        return value

    def discard(self) -> None:
        self._pending.clear()
        self._sequences.clear()
