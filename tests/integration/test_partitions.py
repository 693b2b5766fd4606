"""Telemetry partitions on a real store: checkpoint with the warnings, replay, fencing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import orjson
import pytest
import sqlalchemy as sa

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.checkpoints import SqlCheckpointStore
from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.city import City
from cityloop.domain.clock import SystemClock
from cityloop.engine.areas import read_areas
from cityloop.engine.rules.load import load_rules
from cityloop.engine.sensors import load_sensor_table
from cityloop.services.intake import IntakePipeline
from cityloop.services.partitions import PartitionLost, PartitionProcessor
from cityloop.services.ports import UnitOfWork
from cityloop.services.telemetry import TelemetryService
from cityloop.services.telemetry_routing import city_partitioning
from cityloop.services.vitals import VitalSigns
from tests.fakes import FakeAddresses, KeywordClassifier

PARTITION = "YZ03"
VALUES = [1.0, 12.0, 12.0, 30.0, 60.0, 30.0, 12.0, 1.0, 1.0, 60.0, 60.0, 1.0]


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _processor(
    city: City, engine: sa.Engine, owner: str, vitals: VitalSigns | None = None
) -> PartitionProcessor:
    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    clock = SystemClock()
    intake = IntakePipeline(uow, city, clock, KeywordClassifier(city), FakeAddresses({}))
    telemetry = TelemetryService(uow, city, clock, intake, vitals=vitals)
    areas, _ = read_areas(city.root)
    return PartitionProcessor(
        telemetry,
        city_partitioning(city, load_sensor_table(city.root)),
        load_rules(city.root),
        areas.areas if areas else (),
        SqlCheckpointStore(engine),
        clock,
        owner,
        checkpoint_interval_s=3600,
    )


def _messages(processor: PartitionProcessor) -> list[tuple[int, bytes]]:
    parts = processor.partitioning
    gas = [parts.sensors.ids[int(i)] for i in parts.rows(PARTITION)]
    sensors = [s for s in gas if s.startswith("GL")][:3]
    start = time.time()
    return [
        (
            seq,
            orjson.dumps({"sensor": sensors, "ts": [start + seq] * 3, "value": [value] * 3}),
        )
        for seq, value in enumerate(VALUES, start=1)
    ]


def _warnings(engine: sa.Engine) -> dict[str, list[tuple[str, str]]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.warnings.c.id, t.warnings.c.history)).all()
    return {r.id: [(h["kind"], h["at"]) for h in r.history if "seq" in h] for r in rows}


def test_a_new_owner_replays_after_the_checkpoint_and_stores_each_change_once(
    demo_city: City, engine: sa.Engine
) -> None:
    first = _processor(demo_city, engine, "worker-a")
    messages = _messages(first)
    assert first.open(PARTITION) == 0
    first.process(PARTITION, messages[:5])
    first.process(PARTITION, messages[5:8])
    stored = _warnings(engine)
    assert stored

    # worker-a dies here; worker-b restores at sequence 8 and gets the whole stream again
    second = _processor(demo_city, engine, "worker-b")
    assert second.open(PARTITION) == 8
    second.process(PARTITION, messages)
    replayed = _warnings(engine)

    alone = _processor(demo_city, engine, "worker-c")
    with engine.begin() as conn:  # a clean store for the run of one worker over everything
        for table in (t.warnings, t.engine_checkpoints):
            conn.execute(table.delete())
    alone.open(PARTITION)
    alone.process(PARTITION, messages)
    assert replayed == _warnings(engine)
    assert all(len(h) == len(set(h)) for h in replayed.values())
    assert set(stored) <= set(replayed)


def test_a_worker_that_lost_its_partition_cannot_store_its_results(
    demo_city: City, engine: sa.Engine
) -> None:
    old = _processor(demo_city, engine, "worker-old")
    messages = _messages(old)
    old.open(PARTITION)
    old.process(PARTITION, messages[:2])
    new = _processor(demo_city, engine, "worker-new")
    new.open(PARTITION)
    new.process(PARTITION, messages[2:6])  # the new owner moved the checkpoint on
    before = _warnings(engine)
    with pytest.raises(PartitionLost):
        old.process(PARTITION, messages[2:6])  # the paused old owner wakes up: fenced off
    assert PARTITION not in old.owned
    assert _warnings(engine) == before
    with engine.connect() as conn:
        owner = conn.execute(sa.select(t.engine_checkpoints.c.owner)).scalar_one()
    assert owner == "worker-new"


def test_a_worker_knows_which_of_its_water_stations_were_heard(
    demo_city: City, engine: sa.Engine
) -> None:
    """Source tracing in a worker asks its vital signs which stations upstream report
    normally: the stations of the partitions it judges are followed (at their city-wide
    positions), its other sensors are not (nothing reads them there)."""
    vitals = VitalSigns(demo_city, engine, SystemClock())
    processor = _processor(demo_city, engine, "worker-v", vitals)
    telemetry = processor.telemetry
    tracer = telemetry.tracer
    assert tracer is not None
    parts = processor.partitioning
    name, station = next(
        (n, s) for n in parts.names for s in tracer.stations.index if parts.of(s) == n
    )
    gas = next(s for s in (parts.sensors.ids[int(i)] for i in parts.rows(name)) if s[:2] == "GL")
    now = time.time()
    message = orjson.dumps({"sensor": [station, gas], "ts": [now, now], "value": [6.5, 1.0]})
    processor.open(name)
    processor.process(name, [(1, message)])
    heard = vitals.heard(now + 5)
    assert heard is not None
    sensors = telemetry.engine.sensors
    assert [sensors.ids[int(i)] for i in heard.nonzero()[0]] == [station]
