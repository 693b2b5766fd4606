"""The clock is injected everywhere so that tests control time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from threading import Lock
from time import monotonic
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


class HandedClock:
    """Time handed over by another process: the time it last sent, run on since at ``rate``
    (1 for the wall clock, a scaled clock's speed, 0 for a stepped clock, which stands still
    between steps). Before the first hand-over it tells the wall-clock time; afterwards it
    never goes back, whatever order the hand-overs arrive in.

    A process doing work for another (the intake process for the server) takes the server's
    time with each piece of work, so that both agree on it, simulated or stepped alike.
    """

    def __init__(self, rate: float) -> None:
        if rate < 0:
            raise ValueError("a clock's rate cannot be negative")
        self.rate = rate
        self._base = datetime.now(UTC)
        self._at = monotonic()
        self._handed = False
        self._lock = Lock()

    def hand_over(self, now: datetime) -> None:
        """The other process's time is ``now`` (ignored if it is behind this clock's)."""
        if now.tzinfo is None:
            raise ValueError("the time handed over needs a time zone")
        with self._lock:
            if not self._handed or now >= self.now():
                self._base, self._at, self._handed = now, monotonic(), True

    def now(self) -> datetime:
        if self.rate == 0 and self._handed:
            return self._base
        return self._base + timedelta(seconds=(monotonic() - self._at) * self.rate)
