"""Bulk inserts handed to the driver in one ``executemany``, without SQLAlchemy's per-row work.

SQLAlchemy turns every row of an ``executemany`` into parameters one by one (keys, defaults,
type processors, a dict per row), which costs more than SQLite's own insert. Here the same
type processors (the dialect's, so what is stored is exactly what ``conn.execute(insert, rows)``
stores) are applied column by column to rows that share their keys, and the tuples go to the
driver at once. Rows whose table has Python-side defaults for missing keys, and databases other
than SQLite (whose driver batches inserts itself), take SQLAlchemy's ordinary path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from cityloop.adapters.sql.types import UTCDateTime

Processor = Callable[[Any], Any] | None

#: SQLAlchemy's storage format for SQLite DATETIME columns (its default).
_SQLITE_DATETIME = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


#: Datetimes formatted lately and their text: the rows of one batch share a few moments (its
#: reports' events, timeline entries and outbox messages are all stamped with the batch's
#: "now", and the deadlines are that moment plus one of a few time limits).
_FORMATTED: dict[datetime, str] = {}
_FORMATTED_MAX = 512


def _sqlite_utc(value: Any) -> str | None:
    """``UTCDateTime`` as SQLAlchemy stores it on SQLite, in one step instead of two."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"naive or non-datetime value for a UTC column: {value!r}")
    text = _FORMATTED.get(value)
    if text is not None:
        return text
    u = value if value.tzinfo is UTC else value.astimezone(UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff+00:00" without its offset: the C formatter, not seven
    # Python format specs (half the time per value)
    text = u.isoformat(" ", "microseconds")[:26]
    if len(_FORMATTED) >= _FORMATTED_MAX:
        _FORMATTED.clear()
    _FORMATTED[value] = text
    return text


def _processor(column: sa.Column[Any], dialect: Dialect) -> Processor:
    kind = column.type
    if isinstance(kind, UTCDateTime) and dialect.name == "sqlite":
        stored = dialect.type_descriptor(kind.load_dialect_impl(dialect))
        if getattr(stored, "_storage_format", None) == _SQLITE_DATETIME:
            return _sqlite_utc
    return kind.dialect_impl(dialect).bind_processor(dialect)


_COMPILED: dict[
    tuple[int, str, tuple[str, ...]], tuple[str, tuple[str, ...], list[Processor]] | None
] = {}


def _compiled(
    table: sa.Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[str, ...], list[Processor]] | None:
    """(SQL, parameter order, processors) of an insert of ``keys`` into ``table``; None when a
    missing column has a Python-side default that only SQLAlchemy's path would fill in."""
    memo = (id(table), dialect.name, keys)
    if memo in _COMPILED:
        return _COMPILED[memo]
    found: tuple[str, tuple[str, ...], list[Processor]] | None = None
    given = set(keys)
    if all(k in table.c for k in keys) and not any(
        c.default is not None or c.onupdate is not None for c in table.columns if c.key not in given
    ):
        compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
        order = tuple(compiled.positiontup or ())
        if set(order) == given:
            processors: list[Processor] = [_processor(table.c[k], dialect) for k in order]
            found = (str(compiled), order, processors)
    _COMPILED[memo] = found
    return found


def bulk_insert(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` into ``table`` in their order."""
    if not rows:
        return
    if conn.dialect.name != "sqlite" or conn.dialect.paramstyle != "qmark":
        conn.execute(table.insert(), list(rows))
        return
    start = 0
    while start < len(rows):  # runs of rows with the same keys, in order
        keys = tuple(rows[start])
        end = start + 1
        while end < len(rows) and tuple(rows[end]) == keys:
            end += 1
        run = rows[start:end]
        plan = _compiled(table, keys, conn.dialect)
        if plan is None:
            conn.execute(table.insert(), list(run))
        else:
            sql, order, processors = plan
            columns = []
            try:
                for key, process in zip(order, processors, strict=True):
                    values = [r[key] for r in run]
                    columns.append([process(v) for v in values] if process is not None else values)
            except Exception as exc:  # as SQLAlchemy reports a bad parameter
                raise sa.exc.StatementError(
                    f"({type(exc).__name__}) {exc}", sql, None, exc
                ) from exc
            conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))
        start = end
