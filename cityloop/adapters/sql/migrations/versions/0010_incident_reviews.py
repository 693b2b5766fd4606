"""incident reviews

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 18:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cityloop.adapters.sql.types

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_reviews",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=True),
        sa.Column("jurisdiction", sa.String(length=40), nullable=False),
        sa.Column("district_code", sa.String(length=40), nullable=True),
        sa.Column("street_code", sa.String(length=40), nullable=True),
        sa.Column(
            "window_from", cityloop.adapters.sql.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "window_to", cityloop.adapters.sql.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("lessons", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", cityloop.adapters.sql.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", cityloop.adapters.sql.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_reviews")),
    )
    with op.batch_alter_table("incident_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_reviews_place",
            ["district_code", "street_code", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("incident_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_reviews_place")
    op.drop_table("incident_reviews")
