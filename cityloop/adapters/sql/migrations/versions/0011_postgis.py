"""postgis: the extension and GiST indexes on the events' point, where the server has PostGIS

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000

On PostgreSQL whose server has the postgis extension, creates it (CREATE EXTENSION IF NOT
EXISTS) and two expression indexes over (lon, lat): geography, partial on the open states, for
the de-duplication radius; geometry for map viewports (see ``cityloop/adapters/sql/spatial.py``).
A no-op on SQLite and on a PostgreSQL without PostGIS, or whose user may not create it; the
server's start creates them later if PostGIS becomes available (``CITYLOOP_POSTGIS=auto``).
The tables do not change, so ``tables.py`` does not either.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from alembic import op

from cityloop.adapters.sql.spatial import install, uninstall

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    problem = install(conn)
    if problem is not None:
        logging.getLogger("alembic").info("PostGIS not installed: %s", problem)


def downgrade() -> None:
    uninstall(op.get_bind())
