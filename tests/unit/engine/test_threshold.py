"""Threshold rules: crossing, hold, hysteresis, upgrade, downgrade, clearing, edge-triggering."""

from __future__ import annotations

import pytest

from cityloop.engine.levels import WarningLevel
from cityloop.engine.warnings import ChangeKind
from tests.unit.engine.helpers import T0, at_reading, engine, feed, kinds, rule, sensor, table

GAS = table(sensor("G1", "gas_lel"), sensor("G2", "gas_lel"))
LEVELS = {
    "blue": {"value": 5},
    "yellow": {"value": 10},
    "orange": {"value": 25},
    "red": {"value": 50},
}


def test_fires_once_when_level_crosses_orange() -> None:
    eng = engine(GAS, rule("threshold", ["gas_lel"], LEVELS))
    changes = feed(eng, "G1", [1, 30, 31, 32, 33])
    assert at_reading(changes) == [(1, "raised", "orange")]
    assert changes[0].previous is WarningLevel.NONE


def test_upgrades_downgrades_and_clears_one_warning_with_a_stable_id() -> None:
    eng = engine(GAS, rule("threshold", ["gas_lel"], LEVELS))
    changes = feed(eng, "G1", [6, 12, 60, 12, 2])
    assert kinds(changes) == [
        ("raised", "blue"),
        ("upgraded", "yellow"),
        ("upgraded", "red"),
        ("downgraded", "yellow"),
        ("cleared", "none"),
    ]
    assert len({c.warning_id for c in changes}) == 1
    assert changes[0].warning_id == f"r-threshold/G1/{round(T0 * 1000)}"
    assert [c.previous.label for c in changes] == ["none", "blue", "yellow", "red", "yellow"]


def test_a_new_raise_after_a_clear_is_a_new_warning() -> None:
    eng = engine(GAS, rule("threshold", ["gas_lel"], LEVELS))
    changes = feed(eng, "G1", [6, 1, 6])
    assert kinds(changes) == [("raised", "blue"), ("cleared", "none"), ("raised", "blue")]
    assert changes[0].warning_id != changes[2].warning_id


def test_hold_of_n_readings_needs_n_consecutive_readings() -> None:
    levels = {"yellow": {"value": 10, "for": {"readings": 3}}}
    eng = engine(GAS, rule("threshold", ["gas_lel"], levels))
    changes = feed(eng, "G1", [12, 12, 3, 12, 12, 12, 12])
    assert at_reading(changes) == [(5, "raised", "yellow")]
    assert changes[0].cause["consecutive"] == 3
    assert changes[0].cause["for"] == {"readings": 3}


def test_hold_of_a_duration_counts_from_the_first_reading_of_the_run() -> None:
    levels = {"yellow": {"value": 10, "for": {"duration": "10m"}}}
    eng = engine(GAS, rule("threshold", ["gas_lel"], levels))
    changes = feed(eng, "G1", [12, 12, 12, 12], step=240)
    assert [round((c.ts - T0) / 240) for c in changes] == [3]  # 720 s ≥ 600 s after the first


def test_hysteresis_keeps_the_level_until_the_clear_threshold() -> None:
    eng = engine(GAS, rule("threshold", ["gas_lel"], {"yellow": {"value": 10}}, hysteresis=2))
    changes = feed(eng, "G1", [11, 9, 8.5, 7.9])
    assert at_reading(changes) == [(0, "raised", "yellow"), (3, "cleared", "none")]


def test_an_explicit_clear_threshold_overrides_hysteresis() -> None:
    levels = {"yellow": {"value": 10, "clear": 4}}
    eng = engine(GAS, rule("threshold", ["gas_lel"], levels, hysteresis=1))
    assert at_reading(feed(eng, "G1", [11, 5, 3.9])) == [
        (0, "raised", "yellow"),
        (2, "cleared", "none"),
    ]


def test_below_direction_fires_when_the_value_drops_under_the_threshold() -> None:
    do = table(sensor("D1", "dissolved_oxygen"))
    levels = {"yellow": {"value": 5}, "red": {"value": 2}}
    eng = engine(do, rule("threshold", ["dissolved_oxygen"], levels, direction="below"))
    changes = feed(eng, "D1", [6, 5, 4.99, 1.5, 7])
    assert at_reading(changes) == [
        (2, "raised", "yellow"),
        (3, "upgraded", "red"),
        (4, "cleared", "none"),
    ]


def test_each_subject_has_its_own_warning() -> None:
    eng = engine(GAS, rule("threshold", ["gas_lel"], LEVELS))
    from cityloop.engine.batch import ReadingBatch

    changes = eng.process(ReadingBatch.from_ids(GAS, ["G1", "G2"], [T0, T0], [12, 60]))
    assert sorted((c.subject, c.level.label) for c in changes) == [("G1", "yellow"), ("G2", "red")]


def test_several_readings_of_one_sensor_in_a_batch_are_judged_in_time_order() -> None:
    from cityloop.engine.batch import ReadingBatch

    eng = engine(GAS, rule("threshold", ["gas_lel"], LEVELS))
    batch = ReadingBatch.from_ids(GAS, ["G1"] * 4, [T0 + 3, T0 + 1, T0 + 2, T0 + 4], [1, 12, 60, 1])
    changes = eng.process(batch)
    assert [(c.ts - T0, c.kind) for c in changes] == [
        (1, ChangeKind.RAISED),
        (2, ChangeKind.UPGRADED),
        (3, ChangeKind.CLEARED),
    ]


def test_creates_event_only_when_reaching_the_event_level() -> None:
    eng = engine(GAS, rule("threshold", ["gas_lel"], LEVELS, event_type="AC03", event_at="orange"))
    changes = feed(eng, "G1", [6, 30, 60, 30, 6, 40])
    assert [c.creates_event for c in changes] == [False, True, False, False, False, True]
    assert all(c.event_type == "AC03" for c in changes)
    assert [c.at_event_level for c in changes] == [False, True, True, True, False, True]


def test_thresholds_can_come_from_each_sensors_params() -> None:
    gauges = table(
        sensor("W1", "water_level", params="warning_level=100;guarantee_level=104"),
        sensor("W2", "water_level", params="warning_level=200;guarantee_level=202"),
    )
    levels = {
        "yellow": {"value": {"param": "warning_level"}},
        "orange": {
            "value": {"param": "warning_level", "toward": "guarantee_level", "fraction": 0.5}
        },
        "red": {"value": {"param": "guarantee_level"}},
    }
    eng = engine(gauges, rule("threshold", ["water_level"], levels))
    assert kinds(feed(eng, "W1", [99, 101, 102])) == [("raised", "yellow"), ("upgraded", "orange")]
    assert kinds(feed(eng, "W2", [201, 200.5, 202], start=T0 + 10_000)) == [
        ("raised", "orange"),
        ("downgraded", "yellow"),
        ("upgraded", "red"),
    ]


def test_cause_names_the_rule_the_reading_and_the_threshold() -> None:
    eng = engine(GAS, rule("threshold", ["gas_lel"], LEVELS, id="gas"))
    (change,) = feed(eng, "G1", [30])
    assert change.cause["rule"] == "gas"
    assert change.cause["value"] == 30
    assert change.cause["threshold"] == 25
    assert change.cause["level_rule"] == "orange"
    assert (change.value, change.threshold) == (30, 25)


@pytest.mark.parametrize("values", [[12] * 50, [60] * 50])
def test_a_steady_level_never_repeats_its_warning(values: list[float]) -> None:
    eng = engine(GAS, rule("threshold", ["gas_lel"], LEVELS))
    assert len(feed(eng, "G1", values)) == 1
    assert len(eng.active()) == 1
    assert len(eng.active()[0].history) == 1
