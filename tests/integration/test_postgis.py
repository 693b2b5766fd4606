"""Spatial queries on PostGIS give the fallback's answers, by their GiST indexes.

The same data goes through both forms on one real PostgreSQL database: the plain engine takes
the indexed lon/lat boxes, the same engine with the ``cityloop_postgis`` option takes
ST_DWithin and the envelope operator. Skipped with a notice when PostGIS is not installed
(failed under CITYLOOP_REQUIRE_ALL).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import spatial
from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import alembic_config, current_revision, head_revision, upgrade
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.adapters.sql.views_map import map_view
from cityloop.city import City
from cityloop.domain.access import Principal, Role
from cityloop.domain.clock import FixedClock
from cityloop.domain.event import Actor, Event, Location, Source
from cityloop.domain.report import Channel
from cityloop.domain.territory import Level
from cityloop.services.dedup import Circle, DedupPolicy, best_match, haversine_m
from cityloop.services.intake import IncomingReport, IntakePipeline
from tests.fakes import FakeAddresses, KeywordClassifier
from tests.integration.test_repository_contract import S1, dispatch
from tests.services import PG_ADMIN_URL, fresh_postgres_database, missing
from tests.unit.services.test_dedup import destination

CENTRES = [(106.5, 29.5), (106.62, 29.61), (106.41, 29.38)]
DISTANCES = [0.0, 50.0, 150.0, 199.0, 199.9, 200.0, 200.3, 201.5, 260.0, 1200.0]
BEARINGS = [0.0, 45.0, 90.0, 135.0, 180.0, 270.0]


def _postgis_or_skip(engine: Engine) -> None:
    with engine.connect() as conn:
        problem = spatial.readiness(conn)
    if problem is not None:
        missing("PostGIS", f"{problem}; then the migration creates the extension")


@pytest.fixture
def engines() -> Iterator[tuple[Engine, Engine]]:
    """(fallback, PostGIS) engines on one migrated PostgreSQL database."""
    with fresh_postgres_database() as url:
        engine = create_engine(url)
        try:
            upgrade(engine)
            _postgis_or_skip(engine)
            yield engine, spatial.choose(engine, "on", install_missing=False)
        finally:
            engine.dispose()


def _event(n: int, at: datetime, lon: float, lat: float, type_code: str) -> Event:
    return Event.report(
        id=f"00000000-0000-0000-0000-{n:012d}",
        ref=f"YZ-20261123-{n:06d}",
        source=Source.CITIZEN,
        title=f"Event {n}",
        at=at,
        actor=Actor.system(),
        type_code=type_code,
        location=Location(lon, lat, S1, "addr"),
    )


def _store_ring_of_events(engine: Engine, clock: FixedClock) -> list[Event]:
    """Events around each centre at distances on both sides of 200 m, of two types, some
    cancelled, some older than the window: the edge cases of de-duplication."""
    now = clock.now()
    out: list[Event] = []
    with SqlUnitOfWork(engine) as uow:
        for c, (lon, lat) in enumerate(CENTRES):
            for i, d in enumerate(DISTANCES):
                for j, bearing in enumerate(BEARINGS):
                    n = len(out) + 1
                    x, y = destination(lon, lat, bearing, d)
                    age = timedelta(hours=30) if (i + j + c) % 7 == 0 else timedelta(hours=1)
                    # distinct times: best_match's last tie-break is the creation time
                    at = now - age - timedelta(seconds=n)
                    event = _event(n, at, x, y, ("UM07", "UM10")[(i * j + c) % 2])
                    if (i + 2 * j) % 5 == 0:
                        event.cancel(at=at, actor=Actor.system(), reason="test")
                    uow.events.add(event)
                    out.append(event)
        uow.commit()
    return out


def _duplicates(
    candidates: list[Event], near: Circle, now: datetime, policy: DedupPolicy
) -> tuple[set[str], str | None]:
    """(the candidates the haversine keeps, the event best_match picks)."""
    kept = {
        e.id
        for e in candidates
        if e.location.lon is not None
        and e.location.lat is not None
        and haversine_m(near.lon, near.lat, e.location.lon, e.location.lat) <= near.radius_m
    }
    best = best_match(candidates, lon=near.lon, lat=near.lat, text="x", now=now, policy=policy)
    return kept, best.event.id if best else None


def _queries() -> list[tuple[str, Circle]]:
    return [
        (type_code, Circle(lon, lat, radius))
        for lon, lat in CENTRES
        for type_code in ("UM07", "UM10", "UM01")
        for radius in (50.0, 200.0, 1000.0)
    ]


def test_the_migration_creates_postgis_and_its_indexes_and_the_downgrade_removes_them(
    engines: tuple[Engine, Engine],
) -> None:
    engine, _ = engines
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    with engine.connect() as conn:
        assert spatial.readiness(conn) == (
            "the postgis extension is not created in this database (`cityloop db upgrade`)"
        )
        assert conn.exec_driver_sql("SELECT to_regclass('ix_events_geom')").scalar() is None
    upgrade(engine)
    with engine.connect() as conn:
        assert spatial.readiness(conn) is None
    assert current_revision(engine) == head_revision()


def test_the_dedup_query_finds_the_same_duplicates_on_postgis_and_on_the_fallback(
    engines: tuple[Engine, Engine], clock: FixedClock
) -> None:
    fallback, postgis = engines
    events = _store_ring_of_events(fallback, clock)
    now, policy = clock.now(), DedupPolicy()
    since = now - policy.window
    answers: dict[str, list[Any]] = {}
    for name, engine in (("fallback", fallback), ("postgis", postgis)):
        one_by_one, prefetched = [], []
        with SqlUnitOfWork(engine) as uow:
            for type_code, near in _queries():
                found = uow.events.find_open_nearby(type_code, near, since)
                one_by_one.append(_duplicates(found, near, now, DedupPolicy(near.radius_m)))
        with SqlUnitOfWork(engine) as uow:
            uow.events.prefetch_open_nearby(_queries(), since)
            for type_code, near in _queries():
                found = uow.events.find_open_nearby(type_code, near, since)
                prefetched.append(_duplicates(found, near, now, DedupPolicy(near.radius_m)))
        assert one_by_one == prefetched
        answers[name] = one_by_one
    truth = [
        {
            e.id
            for e in events
            if e.type_code == type_code
            and e.state.is_open
            and e.created_at >= since
            and haversine_m(near.lon, near.lat, e.location.lon or 0, e.location.lat or 0)
            <= near.radius_m
        }
        for type_code, near in _queries()
    ]
    assert answers["postgis"] == answers["fallback"]
    assert [kept for kept, _ in answers["postgis"]] == truth
    assert sum(len(kept) for kept in truth) > 50  # the edges were reached, not an empty city


def test_the_intake_merges_the_same_reports_on_postgis_and_on_the_fallback(
    demo_city: City, tmp_path: Path
) -> None:
    point = demo_city.jurisdictions["YZ02S01"].geometry.representative_point()
    rng = random.Random(9)
    reports = []
    for k in range(40):
        x, y = destination(point.x, point.y, rng.uniform(0, 360), rng.uniform(0, 450))
        reports.append(
            IncomingReport(Channel.GRID, f"Manhole cover {k}", type_code="UM07", lon=x, lat=y)
        )
    outcomes: dict[str, list[tuple[bool, int]]] = {}
    for name in ("fallback", "postgis"):
        with fresh_postgres_database() as url:
            engine = create_engine(url)
            try:
                upgrade(engine)
                _postgis_or_skip(engine)
                if name == "postgis":
                    engine = spatial.choose(engine, "on", install_missing=False)
                clock = FixedClock()
                pipeline = IntakePipeline(
                    lambda e=engine: SqlUnitOfWork(e),
                    demo_city,
                    clock,
                    KeywordClassifier(demo_city),
                    FakeAddresses({}),
                )
                seen: dict[str, int] = {}
                got = []
                for r in reports[:20]:
                    clock.advance(minutes=20)
                    out = pipeline.submit(r)
                    got.append((out.merged, seen.setdefault(out.event.id, len(seen))))
                for out in pipeline.submit_many(reports[20:]):  # one prefetch for the batch
                    got.append((out.merged, seen.setdefault(out.event.id, len(seen))))
                outcomes[name] = got
            finally:
                engine.dispose()
    assert outcomes["postgis"] == outcomes["fallback"]
    assert 5 < sum(merged for merged, _ in outcomes["postgis"]) < 35


def test_viewports_show_the_same_events_on_postgis_and_on_the_fallback(
    engines: tuple[Engine, Engine], clock: FixedClock
) -> None:
    fallback, _ = engines
    box = (106.49, 29.49, 106.51, 29.51)
    eps = 1e-7  # inside the envelope operator's float4 rounding, outside the exact box
    edges = [
        (box[0], 29.5),
        (box[2], 29.5),
        (106.5, box[1]),
        (106.5, box[3]),
        (box[0] - eps, 29.5),
        (box[2] + eps, 29.5),
        (106.5, box[1] - eps),
        (106.5, box[3] + eps),
    ]
    rng = random.Random(5)
    spread = [(rng.uniform(106.47, 106.53), rng.uniform(29.47, 29.53)) for _ in range(150)]
    inside, dispatched = set(), set()
    with SqlUnitOfWork(fallback) as uow:
        for n, (lon, lat) in enumerate(edges + spread, start=1):
            event = _event(n, clock.now(), lon, lat, "UM01")
            if n % 3 == 0:
                dispatch(event, clock, "URBAN")
                dispatched.add(event.id)
            if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]:
                inside.add(event.id)
            uow.events.add(event)
        uow.commit()
    city_op = Principal("u", "u", Role.CITY_OPERATOR, "YZ", Level.CITY)
    handler = Principal("h", "h", Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "URBAN")
    _, postgis = engines
    for who in (city_op, handler):
        for zoom, states in ((15, ()), (15, ("dispatched",)), (11, ())):
            a = map_view(fallback, who, box, zoom, states)
            b = map_view(postgis, who, box, zoom, states)
            assert (b.cells, b.total, b.cell_deg) == (a.cells, a.total, a.cell_deg)
            ids = sorted(p["id"] for p in b.points)
            assert ids == sorted(p["id"] for p in a.points)
            if zoom == 15:
                narrow = who is handler or bool(states)
                assert ids == sorted(inside & dispatched if narrow else inside)
    assert len(inside) > 20
    assert {f"00000000-0000-0000-0000-{n:012d}" for n in range(1, 9)} & inside == {
        f"00000000-0000-0000-0000-{n:012d}" for n in range(1, 5)
    }  # on the edges in, a hair beyond them out


def _bulk_events(engine: Engine, n: int) -> None:
    """``n`` events spread over 50 km × 55 km, a quarter closed, ten types, two days."""
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO events (id, ref, source, type_code, severity, title, description,"
            " state, lon, lat, co_units, handling_level, warning_ids, report_ids, attachments,"
            " triage_reasons, co_feedback, supervision, created_at, updated_at, version)"
            " SELECT 'bulk-' || g, 'B-' || g, 'citizen', 'UM0' || mod(g, 10), 'IV', 't', '',"
            " CASE WHEN mod(g, 4) = 0 THEN 'closed' ELSE 'reported' END,"
            " 106.3 + random() * 0.5, 29.3 + random() * 0.5,"
            " '[]', 'street', '[]', '[]', '[]', '[]', '[]', 'none',"
            " now() - mod(g, 48) * interval '1 hour', now(), 1"
            f" FROM generate_series(1, {n}) AS g"
        )
        conn.exec_driver_sql("ANALYZE events")


def _plan(engine: Engine, run: Any, marker: str) -> str:
    """The plan PostgreSQL makes for the statement ``run`` sends that contains ``marker``."""
    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if marker in statement:
            sent.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    assert sent, f"no statement with {marker}"
    statement, params = sent[0]
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN " + statement, params).all()
    return "\n".join(r[0] for r in rows)


def test_the_dedup_query_is_answered_by_the_partial_gist_index(
    engines: tuple[Engine, Engine],
) -> None:
    fallback, postgis = engines
    _bulk_events(fallback, 30_000)
    since = datetime.now().astimezone() - timedelta(hours=24)
    near = Circle(106.55, 29.55, 200.0)

    def one() -> None:
        with SqlUnitOfWork(postgis) as uow:
            uow.events.find_open_nearby("UM03", near, since)

    def many() -> None:
        with SqlUnitOfWork(postgis) as uow:
            circles = [("UM03", near), ("UM04", Circle(106.4, 29.4, 200.0))]
            uow.events.prefetch_open_nearby(circles, since)

    assert "ix_events_open_geog" in _plan(fallback, one, "ST_DWithin")
    assert "ix_events_open_geog" in _plan(fallback, many, "ST_DWithin")


def test_the_envelope_operator_can_use_the_geometry_index(
    engines: tuple[Engine, Engine],
) -> None:
    fallback, _ = engines
    _bulk_events(fallback, 5_000)
    e = t.events.c
    stmt = sa.select(e.id).where(spatial.in_envelope(e.lon, e.lat, (106.5, 29.5, 106.51, 29.51)))
    with fallback.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        sql = stmt.compile(conn, compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "ix_events_geom" in plan


def test_a_user_who_may_not_create_postgis_migrates_without_it_and_auto_falls_back() -> None:
    role = f"cityloop_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with fresh_postgres_database() as url:
            name = sa.engine.make_url(url).database
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE ROLE "{role}" NOLOGIN')
                conn.exec_driver_sql(f'ALTER DATABASE "{name}" OWNER TO "{role}"')
            engine = create_engine(url)

            @sa.event.listens_for(engine, "connect")
            def _as_role(dbapi_conn: Any, _record: Any) -> None:
                with dbapi_conn.cursor() as cur:
                    cur.execute(f'SET SESSION ROLE "{role}"')
                dbapi_conn.commit()

            try:
                with engine.connect() as conn:
                    if not conn.exec_driver_sql(
                        "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
                    ).first():
                        missing("PostGIS", spatial.HOW_TO_INSTALL)
                upgrade(engine)
                with engine.connect() as conn:
                    assert spatial.readiness(conn) == (
                        "the postgis extension is not created in this database"
                        " (`cityloop db upgrade`)"
                    )
                assert spatial.choose(engine, "auto", install_missing=True) is engine
                assert spatial.choose(engine, "off", install_missing=True) is engine
                with pytest.raises(spatial.PostgisUnavailable, match="permission denied"):
                    spatial.choose(engine, "on", install_missing=True)
            finally:
                engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


def test_postgis_on_refuses_sqlite_and_auto_takes_the_fallback(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    try:
        upgrade(engine)
        assert spatial.choose(engine, "auto", install_missing=True) is engine
        with pytest.raises(spatial.PostgisUnavailable, match="sqlite, not PostgreSQL"):
            spatial.choose(engine, "on", install_missing=True)
    finally:
        engine.dispose()


def test_auto_creates_postgis_at_start_when_it_arrived_after_the_migration(
    engines: tuple[Engine, Engine],
) -> None:
    engine, _ = engines
    with engine.begin() as conn:
        spatial.uninstall(conn)  # as if the migration had run before the package was installed
    chosen = spatial.choose(engine, "auto", install_missing=False)
    assert not spatial.uses_postgis(chosen)
    chosen = spatial.choose(engine, "auto", install_missing=True)
    assert spatial.uses_postgis(chosen)
    with engine.connect() as conn:
        assert spatial.readiness(conn) is None
