"""leaner writes: counters clustered on their key (SQLite), two redundant event indexes gone

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00.000000

Every stored event changes a few dozen dashboard counters. On SQLite a table with a primary
key of several columns is a rowid table plus a separate index of that key, so each counter
change wrote two B-trees; ``WITHOUT ROWID`` keeps the rows in the key's own B-tree. SQLite
cannot change that in place: the tables are copied into new ones. PostgreSQL keeps a heap
and an index whatever the declaration, so there the tables stay as they are.

``ix_events_state`` (state) and ``ix_events_type`` (type_code) are the leading columns of
``ix_events_state_created`` (state, created_at, id) and ``ix_events_dedup`` (type_code, lat,
lon, created_at), which answer the same look-ups: each event written kept two indexes more
than its queries need.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTERS = ("event_counts", "event_cells")


def _rebuild(table: str, rowid: bool) -> None:
    """Copy a counter table into one created by its own statement, with or without rowid."""
    bind = op.get_bind()
    create = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    body = create.rstrip().removesuffix("WITHOUT ROWID").rstrip()
    new = f"_new_{table}"
    op.execute(body.replace(table, new, 1) + ("" if rowid else " WITHOUT ROWID"))
    op.execute(f"INSERT INTO {new} SELECT * FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {new} RENAME TO {table}")


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_state")
        batch_op.drop_index("ix_events_type")
    if op.get_bind().dialect.name == "sqlite":
        for table in _COUNTERS:
            _rebuild(table, rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in _COUNTERS:
            _rebuild(table, rowid=True)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_type", ["type_code"], unique=False)
        batch_op.create_index("ix_events_state", ["state"], unique=False)
