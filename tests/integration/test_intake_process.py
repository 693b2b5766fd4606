"""The intake process, started for real beside a server's container on a SQLite file: reports
sent to it are stored as in process, a bad one sinks no other, its clock follows the server's,
and when it is gone the server stores its reports itself or says plainly what became of them."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing.connection import Listener
from pathlib import Path

import orjson
import pytest

from cityloop.adapters.intake_process.client import store_through_intake_process
from cityloop.adapters.intake_process.launch import IntakeProcess, IntakeProcessFailed
from cityloop.adapters.intake_process.server import IntakeServer
from cityloop.api.views import event_out
from cityloop.bootstrap import Container, bootstrap
from cityloop.city import City
from cityloop.domain.clock import SteppedClock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.report import Channel
from cityloop.services.intake import AnswerView, IncomingReport, IntakeOutcome, RenderedOutcome
from cityloop.services.ports import StoreUnavailable
from cityloop.settings import Settings

ORIGIN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(demo_city_dir: Path, model_dir: Path, tmp_path: Path) -> dict[str, str]:
    """The settings the server and its intake process share (a stepped clock)."""
    return {
        **os.environ,
        "CITYLOOP_CITY": str(demo_city_dir),
        "CITYLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}",
        "CITYLOOP_MODEL_DIR": str(model_dir),
        "CITYLOOP_SECRET_FILE": str(tmp_path / "secret.key"),
        "CITYLOOP_UPLOAD_DIR": str(tmp_path / "uploads"),
        "CITYLOOP_CLOCK_STEPPED": "1",
        "CITYLOOP_CLOCK_ORIGIN": ORIGIN.isoformat(),
    }


@pytest.fixture
def container(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """The server's side: migrates the database and trains the model before the process."""
    for key, value in env.items():
        if key.startswith("CITYLOOP_"):
            monkeypatch.setenv(key, value)
    built = bootstrap(Settings())
    built.warm_up()
    yield built
    built.close()


def grid_points(city: City, n: int) -> list[tuple[float, float]]:
    grids = sorted(c for c, j in city.jurisdictions.items() if j.level.value == "grid")
    points = [city.jurisdictions[c].geometry.representative_point() for c in grids[: 3 * n : 3]]
    return [(p.x, p.y) for p in points]


def reports(city: City, n: int) -> list[IncomingReport]:
    return [
        IncomingReport(Channel.GRID, "井盖丢失了，很危险", lon=lon, lat=lat, submitted_by="grid")
        for lon, lat in grid_points(city, n)
    ]


async def submit_all(
    container: Container, batch: list[IncomingReport]
) -> list[IntakeOutcome | BaseException]:
    return await asyncio.gather(
        *(container.batcher.submit(r) for r in batch), return_exceptions=True
    )


def stored_events(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one())


def test_reports_sent_to_the_intake_process_are_stored_there_one_bad_one_alone(
    container: Container, env: dict[str, str], demo_city: City
) -> None:
    batch = reports(demo_city, 6)
    batch[2] = IncomingReport(Channel.GRID, "路灯不亮", type_code="NOPE", lon=1.0, lat=1.0)
    assert isinstance(container.clock, SteppedClock)
    container.clock.advance(3600)  # the server's time, which the intake process must follow
    with IntakeProcess.start(env) as process:
        client = store_through_intake_process(
            container.batcher, container.clock, process.address, process.authkey
        )
        assert container.batcher.stores_elsewhere
        outcomes = asyncio.run(submit_all(container, batch))
        assert client.available
        client.close()
    bad = outcomes.pop(2)
    assert isinstance(bad, InvalidCommand)
    assert "unknown event type 'NOPE'" in str(bad)
    assert all(isinstance(o, IntakeOutcome) for o in outcomes)
    good = [o for o in outcomes if isinstance(o, IntakeOutcome)]
    here = container.intake.classify("井盖丢失了，很危险")
    assert here is not None
    assert {o.event.type_code for o in good} == {here["type"]}  # classified there, as here
    assert all(o.event.location.chain is not None for o in good)  # located there
    assert all(o.event.created_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC) for o in good)
    with container.reader() as uow:  # stored with timeline and outbox, readable here
        for o in good:
            event = uow.events.get(o.event.id)
            assert event is not None
            assert event.timeline
    assert stored_events(container) == 5


def test_the_intake_process_writes_the_answer_for_the_reader_asked_for(
    container: Container, env: dict[str, str], demo_city: City
) -> None:
    with container.reader() as uow:
        user = uow.users.get_by_username("city_op")
    assert user is not None
    operator = container.auth.principal_of(user)
    with IntakeProcess.start(env) as process:
        client = store_through_intake_process(
            container.batcher, container.clock, process.address, process.authkey
        )

        async def send() -> list[IntakeOutcome | RenderedOutcome]:
            return list(
                await asyncio.gather(
                    *(
                        container.batcher.submit_for(r, AnswerView(operator, "en"))
                        for r in reports(demo_city, 3)
                    )
                )
            )

        answers = asyncio.run(send())
        client.close()
    assert all(isinstance(a, RenderedOutcome) for a in answers)
    bodies = [orjson.loads(a.body) for a in answers if isinstance(a, RenderedOutcome)]
    with container.reader() as uow:
        for body in bodies:
            event = uow.events.get(body["event"]["id"])
            assert event is not None
            assert body["report"]["ref"] in {r.ref for r in uow.reports.for_event(event.id)}
            here = event_out(event, operator, container.city, "en").model_dump(mode="json")
            assert body["event"] == here  # as this process would have written it
            assert body["event"]["type_name"] == container.city.event_types[event.type_code].name_en


def test_when_the_intake_process_is_gone_the_server_stores_its_reports_itself(
    container: Container, env: dict[str, str], demo_city: City
) -> None:
    with IntakeProcess.start(env) as process:
        store_through_intake_process(
            container.batcher, container.clock, process.address, process.authkey
        )
        first = asyncio.run(submit_all(container, reports(demo_city, 2)))
        process.proc.kill()
        process.proc.wait()
        later = asyncio.run(submit_all(container, reports(demo_city, 4)[2:]))
    assert all(isinstance(o, IntakeOutcome) for o in (*first, *later))
    assert not container.batcher.stores_elsewhere
    assert stored_events(container) == 4


def test_reports_the_intake_process_had_when_it_stopped_get_a_clear_error(
    container: Container, demo_city: City, tmp_path: Path
) -> None:
    address, key = str(tmp_path / "dying.sock"), b"k" * 32
    listener = Listener(address, "AF_UNIX", authkey=key)

    def take_one_batch_and_die() -> None:  # a peer that stops before it answers
        conn = listener.accept()
        conn.recv()
        conn.close()
        listener.close()

    peer = threading.Thread(target=take_one_batch_and_die)
    peer.start()
    store_through_intake_process(container.batcher, container.clock, address, key)
    lost = asyncio.run(submit_all(container, reports(demo_city, 2)))
    peer.join(10)
    assert all(isinstance(o, StoreUnavailable) for o in lost)
    assert "may or may not have been stored" in str(lost[0])
    # from then on this process stores for itself
    again = asyncio.run(submit_all(container, reports(demo_city, 2)))
    assert all(isinstance(o, IntakeOutcome) for o in again)


def test_an_intake_process_that_cannot_start_says_so(env: dict[str, str]) -> None:
    broken = {**env, "CITYLOOP_CITY": "/no/such/city"}
    with pytest.raises(IntakeProcessFailed, match="exited with status"):
        IntakeProcess.start(broken, timeout_s=60)


def test_the_intake_process_warms_up_without_the_model_or_the_address_table(
    env: dict[str, str], demo_city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes import FakeAddresses, KeywordClassifier

    asked: list[str] = []

    class Watched(KeywordClassifier):
        def predict(self, text: str):  # type: ignore[no-untyped-def]
            asked.append(text)
            return super().predict(text)

    class WatchedAddresses(FakeAddresses):
        def match(self, text: str):  # type: ignore[no-untyped-def]
            asked.append(text)
            return super().match(text)

    for key, value in env.items():
        if key.startswith("CITYLOOP_"):
            monkeypatch.setenv(key, value)
    built = bootstrap(
        Settings(), city=demo_city, classifier=Watched(demo_city), addresses=WatchedAddresses({})
    )
    try:
        built.warm_up(follow_vital_signs=False, prepares=False)  # as the intake process does
        assert asked == []
        built.warm_up(follow_vital_signs=False)  # as a server process does
        assert asked == ["warm up", "warm up"]
    finally:
        built.close()


def test_an_answer_that_cannot_be_sent_back_becomes_a_clear_error_and_storing_goes_on(
    container: Container, demo_city: City, tmp_path: Path
) -> None:
    address, key = str(tmp_path / "intake.sock"), b"k" * 32
    # an answer writer whose answers cannot be pickled back to the server
    unsendable = IntakeServer(container.intake, render=lambda out, view: lambda: out)  # type: ignore[arg-type,return-value]
    listener = Listener(address, "AF_UNIX", authkey=key)
    unsendable.serve(listener)
    try:
        client = store_through_intake_process(container.batcher, container.clock, address, key)
        with container.reader() as uow:
            user = uow.users.get_by_username("city_op")
        assert user is not None
        view = AnswerView(container.auth.principal_of(user), "zh")

        async def send(batch: list[IncomingReport], with_view: bool) -> list[object]:
            asked = (container.batcher.submit_for(r, view if with_view else None) for r in batch)
            return list(await asyncio.gather(*asked, return_exceptions=True))

        lost = asyncio.run(send(reports(demo_city, 2), with_view=True))
        assert all(isinstance(o, RuntimeError) for o in lost)
        assert "could not send its answer back" in str(lost[0])
        again = asyncio.run(send(reports(demo_city, 4)[2:], with_view=False))
        assert all(isinstance(o, IntakeOutcome) for o in again)  # its store thread lives on
        assert container.batcher.stores_elsewhere
        assert unsendable.connected == 1
        client.close()  # a server that goes away is forgotten
        deadline = time.monotonic() + 10
        while unsendable.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert unsendable.connected == 0
    finally:
        listener.close()
        unsendable.stop()
