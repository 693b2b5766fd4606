"""The demo city's rule library against hand-computed cases from the cited standards."""

from __future__ import annotations

import numpy as np
import pytest

from cityloop.engine.areas import AreaSpec
from cityloop.engine.engine import Engine
from cityloop.engine.library import library_documents
from cityloop.engine.rules.base import AnyRule
from cityloop.engine.rules.schema import RulesFile
from cityloop.engine.rules.transforms import iaqi_pm25
from tests.unit.engine.helpers import T0, at_reading, feed, kinds, sensor, table


def library() -> dict[str, AnyRule]:
    rules = [r for _, _, doc in library_documents() for r in RulesFile.model_validate(doc).rules]
    return {r.id: r for r in rules}


def one(rule_id: str, *rows: object, areas: list[AreaSpec] | None = None) -> Engine:
    return Engine(table(*rows), [library()[rule_id]], areas or [], clock=None)  # type: ignore[arg-type]


def test_every_library_rule_cites_its_source() -> None:
    for rule in library().values():
        assert len(rule.source) > 40, rule.id


@pytest.mark.parametrize(
    ("concentration", "iaqi"),
    [(0, 0), (35, 50), (50, 69), (75, 100), (80, 107), (115, 150), (150, 200), (200, 250),
     (250, 300), (400, 434), (500, 500), (800, 500)],
)  # fmt: skip
def test_pm25_iaqi_follows_hj_633_2012(concentration: float, iaqi: float) -> None:
    # e.g. 50 µg/m³: (100 − 50)/(75 − 35) × (50 − 35) + 50 = 68.75, rounded up to 69;
    # 80 µg/m³: 50/40 × 5 + 100 = 106.25 → 107; 400 µg/m³: 100/150 × 50 + 400 = 433.3 → 434.
    assert iaqi_pm25(np.array([float(concentration)]))[0] == iaqi


def test_rainstorm_signals_follow_the_cma_accumulations() -> None:
    eng = one("rainstorm-observed", sensor("R1", "rainfall", interval=3600))
    # Hourly gauge: 10 mm/h for 5 h = 50 mm within 6 h → yellow (blue, ≥ 50 mm in 12 h, is
    # passed in the same reading); then 10 + 10 + 30 = 50 mm in 3 h → orange; then
    # 30 + 25 + 50 = 105 mm in 3 h → red.
    changes = feed(eng, "R1", [10, 10, 10, 10, 10, 30, 25, 50], step=3600)
    assert at_reading(changes, step=3600) == [
        (4, "raised", "yellow"),
        (5, "upgraded", "orange"),
        (7, "upgraded", "red"),
    ]
    assert changes[-1].value == 105
    assert changes[-1].creates_event is False
    assert changes[0].creates_event is True


def test_rainstorm_blue_is_fifty_millimetres_over_twelve_hours() -> None:
    eng = one("rainstorm-observed", sensor("R1", "rainfall", interval=3600))
    changes = feed(eng, "R1", [5.0] * 10, step=3600)  # 50 mm in 10 h: not in 6 h
    assert at_reading(changes, step=3600) == [(9, "raised", "blue")]
    assert changes[0].cause["window"] == "12h"


def test_dissolved_oxygen_below_class_iii_three_times_raises_yellow() -> None:
    eng = one("dissolved-oxygen-gb3838", sensor("D1", "dissolved_oxygen", interval=3600))
    values = [5.5, 4.8, 4.9, 4.7, 2.9, 2.8, 2.7, 1.9, 1.8, 1.7, 6.0]
    changes = feed(eng, "D1", values, step=3600)
    assert at_reading(changes, step=3600) == [
        (3, "raised", "yellow"),  # 3rd consecutive reading < 5 mg/L (class III)
        (6, "upgraded", "orange"),  # 3rd consecutive < 3 (class IV)
        (9, "upgraded", "red"),  # 3rd consecutive < 2 (class V)
        (10, "cleared", "none"),
    ]
    assert changes[0].event_type == "AC10"
    assert changes[0].creates_event


def test_dissolved_oxygen_two_low_readings_do_not_warn() -> None:
    eng = one("dissolved-oxygen-gb3838", sensor("D1", "dissolved_oxygen", interval=3600))
    assert feed(eng, "D1", [4.0, 4.0, 5.5, 4.0, 4.0, 5.5], step=3600) == []


def test_pm25_levels_follow_aqi_categories_on_the_hourly_mean() -> None:
    eng = one("pm25-aqi", sensor("P1", "pm25"))
    # 12 readings of 5 minutes = the 1 h mean. 80 µg/m³ → IAQI 107 (light pollution) → blue.
    changes = feed(eng, "P1", [80.0] * 12)
    assert kinds(changes) == [("raised", "blue")]
    assert changes[0].value == 107
    # 160 µg/m³ → IAQI 210 (heavy pollution, 201–300) → orange and an AC11 event.
    changes = feed(eng, "P1", [160.0] * 12, start=T0 + 3600)
    assert kinds(changes)[-1] == ("upgraded", "orange")
    assert changes[-1].creates_event
    assert changes[-1].event_type == "AC11"


def test_water_level_against_the_gauges_warning_and_guaranteed_stages() -> None:
    gauge = sensor("W1", "water_level", params="warning_level=180;guarantee_level=182")
    eng = one("water-level-stage", gauge)
    values = [179.0, 179.6, 179.6, 180.2, 180.3, 181.1, 181.2, 182.0, 182.1]
    assert at_reading(feed(eng, "W1", values)) == [
        (2, "raised", "blue"),  # within 0.5 m of the warning stage, twice
        (4, "upgraded", "yellow"),  # above the warning stage, twice
        (6, "upgraded", "orange"),  # halfway to the guaranteed stage (181), twice
        (8, "upgraded", "red"),  # at the guaranteed stage, twice
    ]


def test_crowd_density_levels_per_square_metre() -> None:
    square = [[[106, 29], [106.001, 29], [106.001, 29.001], [106, 29]]]
    plaza = AreaSpec.model_validate(
        {
            "id": "P",
            "name_zh": "广场",
            "name_en": "Plaza",
            "kind": "commercial",
            "area_m2": 1000,
            "capacity": 1000,
            "geometry": {"type": "Polygon", "coordinates": square},
        }
    )
    eng = one("crowd-density", sensor("C1", "crowd_count", area="P"), areas=[plaza])
    changes = feed(eng, "C1", [1500, 3100, 3200, 5200], step=60)
    assert at_reading(changes, step=60) == [(2, "raised", "yellow"), (3, "upgraded", "red")]
    assert changes[0].event_type == "SS01"


def test_hydrant_pressure_below_gb_50974_minimums() -> None:
    eng = one("hydrant-pressure", sensor("H1", "hydrant_pressure", params="nominal_mpa=0.3"))
    values = [0.30, 0.20, 0.20, 0.13, 0.13, 0.09, 0.09]
    assert at_reading(feed(eng, "H1", values, step=900), step=900) == [
        (2, "raised", "blue"),  # < 0.7 × 0.3 = 0.21 MPa
        (4, "upgraded", "yellow"),  # < 0.14 MPa
        (6, "upgraded", "orange"),  # < 0.10 MPa
    ]


def test_slope_displacement_rate_per_hour() -> None:
    eng = one("slope-displacement-rate", sensor("S1", "slope_displacement", interval=3600))
    # +0.3 mm/h twice → blue; +0.6 twice → yellow; +1.5 → orange at once
    changes = feed(eng, "S1", [0, 0.3, 0.6, 1.2, 1.8, 3.3], step=3600)
    assert at_reading(changes, step=3600) == [
        (2, "raised", "blue"),
        (4, "upgraded", "yellow"),
        (5, "upgraded", "orange"),
    ]


def test_gas_lel_alarm_levels_of_gb_t_50493() -> None:
    eng = one("gas-lel", sensor("G1", "gas_lel"))
    assert kinds(feed(eng, "G1", [26.0, 51.0, 0.0])) == [
        ("raised", "orange"),
        ("upgraded", "red"),
        ("cleared", "none"),
    ]


def test_manhole_level_as_a_fraction_of_its_depth() -> None:
    eng = one("manhole-level", sensor("M1", "manhole_level", params="depth_m=2.0"))
    assert at_reading(feed(eng, "M1", [1.0, 1.3, 1.3, 1.7, 1.7, 2.0])) == [
        (2, "raised", "blue"),  # ≥ 1.2 m
        (4, "upgraded", "yellow"),  # ≥ 1.6 m
        (5, "upgraded", "red"),  # at the cover
    ]
