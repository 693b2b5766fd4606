"""Maintained aggregates of the events table, for dashboards over millions of events.

``event_counts`` holds how many events there are per area, dimension, value and state: the
area is ``''`` (every event), a district or a street code; the dimensions are type, severity,
supervision, district and street. A city-wide count by type reads the few hundred rows of area
``''`` and dimension ``type``, whatever the number of events.

``event_cells`` holds how many located events there are per area, resolution, map cell and
state, as a pyramid: a fine cell is 1/256° square (about 430 m × 390 m here), a cell of
resolution ``res`` spans 2^res × 2^res fine cells (res 0–5 for each district, 0 for a street).
The cell of fine coordinates (x, y) at ``res`` is ``(x >> res) * 65536 + (y >> res)`` with
``x = floor((lon + 180) * 256)`` and ``y = floor((lat + 90) * 256)``. The city has no cells of
its own: its map is the sum of its districts' (and of area ``-``, located events outside every
district), a dozen index ranges for the reader instead of six more scattered rows for every
event written (the city's fine cells are spread over as many pages as the events).

The event repository collects a +1/−1 per changed key as it inserts and updates event rows and
writes them sorted (so concurrent writers lock counter rows in one order) in the same
transaction, just before it commits: the counters equal a ``COUNT(*)`` at every commit.
:func:`rebuild` recomputes them from the events table (the migration that creates them, a
bulk load).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cityloop.adapters.sql import tables as t

CELLS_PER_DEGREE = 256
ROW = 65536  # a cell id is x * ROW + y
MAX_RES = 5
#: dimension → event column
DIMS = {
    "type": "type_code",
    "severity": "severity",
    "supervision": "supervision",
    "district": "district_code",
    "street": "street_code",
}
ALL = ""  # the area of every event (in ``event_counts``)
NO_DISTRICT = "-"  # the cells' area of located events outside every district


def map_cell(lon: float | None, lat: float | None) -> int | None:
    if lon is None or lat is None:
        return None
    x = math.floor((lon + 180.0) * CELLS_PER_DEGREE)
    y = math.floor((lat + 90.0) * CELLS_PER_DEGREE)
    return x * ROW + y


def coarser(cell: int, res: int) -> int:
    """The cell at resolution ``res`` that holds a fine cell."""
    return ((cell // ROW) >> res) * ROW + ((cell % ROW) >> res)


#: The event columns the counters are keyed on (what `save` reads back before an update).
KEY_COLUMNS = tuple(t.events.c[c] for c in ("state", "map_cell", *DIMS.values()))

CountKey = tuple[str, str, str, str]  # area, dim, value, state
CellKey = tuple[str, int, int, str]  # area, res, cell, state


def _count_areas(row: Mapping[str, Any]) -> list[str]:
    """The areas whose counts an event row is in: the city, its district and its street."""
    out = [ALL]
    if row["district_code"]:
        out.append(row["district_code"])
    if row["street_code"]:
        out.append(row["street_code"])
    return out


def _cell_areas(row: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(area, coarsest resolution kept for it) of a located event row's cells: its district
    (or :data:`NO_DISTRICT`) and its street."""
    out = [(row["district_code"] or NO_DISTRICT, MAX_RES)]
    if row["street_code"]:
        out.append((row["street_code"], 0))
    return out


def count_keys(row: Mapping[str, Any]) -> list[CountKey]:
    state = row["state"]
    return [
        (area, dim, row[col] or "", state)
        for area in _count_areas(row)
        for dim, col in DIMS.items()
    ]


def cell_keys(row: Mapping[str, Any]) -> list[CellKey]:
    cell = row["map_cell"]
    if cell is None:
        return []
    state = row["state"]
    return [
        (area, res, coarser(int(cell), res), state)
        for area, top in _cell_areas(row)
        for res in range(top + 1)
    ]


class CounterDeltas:
    """The +1/−1 per counter key of one transaction's event writes."""

    def __init__(self) -> None:
        self.counts: dict[CountKey, int] = {}
        self.cells: dict[CellKey, int] = {}

    def add(self, row: Mapping[str, Any], sign: int) -> None:
        for key in count_keys(row):
            self.counts[key] = self.counts.get(key, 0) + sign
        for cell in cell_keys(row):
            self.cells[cell] = self.cells.get(cell, 0) + sign

    def change(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        if any(old[c.name] != new[c.name] for c in KEY_COLUMNS):
            self.add(old, -1)
            self.add(new, +1)

    def clear(self) -> None:
        self.counts.clear()
        self.cells.clear()

    def write(self, conn: Connection) -> None:
        """Apply the deltas (in key order) in the connection's transaction, then forget them."""
        # (key columns…, n) in the tables' column order: the primary key, then n
        counts = [(*key, n) for key, n in sorted(self.counts.items()) if n]
        cells = [(*key, n) for key, n in sorted(self.cells.items()) if n]
        if counts:
            _upsert(conn, t.event_counts, counts)
        if cells:
            _upsert(conn, t.event_cells, cells)
        self.clear()


_RAW_UPSERTS: dict[str, str] = {}
_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert(conn: Connection, table: sa.Table, rows: list[tuple[Any, ...]]) -> None:
    """Add each row's ``n`` to its counter (creating it at ``n``); a row is the primary key's
    values then ``n``. On SQLite the rows (plain strings and integers, nothing to convert) go
    straight to the driver in one ``executemany``; elsewhere through SQLAlchemy's statement,
    built once."""
    dialect = conn.dialect
    if dialect.name == "sqlite" and dialect.paramstyle == "qmark":
        raw = _RAW_UPSERTS.get(table.name)
        if raw is None:
            raw = _RAW_UPSERTS[table.name] = _raw_upsert(table)
        conn.exec_driver_sql(raw, rows)
        return
    memo = (dialect.name, table.name)
    stmt = _UPSERTS.get(memo)
    if stmt is None:
        stmt = _UPSERTS[memo] = _upsert_statement(conn, table)
    names = [*(c.name for c in table.primary_key.columns), "n"]
    conn.execute(stmt, [dict(zip(names, row, strict=True)) for row in rows])


def _raw_upsert(table: sa.Table) -> str:
    keys = [c.name for c in table.primary_key.columns]
    columns = [*keys, "n"]
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET n = {table.name}.n + excluded.n"
    )


def _upsert_statement(conn: Connection, table: sa.Table) -> Any:
    keys = list(table.primary_key.columns)
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(table)
        return pg.on_conflict_do_update(index_elements=keys, set_={"n": table.c.n + pg.excluded.n})
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(table)
    return lite.on_conflict_do_update(index_elements=keys, set_={"n": table.c.n + lite.excluded.n})


def rebuild(conn: Connection) -> None:
    """Recompute both counter tables from the events table.

    Two grouped scans of the events (by every key column, and by cell, district, street and
    state) give a few hundred thousand rows at most, rolled up here into the counters.
    """
    e = t.events.c
    conn.execute(t.event_counts.delete())
    conn.execute(t.event_cells.delete())
    deltas = CounterDeltas()
    key_cols = [e.state, *(e[c] for c in DIMS.values())]
    for r in conn.execute(sa.select(*key_cols, sa.func.count()).group_by(*key_cols)):
        row = dict(r._mapping)
        n = int(r[-1])
        for key in count_keys(row):
            deltas.counts[key] = deltas.counts.get(key, 0) + n
    cell_cols = [e.state, e.map_cell, e.district_code, e.street_code]
    stmt = sa.select(*cell_cols, sa.func.count()).where(e.map_cell.is_not(None))
    for r in conn.execute(stmt.group_by(*cell_cols)):
        row = dict(r._mapping)
        n = int(r[-1])
        for cell in cell_keys(row):
            deltas.cells[cell] = deltas.cells.get(cell, 0) + n
    deltas.write(conn)
