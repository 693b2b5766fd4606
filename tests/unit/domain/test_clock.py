"""Clocks: the stepped one of scenario runs moves only when advanced, and never back."""

from __future__ import annotations

from datetime import UTC, datetime

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
