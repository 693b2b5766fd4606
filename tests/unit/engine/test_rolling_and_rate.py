"""Rolling-window aggregates (bucketed, irregular intervals) and rates of change."""

from __future__ import annotations

import pytest

from cityloop.engine.batch import ReadingBatch
from tests.unit.engine.helpers import T0, at_reading, engine, feed, kinds, rule, sensor, table

RAIN = table(sensor("R1", "rainfall", interval=300), sensor("R2", "rainfall", interval=3600))


def rain_rule() -> object:
    return rule(
        "rolling",
        ["rainfall"],
        {"yellow": {"value": 20, "window": "1h"}, "red": {"value": 30, "window": "1h"}},
        agg="sum",
        bucket="5m",
    )


def test_sums_readings_inside_the_window() -> None:
    eng = engine(RAIN, rain_rule())  # type: ignore[arg-type]
    changes = feed(eng, "R1", [5, 5, 5, 5, 5, 5])
    assert at_reading(changes) == [(3, "raised", "yellow"), (5, "upgraded", "red")]
    assert changes[1].value == 30
    assert changes[1].cause["window"] == "1h"
    assert changes[1].cause["aggregate"] == "sum"


def test_the_sum_falls_as_old_buckets_leave_the_window() -> None:
    eng = engine(RAIN, rain_rule())  # type: ignore[arg-type]
    changes = feed(eng, "R1", [25] + [0] * 12)
    # 12 buckets of 5 minutes: the 25 mm of reading 0 leave the window at reading 12.
    assert at_reading(changes) == [(0, "raised", "yellow"), (12, "cleared", "none")]


def test_missed_readings_leave_buckets_empty() -> None:
    eng = engine(RAIN, rain_rule())  # type: ignore[arg-type]
    times = [T0, T0 + 300, T0 + 2400, T0 + 3300]  # silent for 35 minutes in between
    changes = []
    for t, v in zip(times, [10, 5, 4, 2], strict=True):
        changes += eng.process(ReadingBatch.from_ids(RAIN, ["R1"], [t], [v]))
    assert kinds(changes) == [("raised", "yellow")]
    assert changes[0].ts == T0 + 3300
    assert changes[0].value == 21


def test_an_hourly_gauge_counts_its_whole_amount_in_its_bucket() -> None:
    eng = engine(RAIN, rain_rule())  # type: ignore[arg-type]
    changes = feed(eng, "R2", [12, 31, 10], step=3600)
    assert at_reading(changes, step=3600) == [(1, "raised", "red"), (2, "cleared", "none")]


def test_mean_and_max_aggregates() -> None:
    pm = table(sensor("P1", "pm25"))
    mean = rule("rolling", ["pm25"], {"yellow": {"value": 50}}, agg="mean", window="15m", id="m")
    peak = rule("rolling", ["pm25"], {"yellow": {"value": 90}}, agg="max", window="15m", id="x")
    eng = engine(pm, mean, peak)
    changes = feed(eng, "P1", [20, 100, 20, 20, 20])
    assert [(c.rule, round((c.ts - T0) / 300), c.kind.value) for c in changes] == [
        ("m", 1, "raised"),  # (20 + 100) / 2 = 60
        ("x", 1, "raised"),
        ("m", 2, "cleared"),  # 140 / 3 ≈ 46.7
        ("x", 4, "cleared"),  # the 100 left the 3-bucket window
    ]


def test_rate_of_change_per_hour_between_readings() -> None:
    slope = table(sensor("S1", "slope_displacement", interval=600))
    levels = {"yellow": {"value": 0.5}, "red": {"value": 2}}
    eng = engine(slope, rule("rate", ["slope_displacement"], levels, per="1h"))
    changes = feed(eng, "S1", [10.0, 10.05, 10.2, 10.6, 10.7], step=600)
    # rates: 0.3, 0.9, 2.4, 0.6 mm/h
    assert at_reading(changes, step=600) == [
        (2, "raised", "yellow"),
        (3, "upgraded", "red"),
        (4, "downgraded", "yellow"),
    ]
    assert changes[1].value == pytest.approx(2.4)


def test_rate_with_a_span_compares_readings_at_least_a_span_apart() -> None:
    slope = table(sensor("S1", "slope_displacement", interval=600))
    r = rule("rate", ["slope_displacement"], {"yellow": {"value": 0.5}}, per="1h", span="1h")
    eng = engine(slope, r)
    # Every 10 minutes; a jump at 20 min then back: judged only hourly (readings 6 and 12).
    values = [0, 0, 3, 0, 0, 0, 0.2] + [0.2] * 5 + [1.0]
    changes = feed(eng, "S1", values, step=600)
    assert at_reading(changes, step=600) == [(12, "raised", "yellow")]
    assert changes[0].cause["over_s"] == 3600
