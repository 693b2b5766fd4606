"""Migrations build exactly the schema the code expects, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import current_revision, head_revision, upgrade
from cityloop.adapters.sql.spatial import include_object
from cityloop.adapters.sql.tables import metadata


def test_upgrade_reaches_head_and_matches_the_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"include_object": include_object}),
                metadata,
            )
        assert diff == []
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_clustering_the_counters_keeps_their_values(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        upgrade(engine, "0011")
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO event_counts VALUES ('', 'type', 'UM01', 'open', 3)")
            conn.exec_driver_sql("INSERT INTO event_cells VALUES ('', 0, 123, 'open', 2)")
        upgrade(engine, "0012")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT * FROM event_counts").all() == [
                ("", "type", "UM01", "open", 3)
            ]
            assert conn.exec_driver_sql("SELECT * FROM event_cells").all() == [
                ("", 0, 123, "open", 2)
            ]
            tables = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name IN ('event_counts', 'event_cells')"
            ).scalars()
            assert all(sql.endswith("WITHOUT ROWID") for sql in tables)
    finally:
        engine.dispose()
