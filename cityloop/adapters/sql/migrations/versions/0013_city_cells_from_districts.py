"""the city's map cells are its districts': no cell pyramid of area '' any more

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 02:40:00.000000

Every event written changed six cells of the city's own pyramid (area ``''``, resolutions
0–5) besides its district's six: the same counts, summed once more, on pages as scattered as
the events. The dashboard map now sums the districts' cells for the city (and those of area
``-``, located events outside every district), so the city's cells go. The counts
(``event_counts``) keep their city area.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cityloop.adapters.sql.counters import ALL, MAX_RES, NO_DISTRICT, ROW

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _insert_cells(area: str, where: str) -> None:
    """The cells of every resolution for the located events matching ``where``, as ``area``."""
    for res in range(MAX_RES + 1):
        cell = f"((map_cell / {ROW}) >> {res}) * {ROW} + ((map_cell % {ROW}) >> {res})"
        op.execute(
            sa.text(
                "INSERT INTO event_cells (area, res, cell, state, n) "
                f"SELECT :area, {res}, {cell}, state, COUNT(*) FROM events "
                f"WHERE map_cell IS NOT NULL AND {where} GROUP BY {cell}, state"
            ).bindparams(area=area)
        )


def _drop_cells(*areas: str) -> None:
    for area in areas:
        op.execute(sa.text("DELETE FROM event_cells WHERE area = :area").bindparams(area=area))


def upgrade() -> None:
    _drop_cells(ALL, NO_DISTRICT)
    _insert_cells(NO_DISTRICT, "district_code IS NULL")


def downgrade() -> None:
    _drop_cells(ALL, NO_DISTRICT)
    _insert_cells(ALL, "1 = 1")
