"""Demand analysis on seeded data with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from cityloop.evaluation.demand import (
    hotspots,
    priorities,
    rate_test,
    repeated_places,
    trends,
)
from cityloop.evaluation.frames import floats, strs


def test_a_grid_far_above_the_others_is_a_hot_spot() -> None:
    counts = {"G0": 10, **{f"G{i}": 1 for i in range(1, 10)}}
    summary, spots = hotspots(counts)
    # mean 1.9; variance (8.1² + 9 × 0.9²) / 10 = 7.29, σ 2.7; threshold 7.3
    assert summary == {"grids": 10, "mean": 1.9, "std": 2.7}
    assert spots[0].grid == "G0"
    assert spots[0].above_2_sigma
    assert spots[0].poisson_flag
    assert spots[0].z == pytest.approx(3.0)
    assert not any(s.above_2_sigma or s.poisson_flag for s in spots[1:])


def test_grids_without_reports_count_in_the_baseline_but_are_not_listed() -> None:
    summary, spots = hotspots({"G0": 4, "G1": 0, "G2": 0, "G3": 0})
    assert summary["mean"] == 1.0
    assert [s.grid for s in spots] == ["G0"]


def test_the_conditional_binomial_test_by_hand() -> None:
    # 10 now, 2 before: P(X ≥ 10 | Bin(12, ½)) = (66 + 12 + 1) / 4096
    assert rate_test(10, 2) == pytest.approx(79 / 4096)
    assert rate_test(0, 0) == 1.0
    assert rate_test(3, 3) > 0.5


def test_a_type_that_grew_significantly_is_rising_and_a_flat_one_is_not() -> None:
    h = 3600.0
    types = strs(["UM09"] * 12 + ["UM02"] * 6)
    places = strs(["D1"] * 18)
    # UM09: 2 in the previous day, 10 in this one; UM02: 3 and 3
    received = floats([-h] * 2 + [h] * 10 + [-h] * 3 + [h] * 3)
    rows = trends(types, places, received, 0.0, 24 * h)
    um09 = next(r for r in rows if r.type_code == "UM09")
    um02 = next(r for r in rows if r.type_code == "UM02")
    assert (um09.current, um09.previous, um09.change, um09.rising) == (10, 2, 4.0, True)
    assert um09.p_value == pytest.approx(79 / 4096, abs=1e-6)
    assert (um02.current, um02.previous, um02.rising) == (3, 3, False)


def test_three_reports_within_the_radius_are_a_repeated_place() -> None:
    # 0.0003° of latitude ≈ 33 m; the fourth point is ~1.1 km away; the fifth another type
    lat = floats([30.0, 30.0003, 30.0006, 30.01, 30.0])
    lon = floats([120.0, 120.0, 120.0, 120.0, 120.0])
    types = strs(["UM02", "UM02", "UM02", "UM02", "UM09"])
    places = repeated_places(types, lon, lat, min_reports=3, radius_m=100)
    assert len(places) == 1
    assert places[0].type_code == "UM02"
    assert places[0].reports == 3
    assert places[0].report_indexes == [0, 1, 2]
    assert repeated_places(types, lon, lat, min_reports=4, radius_m=100) == []


def test_the_priority_list_explains_each_entry() -> None:
    h = 3600.0
    types = strs(["UM09"] * 12 + ["UM02"] * 6)
    received = floats([-h] * 2 + [h] * 10 + [-h] * 3 + [h] * 3)
    rows = trends(types, strs(["YZ01"] * 18), received, 0.0, 24 * h)
    listed = priorities(rows, {("UM02", "YZ01"): (4, 3)})
    assert [p.type_code for p in listed] == ["UM09", "UM02"]
    # UM09: 10 × 2 (rising) × (1 + 0); UM02: 3 × 1 × (1 + 0.75)
    assert [p.score for p in listed] == [20.0, 5.25]
    assert "10 reports" in listed[0].why
    assert "rising" in listed[0].why
    assert "3 of 4 ratings ≤ 2 (75%)" in listed[1].why
    assert np.isclose(listed[0].p_value, 79 / 4096, atol=1e-6)
