"""Clocks: the stepped one of scenario runs moves only when advanced, and never back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cityloop.domain.clock import SteppedClock


def test_a_stepped_clock_stands_still_until_advanced() -> None:
    clock = SteppedClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert clock.advance(90) == datetime(2026, 12, 1, 8, 1, 30, tzinfo=UTC)
    assert clock.now() == datetime(2026, 12, 1, 8, 1, 30, tzinfo=UTC)


def test_a_stepped_clock_refuses_to_go_back_or_to_start_without_a_zone() -> None:
    clock = SteppedClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="time zone"):
        SteppedClock(datetime(2026, 12, 1, 8, 0))


def test_a_handed_clock_tells_the_time_it_was_handed_and_never_goes_back() -> None:
    from cityloop.domain.clock import HandedClock

    stepped = HandedClock(0.0)  # the other process's clock is stepped: it stands still
    past = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    stepped.hand_over(past)  # the first hand-over is taken even if behind the wall clock
    assert stepped.now() == stepped.now() == past
    stepped.hand_over(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    stepped.hand_over(past)  # a late, older hand-over is ignored
    assert stepped.now() == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="time zone"):
        stepped.hand_over(datetime(2026, 1, 1, 10, 0))


def test_a_handed_clock_runs_on_at_its_rate_between_hand_overs() -> None:
    from cityloop.domain.clock import HandedClock

    fast = HandedClock(1000.0)
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    fast.hand_over(start)
    import time

    time.sleep(0.01)
    assert fast.now() - start >= timedelta(seconds=5)  # 10 ms at 1,000×: about 10 s
    with pytest.raises(ValueError, match="negative"):
        HandedClock(-1.0)
