"""The server's clock as seen from the simulator, and a scheduler in simulated time."""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

#: A stepped clock moves in steps of at least this much; jobs due within it of now are due
#: (float timestamps and the server's microseconds would otherwise leave gaps of ~1e-7 s).
STEP_RESOLUTION_S = 1e-3


@dataclass
class SimClock:
    """Mirrors the server clock: its time at one probe, then `speed` × the elapsed wall time.

    Against a server whose clock is stepped (`"clock": "stepped"` in `/healthz`) the time is
    the server's own and stands still until `advance_to` moves both on (through `stepper`,
    which asks the server to advance and answers its new time); `speed` then only sets the
    cadence of the simulation's jobs.
    """

    at_probe: datetime
    speed: float = 1.0
    probed: float = field(default_factory=time.monotonic)
    stepped: bool = False
    stepper: Callable[[float], datetime] | None = None

    @classmethod
    def from_health(cls, health: dict[str, object]) -> SimClock:
        """From `GET /healthz` (`time`, `clock_speed`, `clock`); a server without them runs
        real time."""
        text = health.get("time")
        at = datetime.fromisoformat(text) if isinstance(text, str) else datetime.now(UTC)
        speed = health.get("clock_speed", 1.0)
        return cls(
            at,
            float(speed) if isinstance(speed, int | float) else 1.0,
            stepped=health.get("clock") == "stepped",
        )

    def now(self) -> datetime:
        if self.stepped:
            return self.at_probe
        return self.at_probe + timedelta(seconds=(time.monotonic() - self.probed) * self.speed)

    def ts(self) -> float:
        return self.now().timestamp()

    def wall_seconds(self, sim_seconds: float) -> float:
        return sim_seconds / self.speed

    def advance_to(self, ts: float) -> None:
        """Move a stepped clock (and the server's) on to `ts`; nothing if it is already past."""
        if not self.stepped or self.stepper is None:
            raise RuntimeError("only a stepped clock with a stepper is advanced")
        gap = ts - self.ts()
        if gap > STEP_RESOLUTION_S:
            self.at_probe = self.stepper(gap)


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    fn: Callable[[], None] = field(compare=False)
    every: float | None = field(compare=False, default=None)


class Scheduler:
    """Run callables at simulated times (one thread; a slow call delays the next ones). On a
    stepped clock the time moves on only when every job due before has run."""

    def __init__(self, clock: SimClock, errors: Callable[[BaseException], None] | None = None):
        self.clock = clock
        self._jobs: list[_Job] = []
        self._seq = itertools.count()
        self._errors = errors
        self.stopped = False

    def at(self, ts: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._jobs, _Job(ts, next(self._seq), fn))

    def after(self, sim_seconds: float, fn: Callable[[], None]) -> None:
        self.at(self.clock.ts() + sim_seconds, fn)

    def every(self, sim_seconds: float, fn: Callable[[], None], first: float = 0.0) -> None:
        heapq.heappush(self._jobs, _Job(self.clock.ts() + first, next(self._seq), fn, sim_seconds))

    @property
    def on_error(self) -> Callable[[BaseException], None] | None:
        return self._errors

    def stop(self) -> None:
        self.stopped = True

    def run_until(self, end_ts: float, wall_deadline: float | None = None) -> None:
        """Run due jobs until the simulated time `end_ts` (or `stop()`, or the wall deadline)."""
        while not self.stopped and self._jobs:
            now = self.clock.ts()
            if now >= end_ts or (wall_deadline is not None and time.monotonic() > wall_deadline):
                return
            job = self._jobs[0]
            if self.clock.stepped:
                if job.due > now + STEP_RESOLUTION_S:
                    # everything due before has run: the clock may move on to the next job
                    self.clock.advance_to(min(job.due, end_ts))
                    continue
            elif job.due > now:
                wait = self.clock.wall_seconds(min(job.due, end_ts) - now)
                time.sleep(min(max(wait, 0.0), 0.5))
                continue
            heapq.heappop(self._jobs)
            try:
                job.fn()
            except Exception as exc:  # one failing call must not stop the city
                if self._errors is None:
                    raise
                self._errors(exc)
            if job.every is not None:
                job.due = max(job.due + job.every, self.clock.ts() - job.every)
                job.seq = next(self._seq)
                heapq.heappush(self._jobs, job)
