"""Alembic environment: runs on the connection handed over by cityloop.adapters.sql.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.spatial import include_object
from cityloop.adapters.sql.tables import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
