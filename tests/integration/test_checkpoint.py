"""SQLite's write-ahead log is copied back by the server's background rounds, not by commits."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from cityloop.adapters.sql.engine import AUTOCHECKPOINT_PAGES, checkpoint, create_engine


def test_commits_leave_the_log_to_the_checkpoint_which_copies_it_back(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    for start in range(0, 3000, 100):  # 30 commits, well over SQLite's default 1,000 pages
        with engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO t (id, body) VALUES (:id, :body)"),
                [{"id": i, "body": "x" * 2000} for i in range(start, start + 100)],
            )
    with engine.connect() as conn:
        (mode,) = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").one()
    assert mode == AUTOCHECKPOINT_PAGES
    copied = checkpoint(engine)
    assert copied is not None
    assert copied > 1000  # the commits had left it all in the log
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 3000
    engine.dispose()


def test_a_database_without_a_log_has_nothing_to_checkpoint() -> None:
    assert checkpoint(create_engine("sqlite://")) is None
