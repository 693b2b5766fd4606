"""Spatial queries on PostGIS when the database has it, on indexed lon/lat boxes otherwise.

Events keep their point as two plain columns, ``lon`` and ``lat`` (WGS84), on every database,
so the tables are the same everywhere. On PostgreSQL with the PostGIS extension, migration 0011
(or the server's start, when PostGIS was installed after the migration ran) adds two GiST
expression indexes over that point, and nothing else:

- ``ix_events_open_geog``: the point as geography, only for events in the open states: the
  de-duplication radius, ``ST_DWithin`` in metres;
- ``ix_events_geom``: the point as geometry (SRID 4326): map viewports, ``&& ST_MakeEnvelope``.

Whether queries take their PostGIS form travels with the engine as the execution option
:data:`POSTGIS`, set once by :func:`choose` in ``bootstrap``; repositories and views read it
from their connection or engine (:func:`uses_postgis`). SQLite always takes the fallback.

Both forms give the same answers. The de-duplication query returns a superset of the circle on
either form (the fallback a box around it, PostGIS the circle on the sphere with
:data:`SLACK_M` to spare), and the decision is the haversine distance of
:func:`cityloop.services.dedup.best_match`. A viewport keeps its exact lon/lat comparisons
beside the envelope operator, whose boxes are rounded outwards to float4 (about a metre).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cityloop.domain.lifecycle import OPEN_STATES

log = logging.getLogger(__name__)

Mode = Literal["auto", "on", "off"]

#: Execution option of an engine whose spatial queries use PostGIS.
POSTGIS = "cityloop_postgis"
#: Metres added to a de-duplication radius on PostGIS, so that rounding and the sphere's radius
#: (PostGIS's 6,371,008.77 m, the haversine's 6,371,008.8 m) never leave out an event the
#: haversine distance keeps; the haversine then decides.
SLACK_M = 1.0
SRID = 4326
HOW_TO_INSTALL = "on Debian: apt-get install postgresql-15-postgis-3"


def _states_sql() -> str:
    assert all(s.isidentifier() for s in OPEN_STATES)
    return ", ".join(f"'{s}'" for s in OPEN_STATES)


#: The indexes PostGIS adds to the events table, by name. The expressions must be exactly
#: those of :func:`geography` and :func:`geometry` for the planner to match them; the partial
#: index's states are written as literals, as :func:`open_state` writes them in the query (a
#: bound list would not prove the index's predicate in a generic plan).
INDEXES = {
    "ix_events_open_geog": "CREATE INDEX IF NOT EXISTS ix_events_open_geog ON events USING gist "
    f"((geography(ST_SetSRID(ST_MakePoint(lon, lat), {SRID})))) "
    f"WHERE state IN ({_states_sql()})",
    "ix_events_geom": "CREATE INDEX IF NOT EXISTS ix_events_geom ON events USING gist "
    f"((ST_SetSRID(ST_MakePoint(lon, lat), {SRID})))",
}
#: Tables the extension itself creates (not CityLoop's, so not in ``tables.py``).
EXTENSION_TABLES = frozenset({"spatial_ref_sys"})


class PostgisUnavailable(RuntimeError):
    """``CITYLOOP_POSTGIS=on`` and the database cannot use PostGIS."""


# ---- query expressions ---------------------------------------------------------------------


def uses_postgis(bind: Connection | Engine) -> bool:
    """Whether queries on this connection (or engine) take their PostGIS form."""
    return bool(bind.get_execution_options().get(POSTGIS, False))


def geometry(lon: Any, lat: Any) -> sa.ColumnElement[Any]:
    return sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), SRID)


def geography(lon: Any, lat: Any) -> sa.ColumnElement[Any]:
    return sa.func.geography(geometry(lon, lat))


def within_m(
    lon: Any, lat: Any, centre_lon: Any, centre_lat: Any, radius_m: Any
) -> sa.ColumnElement[bool]:
    """The point (lon, lat) is within ``radius_m`` metres of the centre, on the sphere
    (``use_spheroid => false``: the haversine's model, and cheaper); indexed by
    ``ix_events_open_geog`` when the query also says :func:`open_state`."""
    return sa.func.ST_DWithin(
        geography(lon, lat), geography(centre_lon, centre_lat), radius_m, False, type_=sa.Boolean
    )


def in_envelope(
    lon: Any, lat: Any, box: tuple[float, float, float, float]
) -> sa.ColumnElement[bool]:
    """The point's box meets the envelope (indexed by ``ix_events_geom``). Boxes are float4,
    so keep the exact lon/lat comparisons beside it."""
    envelope = sa.func.ST_MakeEnvelope(*box, SRID)
    return geometry(lon, lat).op("&&", return_type=sa.Boolean)(envelope)


def open_state(state: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """``state IN ('reported', …)`` with the open states as literals, as in the partial
    index's predicate."""
    return state.in_([sa.literal_column(f"'{s}'") for s in OPEN_STATES])


# ---- the extension and its indexes ---------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]


def _installed(conn: Connection) -> bool:
    sql = "SELECT 1 FROM pg_extension WHERE extname = 'postgis'"
    return conn.exec_driver_sql(sql).first() is not None


def _available(conn: Connection) -> bool:
    sql = "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
    return conn.exec_driver_sql(sql).first() is not None


def _missing_indexes(conn: Connection) -> list[str]:
    return [
        name
        for name in INDEXES
        if conn.execute(sa.text("SELECT to_regclass(:n)"), {"n": name}).scalar() is None
    ]


def readiness(conn: Connection) -> str | None:
    """Why queries on this database cannot use PostGIS, or None when they can (the extension
    is created and its indexes exist). Changes nothing."""
    if conn.dialect.name != "postgresql":
        return f"the database is {conn.dialect.name}, not PostgreSQL"
    if not _installed(conn):
        if _available(conn):
            return "the postgis extension is not created in this database (`cityloop db upgrade`)"
        return f"the postgis extension is not installed on the database server ({HOW_TO_INSTALL})"
    missing = _missing_indexes(conn)
    if missing:
        return f"the indexes {', '.join(missing)} are missing (`cityloop db upgrade`)"
    return None


def install(conn: Connection) -> str | None:
    """Create the extension when the server has it and the indexes when they are missing;
    None when PostGIS is then usable, else why not (and nothing was changed)."""
    if conn.dialect.name != "postgresql":
        return f"the database is {conn.dialect.name}, not PostgreSQL"
    if not _installed(conn):
        if not _available(conn):
            return readiness(conn)
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        except sa.exc.DBAPIError as exc:
            return f"CREATE EXTENSION postgis failed: {_first_line(exc)}"
    for name in _missing_indexes(conn):
        conn.exec_driver_sql(INDEXES[name])
    return None


def uninstall(conn: Connection) -> None:
    """Drop the indexes, and the extension unless something else in the database uses it."""
    if conn.dialect.name != "postgresql":
        return
    for name in INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("DROP EXTENSION IF EXISTS postgis RESTRICT")
    except sa.exc.DBAPIError as exc:
        log.warning("the postgis extension is kept: %s", _first_line(exc))


def choose(engine: Engine, mode: Mode, *, install_missing: bool) -> Engine:
    """The engine to use: ``engine`` itself for the fallback, or a copy whose connections
    carry :data:`POSTGIS`. ``auto`` uses PostGIS when the database can; ``on`` raises
    :class:`PostgisUnavailable` when it cannot; ``off`` never uses it. With
    ``install_missing`` the extension and indexes are created when the server has PostGIS
    (as the migration does), else they must exist already."""
    if mode == "off":
        return engine
    if engine.dialect.name != "postgresql":
        problem: str | None = f"the database is {engine.dialect.name}, not PostgreSQL"
    else:
        with engine.begin() as conn:
            problem = install(conn) if install_missing else readiness(conn)
    if problem is None:
        log.info("spatial queries use PostGIS")
        return engine.execution_options(**{POSTGIS: True})
    if mode == "on":
        raise PostgisUnavailable(f"CITYLOOP_POSTGIS=on, but {problem}")
    if engine.dialect.name == "postgresql":
        log.info("spatial queries use indexed lon/lat boxes: %s", problem)
    return engine


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter for comparing the schema with ``tables.py``: PostGIS's own tables and
    the indexes it adds exist only where PostGIS does, so they are left out."""
    if type_ == "index" and name in INDEXES:
        return False
    return not (type_ == "table" and reflected and compare_to is None and name in EXTENSION_TABLES)
