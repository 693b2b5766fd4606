"""Scorecards on a hand-made city of three events, each figure computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from cityloop.evaluation.composite import ScoreWeights, rank
from cityloop.evaluation.frames import (
    EventFrame,
    Frames,
    RatingFrame,
    ReportFrame,
    TimelineFrame,
    floats,
    strs,
)
from cityloop.evaluation.scorecard import Scorecard, scorecards

H = 3600.0


def iso(hours: float) -> str:
    return datetime.fromtimestamp(hours * H, UTC).isoformat()


def line(event: int, seq: int, hours: float, action: str, unit: str | None = None, **payload: Any):  # type: ignore[no-untyped-def]
    return {
        "event": event,
        "seq": seq,
        "at": hours * H,
        "action": action,
        "unit": unit,
        "payload": payload,
    }


def dispatch(event: int, seq: int, hours: float, within: float = 0.5):  # type: ignore[no-untyped-def]
    return line(event, seq, hours, "dispatch", accept_by=iso(hours + within))


@pytest.fixture
def frames() -> Frames:
    """E0 on time and happy; E1 late, suspended 2 h, rated 2 and reopened; E2 bounced twice
    (URBAN, then PSB), accepted by PSB and left suspended; E3 before the period."""
    events = EventFrame(
        id=strs(["E0", "E1", "E2", "E3"]),
        created=floats([0, 1 * H, 2 * H, -10 * H]),
        type_code=strs(["UM09", "UM09", "UM02", "UM02"]),
        lead_unit=strs(["URBAN", "URBAN", "PSB", "URBAN"]),
        district=strs(["D1", "D1", "D1", "D1"]),
        street=strs(["S1", "S2", "S1", "S1"]),
        grid=strs(["G1", "G2", "G1", "G1"]),
        lon=floats([0, 0, 0, 0]),
        lat=floats([0, 0, 0, 0]),
    )
    rows = [
        line(0, 1, 0, "report"),
        dispatch(0, 2, 0),
        line(0, 3, 0.25, "accept", "URBAN"),
        line(0, 4, 2, "resolve", "URBAN", on_time=True),
        line(0, 5, 3, "verify"),
        line(0, 6, 4, "close"),
        line(0, 7, 5, "rate", score=5),
        line(1, 1, 1, "report"),
        dispatch(1, 2, 1),
        line(1, 3, 1.5, "overdue", phase="accept"),
        line(1, 4, 2, "accept", "URBAN"),
        line(1, 5, 3, "suspend", "URBAN"),
        line(1, 6, 5, "resume", "URBAN"),
        line(1, 7, 10, "resolve", "URBAN", on_time=False),
        line(1, 8, 10.5, "verify"),
        line(1, 9, 11, "close"),
        line(1, 10, 12, "rate", score=2),
        line(1, 11, 12, "reopen"),
        line(2, 1, 2, "report"),
        dispatch(2, 2, 2),
        line(2, 3, 2.2, "return", "URBAN"),
        line(2, 4, 2.5, "link_report"),
        dispatch(2, 5, 3),
        line(2, 6, 3.1, "return", "PSB"),
        dispatch(2, 7, 4),
        line(2, 8, 4.25, "accept", "PSB"),
        line(2, 9, 5, "suspend", "PSB"),
        line(3, 1, -10, "report"),
        line(3, 2, -9, "return", "URBAN"),
    ]
    timeline = TimelineFrame.build(rows[::-1])  # the builder sorts
    reports = ReportFrame(
        event=np.array([0, 1, 2, 2, 3], dtype=np.int64),
        received=floats([0, H, 2 * H, 2.5 * H, -10 * H]),
        type_code=strs(["UM09", "UM09", "UM02", "UM02", "UM02"]),
        lon=floats([0] * 5),
        lat=floats([0] * 5),
    )
    ratings = RatingFrame(event=np.array([0, 1], dtype=np.int64), score=floats([5, 2]))
    return Frames(events, timeline, reports, ratings)


def cards(frames: Frames, by: str) -> dict[str, Scorecard]:
    return {c.key: c for c in scorecards(frames, by, 0.0, 24 * H)}


def test_department_volumes_and_on_time_figures(frames: Frames) -> None:
    urban = cards(frames, "department")["URBAN"]
    assert (urban.received, urban.accepted, urban.accepted_on_time) == (2, 2, 1)
    assert urban.accept_on_time_rate == 0.5
    assert (urban.resolved, urban.disposed_on_time, urban.dispose_on_time_rate) == (2, 1, 0.5)
    assert urban.accept_hours_median == pytest.approx(0.625)  # waits 0.25 h and 1 h
    assert urban.accept_hours_p90 == pytest.approx(0.925)  # 0.25 + 0.9 × 0.75
    assert urban.dispose_hours_median == pytest.approx(5.5)  # 2 h and 9 h
    assert urban.dispose_hours_p90 == pytest.approx(8.3)
    assert (urban.overdue, urban.overdue_accept, urban.overdue_dispose, urban.escalated) == (
        1,
        1,
        0,
        1,
    )


def test_department_quality_and_satisfaction(frames: Frames) -> None:
    urban = cards(frames, "department")["URBAN"]
    assert (urban.closed, urban.reopened, urban.reopen_rate) == (2, 1, 0.5)
    assert (urban.verified, urban.verification_rate) == (2, 1.0)
    assert (urban.ratings, urban.rating_mean, urban.low_rating_share) == (2, 3.5, 0.5)
    assert urban.rating_response_rate == 1.0
    assert (urban.reports, urban.duplicate_reports) == (2, 0)
    psb = cards(frames, "department")["PSB"]
    assert (psb.reports, psb.duplicate_reports, psb.duplicate_report_rate) == (2, 1, 0.5)
    assert psb.accept_hours_median == pytest.approx(0.25)  # from the last dispatch before it
    assert psb.reopen_rate is None
    assert psb.rating_mean is None


def test_a_return_counts_against_the_unit_that_returned(frames: Frames) -> None:
    by_unit = cards(frames, "department")
    assert by_unit["URBAN"].returns == 1  # E2, although PSB now leads it; E3 is out of period
    assert by_unit["PSB"].returns == 1


def test_a_closure_reopened_by_a_low_rating_counts_against_the_unit(frames: Frames) -> None:
    by_unit = cards(frames, "department")
    assert by_unit["URBAN"].anti_gaming.reopened_by_low_rating == 1
    assert by_unit["PSB"].anti_gaming.reopened_by_low_rating == 0


def test_an_event_bounced_between_units_counts_against_each_that_returned_it(
    frames: Frames,
) -> None:
    by_unit = cards(frames, "department")
    assert by_unit["URBAN"].anti_gaming.bounced_returns == 1
    assert by_unit["PSB"].anti_gaming.bounced_returns == 1
    district = cards(frames, "district")["D1"]
    assert (district.returns, district.anti_gaming.bounced_returns) == (2, 1)


def test_suspensions_are_counted_with_the_time_they_stopped_the_clock(frames: Frames) -> None:
    by_unit = cards(frames, "department")
    assert by_unit["URBAN"].anti_gaming.suspensions == 1
    assert by_unit["URBAN"].anti_gaming.suspended_hours == pytest.approx(2.0)  # 3 h → 5 h
    assert by_unit["PSB"].anti_gaming.suspended_hours == pytest.approx(19.0)  # 5 h → end 24 h
    assert cards(frames, "district")["D1"].anti_gaming.suspended_hours == pytest.approx(21.0)


def test_the_composite_score_follows_its_formula(frames: Frames) -> None:
    ranked = scorecards(frames, "department", 0.0, 24 * H, ScoreWeights())
    urban = next(c for c in ranked if c.key == "URBAN")
    # base: 100 × (.35·.625 + .10·.5 + .05·1 + .15·.5 + .10·.5 + .10·1 + .10·.5 + .05·.5)
    assert urban.score_parts["base"] == pytest.approx(61.875, abs=0.01)
    # penalty: 100 × (.5·1 low-rating reopen + .25·1 bounced + .1·1 suspension) / 2 received
    assert urban.score_parts["penalty"] == pytest.approx(42.5)
    assert urban.score == pytest.approx(19.375, abs=0.01)
    psb = next(c for c in ranked if c.key == "PSB")
    # only accepted on time (1.0) and not overdue (1.0) have data: base 100; penalty 35
    assert psb.score == pytest.approx(65.0)
    assert [(c.key, c.rank) for c in ranked] == [("PSB", 1), ("URBAN", 2)]


def test_satisfaction_weighs_most_and_closed_counts_are_no_component() -> None:
    dumped = ScoreWeights().model_dump()
    weights = {
        k: v for k, v in dumped.items() if not k.startswith("penalty_") and k != "shrinkage_events"
    }
    assert max(weights, key=lambda k: weights[k]) == "satisfaction"
    assert not any("closed" in k for k in weights)


def test_territory_scorecards(frames: Frames) -> None:
    streets = cards(frames, "street")
    assert (streets["S1"].received, streets["S2"].received) == (2, 1)
    assert cards(frames, "district")["D1"].received == 3
    assert scorecards(frames, "street", 100 * H, 200 * H) == []


def test_a_unit_with_few_events_does_not_top_the_ranking_on_little_evidence() -> None:
    # one perfect event against forty good ones: the raw score says "few" wins, shrinkage not
    few = Scorecard(key="FEW", received=1, score=100.0)
    many = Scorecard(key="MANY", received=40, score=95.0)
    poor = Scorecard(key="POOR", received=40, score=60.0)
    ranked = rank([few, many, poor], k=10.0)
    prior = (1 * 100 + 40 * 95 + 40 * 60) / 81  # 77.78
    assert few.ranking_score == pytest.approx((100 + 10 * prior) / 11, abs=0.01)  # 79.80
    assert many.ranking_score == pytest.approx((40 * 95 + 10 * prior) / 50, abs=0.01)  # 91.56
    assert [(c.key, c.rank) for c in ranked] == [("MANY", 1), ("FEW", 2), ("POOR", 3)]
    # without shrinkage (k = 0) the ranking score is the score
    assert [c.key for c in rank([few, many, poor], k=0.0)] == ["FEW", "MANY", "POOR"]
    assert few.ranking_score == 100.0
