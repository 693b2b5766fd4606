"""What crosses the socket comes back equal: batches of prepared reports and their outcomes."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

from cityloop.adapters.intake_process.protocol import Batch
from cityloop.adapters.memory import MemoryStore, MemoryUnitOfWork
from cityloop.city import City
from cityloop.domain.access import Principal, Role
from cityloop.domain.clock import FixedClock
from cityloop.domain.report import Channel
from cityloop.domain.territory import Level
from cityloop.services.intake import AnswerView, IncomingReport, IntakePipeline, RenderedOutcome
from tests.fakes import KeywordClassifier


def trip(value: object) -> object:
    from multiprocessing.reduction import ForkingPickler

    return pickle.loads(ForkingPickler.dumps(value))


def pipeline(city: City, clock: FixedClock) -> IntakePipeline:
    store = MemoryStore()
    return IntakePipeline(
        lambda: MemoryUnitOfWork(store), city, clock, KeywordClassifier(city), None
    )


def reports(city: City) -> list[IncomingReport]:
    p = city.jurisdictions["YZ02S01"].geometry.representative_point()
    return [
        IncomingReport(Channel.GRID, "井盖丢失了", lon=p.x, lat=p.y, submitted_by="grid"),
        IncomingReport(Channel.HOTLINE, "路灯不亮", address="滨江大道35号", attributes={"a": 1}),
    ]


def test_a_batch_of_prepared_reports_comes_back_equal(demo_city: City, clock: FixedClock) -> None:
    prepared = pipeline(demo_city, clock).prepare_many(reports(demo_city))
    reader = AnswerView(Principal("u1", "op", Role.CITY_OPERATOR, "YZ", Level.CITY), "en")
    batch = Batch(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), prepared, [reader, None])
    back = trip(batch)
    assert isinstance(back, Batch)
    assert back.now == batch.now
    assert back.reports == prepared
    assert back.views == [reader, None]


def test_an_answer_written_out_comes_back_equal() -> None:
    # one field: pickled as a tuple of one value, like the others
    answer = RenderedOutcome(b'{"event": {"id": "e1"}}')
    assert trip([answer]) == [answer]


def test_outcomes_come_back_with_their_events_timelines_and_reasons(
    demo_city: City, clock: FixedClock
) -> None:
    outcomes = pipeline(demo_city, clock).submit_many(reports(demo_city)[:1])
    back = trip(outcomes)
    assert back == outcomes
    assert isinstance(back, list)
    assert [e.action for e in back[0].event.timeline] == [
        e.action for e in outcomes[0].event.timeline
    ]
