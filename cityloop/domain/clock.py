"""The clock is injected everywhere so that tests control time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that only moves when told to."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 8, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        self.current = self.current + timedelta(**kwargs)
        return self.current


class ScaledClock:
    """Simulated time that runs ``speed`` times faster than the wall clock.

    ``now = origin + (wall − origin) × speed``: at the wall-clock instant ``origin`` both agree,
    afterwards simulated time runs ahead. Processes given the same origin and speed agree on the
    time (several server workers, a simulator mirroring the server).
    """

    def __init__(self, speed: float, origin: datetime, wall: Clock | None = None) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self.origin = origin
        self._wall = wall or SystemClock()

    def now(self) -> datetime:
        return self.origin + (self._wall.now() - self.origin) * self.speed


class SteppedClock:
    """Simulated time that stands still until it is advanced (never backwards).

    A scenario driver advances it step by step, each step once everything due before it has
    been sent, so what the server sees does not depend on how fast the machine is.
    """

    def __init__(self, origin: datetime) -> None:
        if origin.tzinfo is None:
            raise ValueError("the origin needs a time zone")
        self.current = origin
        self._lock = Lock()

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("a stepped clock does not go back")
        with self._lock:
            self.current = self.current + timedelta(seconds=seconds)
            return self.current
