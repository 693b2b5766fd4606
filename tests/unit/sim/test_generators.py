"""The simulation's generators: report texts, sensor readings, report volumes, the clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from cityloop.city import City
from cityloop.domain.clock import FixedClock, ScaledClock
from cityloop.engine.sensor_types import SensorType
from cityloop.sim.citizens import ReportProfile, hourly_profile
from cityloop.sim.clock import Scheduler, SimClock
from cityloop.sim.sensors import Faults, SensorField, activity
from cityloop.sim.texts import ReportComposer


def test_report_texts_vary_like_speech_and_keep_their_type() -> None:
    composer = ReportComposer(np.random.default_rng(1))
    texts = [composer.compose("UM06", "幸福社区").text for _ in range(200)]
    assert len(set(texts)) > 180  # hardly ever the same text twice
    assert all(t for t in texts)
    assert sum("幸福社区" in t for t in texts) > 50  # the place is often named
    openers = {t[:2] for t in texts}
    assert len(openers) > 20  # no single template


def test_grid_workers_write_short_factual_notes() -> None:
    composer = ReportComposer(np.random.default_rng(2))
    note = composer.compose("UM10", "滨江社区", grid_worker=True)
    assert note.text.startswith("巡查发现：滨江社区，")
    assert note.lang == "zh"


def test_every_corpus_type_can_be_composed() -> None:
    composer = ReportComposer(np.random.default_rng(3), english_share=0.5)
    for code in composer.types:
        assert composer.compose(code).type_code == code


def test_readings_have_a_daily_cycle_noise_and_stay_physical(demo_city_dir: Path) -> None:
    field = SensorField.from_city(demo_city_dir, np.random.default_rng(4), Faults(0, 0, 0))
    ids, _, values = field.due(1_780_000_000.0)
    assert len(ids) == len(field.table.ids)  # everyone reports once at the start
    v = np.array(values)
    water = field.type_mask(SensorType.WATER_LEVEL)
    assert (v[~water] >= 0).all()
    traffic = np.flatnonzero(field.type_mask(SensorType.TRAFFIC_SPEED))[:200]
    rush_hour = datetime(2026, 12, 1, 0, 0, tzinfo=UTC).timestamp()  # 08:00 in Yuzhou
    night = rush_hour + 18 * 3600  # 02:00
    slow = field.normal_values(traffic, np.full(len(traffic), rush_hour)).mean()
    fast = field.normal_values(traffic, np.full(len(traffic), night)).mean()
    assert fast - slow > 10  # slower traffic in the rush hour
    again = field.normal_values(traffic, np.full(len(traffic), night))
    assert not np.allclose(again, field.normal_values(traffic, np.full(len(traffic), night)))


def test_fast_sensors_report_every_interval_even_in_long_batches(demo_city_dir: Path) -> None:
    field = SensorField.from_city(demo_city_dir, np.random.default_rng(5), Faults(0, 0, 0))
    crowd = np.flatnonzero(field.type_mask(SensorType.CROWD_COUNT))[:10]
    field.only(crowd)
    t0 = 1_780_000_000.0
    field.due(t0)
    ids, ts, _ = field.due(t0 + 600.0)  # ten minutes of 60 s cameras
    per_sensor = {i: ids.count(i) for i in set(ids)}
    assert set(per_sensor.values()) <= {9, 10, 11}
    assert ts == sorted(ts)


def test_silenced_sensors_send_nothing_until_they_are_back(demo_city_dir: Path) -> None:
    field = SensorField.from_city(demo_city_dir, np.random.default_rng(6), Faults(0, 0, 0))
    some = np.flatnonzero(field.type_mask(SensorType.GAS_LEL))[:5]
    field.only(some)
    t0 = 1_780_000_000.0
    field.due(t0)
    field.silence(some[:2], t0 + 3600)
    ids, _, _ = field.due(t0 + 1800)
    assert not {field.table.ids[i] for i in some[:2]} & set(ids)
    ids, _, _ = field.due(t0 + 4000)
    assert {field.table.ids[i] for i in some[:2]} <= set(ids)


def test_faults_make_spikes_and_stuck_values(demo_city_dir: Path) -> None:
    field = SensorField.from_city(demo_city_dir, np.random.default_rng(7), Faults(0.2, 0.2, 0))
    t0 = 1_780_000_000.0
    field.due(t0)
    field.due(t0 + 900)
    assert field.stuck.any()


def test_the_daily_profile_sums_to_one_and_peaks_by_day() -> None:
    p = hourly_profile()
    assert abs(p.sum() - 1) < 1e-9
    assert p[3] < p[11] / 4
    assert p[3] < p[19] / 4
    assert activity(np.array([19.5]))[0] > activity(np.array([3.0]))[0]


def test_a_day_brings_about_the_asked_number_of_reports(demo_city: City) -> None:
    profile = ReportProfile(demo_city, np.random.default_rng(8), per_day=30_000)
    t0 = datetime(2026, 12, 1, 16, 0, tzinfo=UTC).timestamp()  # local midnight
    assert abs(profile.expected(t0, t0 + 86_400) - 30_000) < 300
    night = profile.expected(t0 + 3 * 3600, t0 + 4 * 3600)
    evening = profile.expected(t0 + 19 * 3600, t0 + 20 * 3600)
    assert evening > 4 * night
    drawn = profile.draw(t0 + 10 * 3600, t0 + 10 * 3600 + 600)
    assert 100 < len(drawn) < 600
    inside = demo_city.locator.locate_many(
        np.array([d[1] for d in drawn]), np.array([d[2] for d in drawn])
    ).inside
    assert inside.mean() > 0.95
    assert {d[3] for d in drawn} <= {"open311", "hotline"}


def test_a_scaled_clock_runs_faster_from_its_origin() -> None:
    wall = FixedClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    clock = ScaledClock(600, wall.now(), wall)
    assert clock.now() == wall.now()
    wall.advance(seconds=6)
    assert clock.now() == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_scheduler_runs_jobs_in_simulated_time() -> None:
    clock = SimClock(datetime.now(UTC), speed=3600.0)
    sched = Scheduler(clock)
    seen: list[str] = []
    sched.after(1800, lambda: seen.append("half an hour"))
    sched.every(600, lambda: seen.append("tick"))
    start = time.monotonic()
    sched.run_until((clock.now() + timedelta(hours=1)).timestamp())
    assert time.monotonic() - start < 3
    assert "half an hour" in seen
    assert 5 <= seen.count("tick") <= 7


def test_on_a_stepped_clock_time_moves_only_once_every_due_job_has_run() -> None:
    origin = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    clock = SimClock(origin, speed=300.0, stepped=True)
    steps: list[float] = []

    def stepper(seconds: float) -> datetime:  # what the server answers to POST /admin/clock
        steps.append(seconds)
        return clock.now() + timedelta(seconds=seconds)

    clock.stepper = stepper
    sched = Scheduler(clock)
    seen: list[tuple[str, float]] = []

    def slow() -> None:  # a slow round: on a stepped clock no simulated time passes meanwhile
        time.sleep(0.1)
        seen.append(("round", clock.ts() - origin.timestamp()))

    sched.every(60, slow)
    sched.after(90, lambda: seen.append(("once", clock.ts() - origin.timestamp())))
    sched.run_until(origin.timestamp() + 180)
    assert seen == [("round", 0), ("round", 60), ("once", 90), ("round", 120)]
    assert steps == [60, 30, 30, 60]
    assert clock.now() == origin + timedelta(minutes=3)
