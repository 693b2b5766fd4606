"""dashboard counters: event_counts, event_cells, events.map_cell

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 18:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cityloop.adapters.sql.counters import rebuild

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("map_cell", _ID, nullable=True))
        batch_op.create_index("ix_events_map_cell", ["state", "map_cell"], unique=False)
        batch_op.create_index("ix_events_updated", ["updated_at"], unique=False)
        batch_op.create_index(
            "ix_events_overdue", ["supervision", "state", "dispose_by"], unique=False
        )
        batch_op.create_index(
            "ix_events_overdue_accept", ["supervision", "state", "accept_by"], unique=False
        )
        batch_op.create_index(
            "ix_events_state_created", ["state", "created_at", "id"], unique=False
        )
    op.create_table(
        "event_counts",
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("n", _ID, nullable=False),
        sa.PrimaryKeyConstraint("area", "dim", "value", "state", name=op.f("pk_event_counts")),
    )
    op.create_table(
        "event_cells",
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("res", sa.Integer(), nullable=False),
        sa.Column("cell", _ID, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("n", _ID, nullable=False),
        sa.PrimaryKeyConstraint("area", "res", "cell", "state", name=op.f("pk_event_cells")),
    )
    # Existing events: their map cell, then both counters from them.
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        x, y = "floor((lon + 180.0) * 256)::bigint", "floor((lat + 90.0) * 256)::bigint"
    else:  # truncation is floor here: the values are positive
        x, y = "CAST((lon + 180.0) * 256 AS INTEGER)", "CAST((lat + 90.0) * 256 AS INTEGER)"
    op.execute(
        f"UPDATE events SET map_cell = {x} * 65536 + {y} WHERE lon IS NOT NULL AND lat IS NOT NULL"
    )
    rebuild(bind)


def downgrade() -> None:
    op.drop_table("event_cells")
    op.drop_table("event_counts")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_state_created")
        batch_op.drop_index("ix_events_overdue_accept")
        batch_op.drop_index("ix_events_overdue")
        batch_op.drop_index("ix_events_updated")
        batch_op.drop_index("ix_events_map_cell")
        batch_op.drop_column("map_cell")
