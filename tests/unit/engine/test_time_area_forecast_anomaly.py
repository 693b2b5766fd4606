"""Staleness, area aggregates, Holt forecasts and robust anomalies."""

from __future__ import annotations

from cityloop.engine.areas import AreaSpec
from cityloop.engine.batch import ReadingBatch
from tests.unit.engine.helpers import T0, at_reading, engine, feed, kinds, rule, sensor, table

SQUARE = {"type": "Polygon", "coordinates": [[[106, 29], [106.01, 29], [106.01, 29.01], [106, 29]]]}


def test_staleness_fires_after_k_missed_intervals_and_clears_on_the_next_reading() -> None:
    sensors = table(
        sensor("H1", "hydrant_pressure", interval=900), sensor("H2", "hydrant_pressure")
    )
    eng = engine(sensors, rule("staleness", ["hydrant_pressure"], {"yellow": {"value": 3}}))
    feed(eng, "H1", [0.3])
    assert eng.tick(T0 + 2 * 900) == []
    (stale,) = eng.tick(T0 + 3 * 900)
    assert (stale.subject, stale.kind.value, stale.level.label) == ("H1", "raised", "yellow")
    assert stale.cause["last_reading_ts"] == T0
    assert eng.tick(T0 + 10 * 900) == []  # still stale: no repeat
    changes = feed(eng, "H1", [0.3], start=T0 + 11 * 900)
    assert kinds(changes) == [("cleared", "none")]


def test_staleness_ignores_never_seen_sensors_unless_asked() -> None:
    sensors = table(
        sensor("H1", "hydrant_pressure", interval=900),
        sensor("H2", "hydrant_pressure", interval=900),
    )
    quiet = rule("staleness", ["hydrant_pressure"], {"yellow": {"value": 3}}, id="quiet")
    strict = rule(
        "staleness",
        ["hydrant_pressure"],
        {"yellow": {"value": 3}},
        id="strict",
        include_never_seen=True,
    )
    eng = engine(sensors, quiet, strict)
    feed(eng, "H1", [0.3])
    changes = eng.tick(T0 + 3 * 900)
    assert sorted((c.rule, c.subject) for c in changes) == [
        ("quiet", "H1"),
        ("strict", "H1"),
        ("strict", "H2"),
    ]


def area(aid: str, area_m2: float) -> AreaSpec:
    return AreaSpec.model_validate(
        {
            "id": aid,
            "name_zh": "商圈",
            "name_en": "Plaza",
            "kind": "commercial",
            "area_m2": area_m2,
            "capacity": int(area_m2),
            "geometry": SQUARE,
        }
    )


def test_area_density_sums_the_latest_count_of_each_sensor() -> None:
    sensors = table(
        sensor("C1", "crowd_count", area="A1"),
        sensor("C2", "crowd_count", area="A1"),
        sensor("C3", "crowd_count", area="A2"),
        sensor("C4", "crowd_count"),
    )
    levels = {"yellow": {"value": 3}, "red": {"value": 5}}
    eng = engine(
        sensors,
        rule("area", ["crowd_count"], levels, hysteresis=0.2),
        areas=[area("A1", 1000), area("A2", 100)],
    )
    step = [
        (["C1", "C2", "C3", "C4"], [1000, 1000, 100, 99999]),  # A1: 2/m², A2: 1/m²
        (["C1"], [2100]),  # A1: 3.1/m² → yellow
        (["C2"], [3000]),  # A1: 5.1/m² → red
        (["C1", "C2"], [1500, 1400]),  # A1: 2.9/m² → kept yellow by hysteresis (≥ 2.8)
        (["C2"], [1200]),  # A1: 2.7/m² → cleared
    ]
    changes = []
    for k, (ids, values) in enumerate(step):
        changes += eng.process(
            ReadingBatch.from_ids(sensors, ids, [T0 + 60 * k] * len(ids), values)
        )
    assert [(c.subject, c.kind.value, c.level.label) for c in changes] == [
        ("A1", "raised", "yellow"),
        ("A1", "upgraded", "red"),
        ("A1", "downgraded", "yellow"),
        ("A1", "cleared", "none"),
    ]
    assert changes[1].value == 5.1
    assert changes[1].subject_kind == "area"
    assert changes[1].cause["sensors"] == {"C1": 2100.0, "C2": 3000.0}


def test_forecast_warns_before_the_level_is_crossed_and_is_marked_predicted() -> None:
    gauges = table(sensor("W1", "water_level", params="warning_level=105"))
    r = rule(
        "forecast", ["water_level"], {"yellow": {"value": {"param": "warning_level"}}},
        horizon="1h", alpha=0.5, beta=0.5, min_readings=3,
    )  # fmt: skip
    eng = engine(gauges, r)
    rising = [100.0, 100.5, 101.0, 101.5, 102.0, 102.5]  # 6 m/h; crosses 105 in ~30 min
    changes = feed(eng, "W1", rising, step=300)
    assert changes, "a rising river must be warned before it reaches its warning stage"
    first = changes[0]
    assert (first.kind.value, first.level.label, first.predicted) == ("raised", "yellow", True)
    assert first.needs_confirmation
    assert first.cause["value"] < 105 <= first.value


def test_forecast_stays_quiet_on_a_steady_river() -> None:
    gauges = table(sensor("W1", "water_level", params="warning_level=105"))
    r = rule(
        "forecast", ["water_level"], {"yellow": {"value": {"param": "warning_level"}}}, horizon="1h"
    )
    assert feed(engine(gauges, r), "W1", [100.0] * 20) == []


def test_forecast_holt_step_matches_a_hand_computation() -> None:
    gauges = table(sensor("W1", "water_level"))
    r = rule("forecast", ["water_level"], {"yellow": {"value": 10.45}}, horizon="100s",
             alpha=0.5, beta=0.5, min_readings=2)  # fmt: skip
    # y = 10, 11 at 0 s and 100 s: ℓ = 0.5·11 + 0.5·10 = 10.5; b = 0.5·0.5/100 = 0.0025/s;
    # 100 s ahead: 10.5 + 0.25 = 10.75.
    (change,) = feed(engine(gauges, r), "W1", [10, 11], step=100)
    assert change.value == 10.75
    assert change.cause["smoothed"] == 10.5


def test_anomaly_flags_a_jump_away_from_the_rolling_median() -> None:
    do = table(sensor("D1", "dissolved_oxygen"))
    r = rule("anomaly", ["dissolved_oxygen"], {"yellow": {"value": 6}}, window=10, min_scale=0.05)
    eng = engine(do, r)
    normal = [7.0, 7.1, 6.9, 7.2, 6.8, 7.0, 7.1, 6.9, 7.0, 7.1]
    changes = feed(eng, "D1", [*normal, 7.05, 1.0, 7.0])
    # the last 10 readings before 1.0 (6.8 … 7.2): median 7.025; 1.0 scores far above 6
    assert at_reading(changes) == [(11, "raised", "yellow"), (12, "cleared", "none")]
    assert changes[0].anomaly
    assert changes[0].needs_confirmation
    assert changes[0].cause["median"] == 7.025


def test_anomaly_waits_for_a_full_window() -> None:
    do = table(sensor("D1", "dissolved_oxygen"))
    r = rule("anomaly", ["dissolved_oxygen"], {"yellow": {"value": 6}}, window=10)
    assert feed(engine(do, r), "D1", [7.0, 7.0, 0.5, 7.0]) == []
