"""bus checkpoints: the stream sequence and owner of each telemetry partition's checkpoint

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 18:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("engine_checkpoints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stream_seq", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("owner", sa.String(length=80), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("engine_checkpoints", schema=None) as batch_op:
        batch_op.drop_column("owner")
        batch_op.drop_column("stream_seq")
