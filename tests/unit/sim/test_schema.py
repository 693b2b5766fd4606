"""The scenario file format: the shipped scenarios are valid, bad ones say what is wrong."""

from __future__ import annotations

import pytest

from cityloop.sim.schema import (
    SCENARIO_DIR,
    Expectation,
    ScenarioError,
    load_scenarios,
    parse_scenario,
    seconds,
)

GOOD = """
id: tiny
title: {zh: 小, en: tiny}
source: a test
duration: 2h
event_types: [UM10]
driver: {kind: railing, grid_worker: grid_yz01s01c01g001, type_code: UM10}
truth: {points: 1}
expect:
  - {metric: lost, op: "==", value: 0}
"""


def test_every_shipped_scenario_is_valid_and_the_seeds_cases_are_there() -> None:
    found = load_scenarios()
    assert set(found) == {
        "rainstorm-7-9", "washed-out-railing", "river-pollution", "spring-festival-crowd",
        "night-market-noise", "sensor-outage",
    }  # fmt: skip
    for s in found.values():
        assert any(e.metric == "lost" and e.value == 0 for e in s.expect), s.id
    assert found["rainstorm-7-9"].truth.points == 169
    assert len(list(SCENARIO_DIR.glob("*.yaml"))) == len(found)


def test_a_minimal_scenario_parses() -> None:
    s = parse_scenario(GOOD)
    assert s.driver.kind == "railing"
    assert s.clock_speed == 300.0
    assert seconds(s.duration) == 7200.0


def test_an_unknown_field_is_refused_with_its_path() -> None:
    bad = GOOD.replace("type_code: UM10}", "type_code: UM10, colour: red}")
    with pytest.raises(ScenarioError, match=r"bad\.yaml: driver\.railing\.colour: Extra inputs"):
        parse_scenario(bad, "bad.yaml")


def test_an_unknown_driver_kind_is_refused() -> None:
    with pytest.raises(ScenarioError, match="driver"):
        parse_scenario(GOOD.replace("kind: railing", "kind: tornado"))


def test_a_rainstorm_whose_points_do_not_add_up_is_refused() -> None:
    text = GOOD.replace(
        "{kind: railing, grid_worker: grid_yz01s01c01g001, type_code: UM10}",
        "{kind: rainstorm, district: YZ01, drizzle_mm_h: 5, drizzle: 1h, peak_mm_h: 50, "
        "flooded_manholes: 10, reported_points: 5}",
    )
    with pytest.raises(ScenarioError, match=r"truth\.points is 1 but the driver makes 10"):
        parse_scenario(text)


def test_a_bad_duration_is_refused() -> None:
    with pytest.raises(ScenarioError, match="duration"):
        parse_scenario(GOOD.replace("duration: 2h", "duration: soon"))
    with pytest.raises(ValueError, match="not a duration"):
        seconds("5 minutes")


@pytest.mark.parametrize(
    ("op", "value", "measured", "ok"),
    [
        ("==", 0, 0, True),
        ("==", 0, 1, False),
        ("<=", 165, 146.3, True),
        ("<", 60, 60, False),
        (">=", 0.95, 1.0, True),
        ("in", ["IV", "III"], "III", True),
        ("!=", [], ["PSB:control"], True),
        ("<=", 10, None, False),
        ("<", 10, "text", False),
    ],
)
def test_an_expectation_judges_the_measured_value(
    op: str, value: object, measured: object, ok: bool
) -> None:
    assert Expectation(metric="m", op=op, value=value).judge(measured) is ok  # type: ignore[arg-type]
