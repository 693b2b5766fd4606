"""The driver-level bulk insert stores exactly what SQLAlchemy's insert stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.bulk import bulk_insert
from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade

AT = datetime(2026, 11, 23, 8, 30, 0, tzinfo=UTC)


def outbox_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(5):
        payload = {"n": i, "中文": "井盖", "nested": [1, 2.5, None], "score": np.float64(0.25)}
        rows.append(
            {"aggregate_id": f"agg-{i}", "name": "EventReported", "at": AT, "payload": payload}
        )
    # a run with other keys in the middle: published already
    rows.append(
        {
            "aggregate_id": "agg-x",
            "name": "EventClosed",
            "at": AT + timedelta(microseconds=1),
            "payload": {},
            "published_at": AT + timedelta(hours=8),
        }
    )
    beijing = timezone(timedelta(hours=8))
    rows.append(
        {"aggregate_id": "agg-y", "name": "E", "at": AT.astimezone(beijing), "payload": {"k": 1}}
    )
    return rows


def stored(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT * FROM outbox ORDER BY id").all()
        typed = conn.execute(sa.select(t.outbox).order_by(t.outbox.c.id)).all()
    return [tuple(r) for r in raw] + [tuple(r) for r in typed]


def test_bulk_insert_matches_sqlalchemys_insert_row_for_row(tmp_path: Path) -> None:
    plain = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    fast = create_engine(f"sqlite:///{tmp_path / 'fast.db'}")
    for engine in (plain, fast):
        upgrade(engine)
    rows = outbox_rows()
    with plain.begin() as conn:  # one executemany per run of rows with the same keys
        for run in (rows[:5], rows[5:6], rows[6:]):
            conn.execute(t.outbox.insert(), run)
    with fast.begin() as conn:
        bulk_insert(conn, t.outbox, outbox_rows())
    assert stored(fast) == stored(plain)
    typed = stored(fast)[len(outbox_rows()) :]
    assert [r[1] for r in typed] == [f"agg-{i}" for i in range(5)] + ["agg-x", "agg-y"]
    assert typed[0][4]["中文"] == "井盖"
    assert typed[0][3] == AT
    assert typed[6][3] == AT  # stored in UTC whatever the zone it came in
    assert typed[5][5] == AT + timedelta(hours=8)  # a key only some rows have is kept
    for engine in (plain, fast):
        engine.dispose()


def test_a_bad_row_fails_the_whole_insert_and_leaves_nothing(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'bad.db'}")
    upgrade(engine)
    rows = outbox_rows()
    rows[2] = {**rows[2], "at": datetime(2026, 11, 23)}  # naive: refused for a UTC column
    with pytest.raises(sa.exc.StatementError, match="naive"), engine.begin() as conn:
        bulk_insert(conn, t.outbox, rows)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar() == 0
    engine.dispose()
