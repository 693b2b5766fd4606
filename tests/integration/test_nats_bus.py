"""The NATS bus on a real JetStream server: outbox relay stored once, the intake work queue,
vital signs fed from the telemetry stream."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import orjson
import pytest
import sqlalchemy as sa

from cityloop.adapters.nats.intake_worker import IntakeWorker
from cityloop.adapters.nats.names import BusNames
from cityloop.adapters.nats.publishers import NatsOutboxSink
from cityloop.adapters.sql import tables as t
from cityloop.bootstrap import Container, bootstrap
from cityloop.city import City
from cityloop.domain.report import Channel
from cityloop.services.intake import IncomingReport
from cityloop.settings import Settings
from tests.fakes import FakeAddresses, KeywordClassifier
from tests.services import fresh_nats_prefix

pytestmark = pytest.mark.nats


@pytest.fixture
def container(demo_city: City, tmp_path: Path) -> Iterator[Container]:
    with fresh_nats_prefix() as (url, prefix), _container(demo_city, tmp_path, url, prefix) as c:
        yield c


@contextlib.contextmanager
def _container(demo_city: City, tmp_path: Path, url: str, prefix: str) -> Iterator[Container]:
    """A container (one API server's wiring) on the NATS bus at ``url``, ``prefix``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'bus.db'}",
        city=demo_city.root,
        seed_demo_users=False,
        secret_key="bus-test-secret-key-0123456789abcdef0123",
        bus=url,
        bus_prefix=prefix,
    )
    c = bootstrap(
        settings,
        city=demo_city,
        classifier=KeywordClassifier(demo_city),
        addresses=FakeAddresses({}),
    )
    try:
        yield c
    finally:
        c.close()


def _report(city: City, external_id: str, district: str) -> IncomingReport:
    p = city.jurisdictions[district].geometry.representative_point()
    return IncomingReport(
        Channel.DEPARTMENT,
        "路口井盖缺失 manhole cover missing",
        type_code="UM07",
        lon=p.x,
        lat=p.y,
        external_id=external_id,
    )


async def _stream_messages(url: str, stream: str) -> int:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(stream)
        return int(info.state.messages)
    finally:
        await nc.close()


def test_the_outbox_is_relayed_to_the_bus_and_stored_once_when_sent_twice(
    container: Container, demo_city: City
) -> None:
    container.intake.submit(_report(demo_city, "A-1", "YZ01"))
    with container.reader() as uow:
        batch = list(uow.unpublished())
    assert batch
    assert container.bus.relay() == len(batch)
    # the relay died before marking them published: the next one sends the same batch again
    NatsOutboxSink(container.link)(batch)  # type: ignore[arg-type]
    names: BusNames = container.link.names  # type: ignore[union-attr]
    stored = asyncio.run(_stream_messages(container.settings.bus, names.events_stream))
    assert stored == len(batch)
    with container.reader() as uow:
        assert list(uow.unpublished()) == []


def test_intake_commands_are_queued_once_and_processed_by_a_worker(
    container: Container, demo_city: City
) -> None:
    assert container.intake_queue is not None
    first, second = _report(demo_city, "F-1", "YZ02"), _report(demo_city, "F-2", "YZ05")
    assert container.intake_queue.submit([first, first, second]) == 3  # F-1 is a resend
    names: BusNames = container.link.names  # type: ignore[union-attr]
    assert asyncio.run(_stream_messages(container.settings.bus, names.intake_stream)) == 2

    worker = IntakeWorker(container.settings.bus, names, container.intake)
    stop = asyncio.Event()

    async def run() -> None:
        task = asyncio.create_task(worker.run(stop))
        for _ in range(200):
            if worker.processed >= 2:
                break
            await asyncio.sleep(0.05)
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)

    thread = threading.Thread(target=asyncio.run, args=(run(),))
    thread.start()
    thread.join(30)
    assert worker.processed == 2
    with container.engine.connect() as conn:
        refs = sorted(conn.execute(sa.select(t.reports.c.external_id)).scalars())
    assert refs == ["F-1", "F-2"]
    # acknowledged: nothing is left on the work queue (acks are asynchronous: give them time)
    left = -1
    for _ in range(50):
        left = asyncio.run(_stream_messages(container.settings.bus, names.intake_stream))
        if left == 0:
            break
        time.sleep(0.1)
    assert left == 0


def _sensor(city: City, kind: str) -> tuple[str, str]:
    with (city.root / "sensors.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            chain = city.locator.locate(float(row["lon"]), float(row["lat"]))
            if row["type"] == kind and chain is not None and chain.district:
                return row["id"], chain.district
    raise AssertionError(f"no {kind} sensor")


def test_readings_taken_in_by_one_server_show_in_every_servers_vital_signs(
    demo_city: City, tmp_path: Path
) -> None:
    """Two API servers on one bus: the readings one of them forwards (the telemetry workers
    judge them) reach the vital signs of both, through the telemetry stream."""
    gauge, district = _sensor(demo_city, "rainfall")
    pm, pm_district = _sensor(demo_city, "pm25")
    with (
        fresh_nats_prefix() as (url, prefix),
        _container(demo_city, tmp_path / "a", url, prefix) as one,
        _container(demo_city, tmp_path / "b", url, prefix) as other,
    ):
        one.follow_vital_signs()
        other.follow_vital_signs()
        assert other.vitals.current(district)["values"]["online_rate"] == 0
        now = one.clock.now().timestamp()
        body = {"sensor": [gauge, gauge, pm], "ts": [now - 1800, now - 600, now - 60]}
        body["value"] = [12.0, 8.5, 80.0]
        summary = one.telemetry.ingest(orjson.dumps(body), "application/json")
        assert summary.accepted == 3
        assert summary.changes == 0  # judged by the workers, not by the API server
        for server in (one, other):
            feed = server.vitals_feed
            assert feed is not None
            for _ in range(100):
                if feed.batches >= 2:  # one message per district
                    break
                time.sleep(0.05)
            rain = server.vitals.current(district)["values"]
            assert rain["rainfall_1h_max_mm"] >= 20.5
            assert 0 < rain["online_rate"] <= 1
            assert server.vitals.current(pm_district)["values"]["aqi_max"] == 107
