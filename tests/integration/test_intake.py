"""The intake pipeline on a real store: classify, locate, de-duplicate, route, persist."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.city import City
from cityloop.domain.clock import FixedClock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.lifecycle import State
from cityloop.domain.report import Channel
from cityloop.services.commands import Contact
from cityloop.services.intake import IncomingReport, IntakePipeline
from cityloop.services.ports import UnitOfWork
from tests.fakes import FakeAddresses, KeywordClassifier


@pytest.fixture
def uow(tmp_path: Path) -> Iterator[object]:
    engine = create_engine(f"sqlite:///{tmp_path / 'i.db'}")
    upgrade(engine)
    yield lambda: SqlUnitOfWork(engine)
    engine.dispose()


def centre(city: City, code: str) -> tuple[float, float]:
    p = city.jurisdictions[code].geometry.representative_point()
    return p.x, p.y


@pytest.fixture
def pipeline(demo_city: City, uow, clock: FixedClock) -> IntakePipeline:  # type: ignore[no-untyped-def]
    lon, lat = centre(demo_city, "YZ02S01")
    addresses = FakeAddresses({"滨江大道35号": (lon, lat)})
    return IntakePipeline(uow, demo_city, clock, KeywordClassifier(demo_city), addresses)


def grid_of(city: City) -> str:
    return next(j.code for j in city.jurisdictions.values() if j.level.value == "grid")


def test_a_report_with_type_and_point_is_dispatched_at_once_with_reasons(
    pipeline: IntakePipeline,
    demo_city: City,
    uow,  # type: ignore[no-untyped-def]
) -> None:
    lon, lat = centre(demo_city, grid_of(demo_city))
    out = pipeline.submit(
        IncomingReport(Channel.GRID, "Railing washed out", type_code="UM10", lon=lon, lat=lat)
    )
    assert out.dispatched
    assert not out.merged
    assert out.event.state is State.DISPATCHED
    assert out.event.lead_unit == "URBAN"
    assert out.event.board == "SR"
    assert out.report.event_id == out.event.id
    dispatch = out.event.timeline[-1]
    assert any("UM10" in r for r in dispatch.payload["reasons"])
    factory: object = uow
    with factory() as u:  # type: ignore[operator]
        assert isinstance(u, UnitOfWork)
        assert u.reports.get(out.report.id) is not None
        names = [m.name for m in u.unpublished()]
    assert names == ["EventReported", "EventTriaged", "EventDispatched"]


def test_a_confident_classification_is_dispatched_and_says_why(
    pipeline: IntakePipeline, demo_city: City
) -> None:
    lon, lat = centre(demo_city, "YZ03")
    out = pipeline.submit(
        IncomingReport(Channel.HOTLINE, "楼下夜市音响太吵，凌晨还不停", lon=lon, lat=lat)
    )
    assert out.event.type_code == "UM06"
    assert out.dispatched
    triage = next(e for e in out.event.timeline if e.action == "triage")
    assert any("夜市" in r for r in triage.payload["reasons"])


def test_an_unsure_classification_goes_to_the_manual_triage_queue(
    pipeline: IntakePipeline, demo_city: City
) -> None:
    lon, lat = centre(demo_city, "YZ03")
    out = pipeline.submit(IncomingReport(Channel.HOTLINE, "有点事情想反映一下", lon=lon, lat=lat))
    assert out.event.state is State.REPORTED
    assert not out.dispatched
    assert "classifier not confident" in out.triage_reasons[0]
    assert out.event.triage_reasons == out.triage_reasons


def test_an_address_is_located_through_the_address_table(
    pipeline: IntakePipeline,
) -> None:
    out = pipeline.submit(
        IncomingReport(Channel.HOTLINE, "井盖没了", type_code="UM07", address="滨江大道35号")
    )
    assert out.event.location.chain is not None
    assert out.event.location.chain.street == "YZ02S01"
    assert any("滨江大道35号" in r for r in out.location_reasons)


def test_an_unknown_address_goes_to_triage_with_the_reason(pipeline: IntakePipeline) -> None:
    out = pipeline.submit(
        IncomingReport(Channel.HOTLINE, "井盖没了", type_code="UM07", address="不存在路1号")
    )
    assert out.event.state is State.REPORTED
    assert any("address not found" in r for r in out.triage_reasons)


def test_a_point_outside_the_city_is_refused_and_nothing_is_stored(
    pipeline: IntakePipeline,
    uow,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(InvalidCommand, match="outside the jurisdiction"):
        pipeline.submit(IncomingReport(Channel.OPEN311, "x", type_code="UM01", lon=0, lat=0))
    with uow() as u:
        assert list(u.unpublished()) == []


def test_reports_of_one_problem_become_one_event(
    pipeline: IntakePipeline, demo_city: City, clock: FixedClock
) -> None:
    lon, lat = centre(demo_city, "YZ04")
    first = pipeline.submit(
        IncomingReport(
            Channel.OPEN311,
            "Manhole cover missing",
            type_code="UM07",
            lon=lon,
            lat=lat,
            contact=Contact(phone="13800000001"),
        )
    )
    clock.advance(hours=2)
    second = pipeline.submit(
        IncomingReport(
            Channel.HOTLINE,
            "Manhole cover gone",
            type_code="UM07",
            lon=lon + 0.001,
            lat=lat,
            contact=Contact(phone="13800000002"),
        )
    )
    assert second.merged
    assert second.event.id == first.event.id
    assert second.event.report_ids == (first.report.id, second.report.id)
    link = second.event.timeline[-1]
    assert link.action == "link_report"
    assert any("m away" in r for r in link.payload["reasons"])


def test_far_away_late_or_other_type_reports_make_new_events(
    pipeline: IntakePipeline, demo_city: City, clock: FixedClock
) -> None:
    lon, lat = centre(demo_city, "YZ05")
    first = pipeline.submit(
        IncomingReport(Channel.GRID, "pothole", type_code="UM08", lon=lon, lat=lat)
    )
    far = pipeline.submit(
        IncomingReport(Channel.GRID, "pothole", type_code="UM08", lon=lon + 0.01, lat=lat)
    )
    other = pipeline.submit(
        IncomingReport(Channel.GRID, "streetlight", type_code="UM09", lon=lon, lat=lat)
    )
    clock.advance(hours=25)
    late = pipeline.submit(
        IncomingReport(Channel.GRID, "pothole", type_code="UM08", lon=lon, lat=lat)
    )
    assert len({first.event.id, far.event.id, other.event.id, late.event.id}) == 4


def test_a_type_with_merge_radius_0_never_joins_by_place_and_another_radius_is_the_types(
    pipeline: IntakePipeline,
    demo_city: City,
    uow,  # type: ignore[no-untyped-def]
    clock: FixedClock,
) -> None:
    """A sensing device's fault (DV01, radius 0 in the demo city) is that device's case,
    however close another faulty device is; a type's own radius replaces the 200 m."""
    lon, lat = centre(demo_city, "YZ06")
    a, b = (
        pipeline.submit(
            IncomingReport(Channel.SENSOR, f"{sid} offline", type_code="DV01", lon=lon, lat=lat)
        )
        for sid in ("TS0001", "TS0002")
    )
    assert not b.merged
    assert a.event.id != b.event.id
    types = dict(demo_city.event_types)
    types["UM08"] = replace(types["UM08"], merge_radius_m=2000.0)
    city = replace(demo_city, event_types=types)
    wide = IntakePipeline(uow, city, clock, KeywordClassifier(city), FakeAddresses({}))
    first = wide.submit(IncomingReport(Channel.GRID, "pothole", type_code="UM08", lon=lon, lat=lat))
    near = wide.submit(  # about 1 km away: joins within the type's 2 km
        IncomingReport(Channel.GRID, "pothole", type_code="UM08", lon=lon + 0.01, lat=lat)
    )
    assert near.merged
    assert near.event.id == first.event.id
    link = next(x for x in near.event.timeline if x.payload.get("report_id") == near.report.id)
    assert any("within 2000 m" in r for r in link.payload["reasons"])


def test_a_batch_is_stored_whole_or_not_at_all(
    pipeline: IntakePipeline,
    demo_city: City,
    uow,  # type: ignore[no-untyped-def]
) -> None:
    lon, lat = centre(demo_city, "YZ06")
    good = IncomingReport(Channel.DEPARTMENT, "ok", type_code="UM01", lon=lon, lat=lat)
    bad = IncomingReport(Channel.DEPARTMENT, "bad", type_code="NOPE", lon=lon, lat=lat)
    with pytest.raises(InvalidCommand):
        pipeline.submit_many([good, bad])
    with uow() as u:
        assert list(u.unpublished()) == []
    assert len(pipeline.submit_many([good, good])) == 2


def test_refs_are_readable_and_daily(pipeline: IntakePipeline, demo_city: City) -> None:
    lon, lat = centre(demo_city, "YZ07")
    out = pipeline.submit(IncomingReport(Channel.GRID, "x", type_code="UM01", lon=lon, lat=lat))
    assert out.event.ref.startswith("YZ-20261123-")
    assert out.report.ref.startswith("YZ-R20261123-")
    assert timedelta(0) == out.event.created_at - out.report.received_at


def test_a_batch_looks_up_stored_duplicates_once_and_merges_twice_into_the_same_event(
    pipeline: IntakePipeline,
    demo_city: City,
    uow,  # type: ignore[no-untyped-def]
) -> None:
    lon, lat = centre(demo_city, "YZ04")
    first = pipeline.submit(
        IncomingReport(
            Channel.GRID, "井盖丢失 manhole cover missing", type_code="UM02", lon=lon, lat=lat
        )
    )
    far_lon, far_lat = centre(demo_city, "YZ08")
    again = IncomingReport(
        Channel.DEPARTMENT, "井盖丢失 manhole cover missing", type_code="UM02", lon=lon, lat=lat
    )
    elsewhere = IncomingReport(
        Channel.DEPARTMENT, "井盖丢失", type_code="UM02", lon=far_lon, lat=far_lat
    )
    outs = pipeline.submit_many([again, elsewhere, again])
    assert [o.merged for o in outs] == [True, False, True]
    assert outs[0].event.id == outs[2].event.id == first.event.id
    with uow() as u:
        stored = u.events.get(first.event.id)
        assert stored is not None
        assert len(stored.report_ids) == 3
        assert stored.version == first.event.version + 2


def across_a_boundary(city: City, level: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two points about 60 m apart that lie in different streets (of one district, for level
    "street") or in different districts (level "district")."""
    for _code, j in sorted(city.jurisdictions.items()):
        if j.level.value != "street":
            continue
        ring = (
            j.geometry.exterior if hasattr(j.geometry, "exterior") else j.geometry.geoms[0].exterior
        )
        for k in range(200):
            p = ring.interpolate(k / 200, normalized=True)
            for dx, dy in ((0.0003, 0), (-0.0003, 0), (0, 0.0003), (0, -0.0003)):
                a = city.locator.locate(p.x - dx, p.y - dy)
                b = city.locator.locate(p.x + dx, p.y + dy)
                if a is None or b is None or a.street == b.street:
                    continue
                if (a.district == b.district) == (level == "street"):
                    return (p.x - dx, p.y - dy), (p.x + dx, p.y + dy)
    raise AssertionError(f"no {level} boundary found")


@pytest.mark.parametrize(("boundary", "level"), [("street", "district"), ("district", "city")])
def test_a_duplicate_from_another_territory_raises_the_handling_level(
    pipeline: IntakePipeline, demo_city: City, boundary: str, level: str
) -> None:
    (lon1, lat1), (lon2, lat2) = across_a_boundary(demo_city, boundary)
    text = "路灯不亮 streetlight out"
    first = pipeline.submit(
        IncomingReport(Channel.GRID, text, type_code="UM09", lon=lon1, lat=lat1)
    )
    assert first.event.handling_level.value == "street"
    again = pipeline.submit(
        IncomingReport(Channel.GRID, text, type_code="UM09", lon=lon2, lat=lat2)
    )
    assert again.merged
    assert again.event.handling_level.value == level
    step = again.event.timeline[-1]
    assert step.action == "escalate"
    assert step.payload["to_level"] == level
    assert "takes the handling" in (step.note or "")


def test_a_batch_is_classified_in_one_pass_with_the_same_answers_as_one_by_one(
    pipeline: IntakePipeline, demo_city: City
) -> None:
    lon, lat = centre(demo_city, "YZ03")
    texts = ["楼下夜市音响太吵，凌晨还不停", "井盖不见了", "", "路灯坏了"]
    batch = [
        IncomingReport(Channel.GRID, t, title="" if t else "无描述", lon=lon, lat=lat)
        for t in texts
    ]
    batch.append(IncomingReport(Channel.GRID, "given", type_code="UM10", lon=lon, lat=lat))
    calls: list[list[str]] = []
    assert pipeline.classifier is not None
    one_by_one = pipeline.classifier.predict_many

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return one_by_one(texts)

    pipeline.classifier.predict_many = counting  # type: ignore[method-assign]
    together = pipeline.prepare_many(batch)
    assert len(calls) == 1
    assert len(calls[0]) == 4  # the typed report is not classified
    assert [p[1] for p in together] == [pipeline.prepare(r)[1] for r in batch]
    outcomes = pipeline.store_prepared(together)
    assert [o.report.event_id for o in outcomes] == [o.event.id for o in outcomes]


def test_a_batch_with_an_invalid_report_is_refused_whole_before_anything_is_stored(
    pipeline: IntakePipeline, demo_city: City
) -> None:
    lon, lat = centre(demo_city, "YZ03")
    good = IncomingReport(Channel.GRID, "井盖不见了", lon=lon, lat=lat)
    bad = IncomingReport(Channel.GRID, "x", type_code="NOPE", lon=lon, lat=lat)
    with pytest.raises(InvalidCommand, match="unknown event type 'NOPE'"):
        pipeline.submit_prepared_many([good, bad])
    assert pipeline.submit_prepared_many([good])[0].event.id


class TickingClock(FixedClock):
    """A clock that moves on a millisecond at every reading."""

    def now(self) -> datetime:
        return self.advance(seconds=0.001)


def test_a_batch_is_received_at_one_moment_the_transactions(
    demo_city: City,
    uow,  # type: ignore[no-untyped-def]
) -> None:
    clock = TickingClock()
    pipeline = IntakePipeline(uow, demo_city, clock, KeywordClassifier(demo_city), None)
    lon, lat = centre(demo_city, "YZ03")
    far_lon, far_lat = centre(demo_city, "YZ05")
    outs = pipeline.submit_many(
        [
            IncomingReport(Channel.GRID, "井盖丢失", type_code="UM02", lon=lon, lat=lat),
            IncomingReport(Channel.GRID, "路灯不亮", type_code="UM01", lon=far_lon, lat=far_lat),
        ]
    )
    moments = {o.report.received_at for o in outs} | {o.event.created_at for o in outs}
    moments |= {entry.at for o in outs for entry in o.event.timeline}
    assert len(moments) == 1
    later = pipeline.submit(
        IncomingReport(Channel.GRID, "路灯不亮", type_code="UM01", lon=lon, lat=lat)
    )
    assert later.report.received_at > moments.pop()
