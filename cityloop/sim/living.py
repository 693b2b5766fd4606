"""`cityloop sim`: the living demo city.

Sensors stream (cycles, noise, drift, faults) and now and then something goes wrong (a gas
reading climbs, a manhole fills, a hydrant loses pressure) so that warnings rise and clear;
citizens report at a realistic volume with a time-of-day profile; the grid worker patrols;
operators, units and citizens work the cases. Bounded by `duration` (simulated time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cityloop.city import City, load_city
from cityloop.engine.sensor_types import SensorType
from cityloop.sim.channels import grid_report, hotline, open311, point_in
from cityloop.sim.citizens import ReportProfile
from cityloop.sim.client import ApiError, CityLoopClient
from cityloop.sim.clock import Scheduler, SimClock
from cityloop.sim.desk import Desks
from cityloop.sim.feedback import CitizenDesk
from cityloop.sim.runner import open311_key
from cityloop.sim.schema import seconds
from cityloop.sim.sensors import SensorField
from cityloop.sim.texts import ReportComposer
from cityloop.sim.workforce import Workforce

#: Incidents that make warnings rise and clear: (type, value as a function of the sensor's
#: params, how long it lasts in seconds).
INCIDENTS: tuple[tuple[SensorType, Callable[[SensorField, int], float], float], ...] = (
    (SensorType.GAS_LEL, lambda f, i: 30.0, 1800.0),
    (SensorType.MANHOLE_LEVEL, lambda f, i: 0.95 * float(f.param("depth_m", 2.5)[i]), 3600.0),
    (SensorType.HYDRANT_PRESSURE, lambda f, i: 0.08, 2700.0),
)
GRID_WORKER = "grid_yz01s01c01g001"


@dataclass
class LivingCity:
    client: CityLoopClient
    city: City
    clock: SimClock
    rng: np.random.Generator
    reports_per_day: float
    sensor_share: float
    hook_port: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"readings": 0, "reports": 0})
    errors: list[str] = field(default_factory=list)

    @classmethod
    def connect(
        cls,
        url: str,
        city_dir: Path,
        *,
        reports_per_day: float,
        sensor_share: float = 1.0,
        seed: int = 2026,
        wait_s: float = 120.0,
        hook_port: int | None = None,
    ) -> LivingCity:
        client = CityLoopClient(url)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                health = client.health()
                break
            except (OSError, ApiError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
        city = load_city(city_dir)
        rng = np.random.default_rng(seed)
        return cls(client, city, SimClock.from_health(health), rng, reports_per_day, sensor_share,
                   hook_port)  # fmt: skip

    def run(self, duration: str, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        clock, rng = self.clock, self.rng
        sched = Scheduler(clock, errors=lambda e: self.errors.append(f"{type(e).__name__}: {e}"))
        f = SensorField.from_city(self.city.root, rng)
        f.only(np.flatnonzero(rng.random(len(f.table.ids)) < self.sensor_share))
        composer = ReportComposer(rng)
        started = clock.now()
        workforce = Workforce(self.client, rng, since=started, now=clock.ts)
        desks = Desks(self.client, workforce, rng)
        profile = ReportProfile(self.city, rng, self.reports_per_day)
        key = open311_key(self.city)
        pool = ThreadPoolExecutor(4, thread_name_prefix="sim-report")
        holder = _Holder(self, composer, key, workforce)
        citizens = CitizenDesk(self.client, rng, self.hook_port) if self.hook_port else None

        def pump() -> None:
            ids, ts, values = f.due(clock.ts())
            for k in range(0, len(ids), 20_000):
                a = self.client.telemetry(ids[k : k + 20_000], ts[k : k + 20_000],
                                          values[k : k + 20_000])  # fmt: skip
                self.counts["readings"] += int(a["accepted"])

        last = [clock.ts()]

        def report() -> None:
            now = clock.ts()
            wanted = profile.draw(last[0], now)
            last[0] = now
            for type_code, lon, lat, channel in wanted[:200]:  # what one round can send
                pool.submit(holder.send, type_code, lon, lat, channel)

        incidents = [0]

        def incident() -> None:
            # the first is a gas leak (its rule raises at once); then any kind
            pick = 0 if incidents[0] == 0 else int(rng.integers(len(INCIDENTS)))
            incidents[0] += 1
            kind, value, lasts = INCIDENTS[pick]
            candidates = np.flatnonzero(f.type_mask(kind) & f.active)
            if len(candidates) == 0:
                return
            i = int(rng.choice(candidates))
            until = clock.ts() + lasts
            v = value(f, i)

            def forced(idx: Any, ts: Any) -> Any:
                normal = f.normal_values(idx, ts)
                return np.where(ts < until, v, normal)

            f.force(np.array([i]), forced)
            # a detector in alarm reports at once rather than at its next periodic slot
            f.next_due[i] = min(float(f.next_due[i]), clock.ts())

        def patrol() -> None:
            grid = GRID_WORKER.removeprefix("grid_").upper()
            lon, lat = point_in(self.city, grid, rng)
            code = str(rng.choice(["UM10", "UM07", "UM08", "UM02", "UM14", "UM09"]))
            grid_report(holder.run_view(), GRID_WORKER, code, lon, lat, bool(rng.random() < 0.7))
            self.counts["reports"] += 1

        period = max(0.5 * clock.speed, 5.0)
        sched.every(period, pump)
        sched.every(max(1.0 * clock.speed, 10.0), report, first=1.0)
        sched.every(max(1.0 * clock.speed, 30.0), workforce.round, first=period)
        sched.every(max(2.0 * clock.speed, 60.0), desks.round, first=period)
        sched.every(1200.0, incident, first=30.0)
        sched.every(3600.0, patrol, first=120.0)
        if citizens is not None:
            sched.every(max(1.0 * clock.speed, 30.0), citizens.round)
        if progress is not None:
            sched.every(max(10.0 * clock.speed, 600.0), lambda: progress(self._line(workforce)))
        try:
            sched.run_until(started.timestamp() + seconds(duration))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self.client.close_all()
            if citizens is not None:
                citizens.stop()
        return {
            "simulated_min": round((clock.now() - started).total_seconds() / 60, 1),
            "readings": self.counts["readings"],
            "reports": self.counts["reports"],
            "actions": workforce.done,
            "ratings": citizens.done if citizens is not None else {},
            "errors": self.errors[:5],
        }

    def _line(self, workforce: Workforce) -> str:
        return (
            f"{self.clock.now():%H:%M} sim: {self.counts['readings']} readings, "
            f"{self.counts['reports']} reports, actions {workforce.done}"
        )


@dataclass
class _Holder:
    """What the channel functions need from a run (the client, composer, key, counters)."""

    living: LivingCity
    composer: ReportComposer
    open311_key: str
    workforce: Workforce

    def run_view(self) -> Any:
        return _View(self)

    def send(self, type_code: str, lon: float, lat: float, channel: str) -> None:
        try:
            view = _View(self)
            if channel == "hotline":
                hotline(view, type_code, lon, lat)  # type: ignore[arg-type]
            else:
                open311(view, type_code, lon, lat)  # type: ignore[arg-type]
            self.living.counts["reports"] += 1
        except Exception as exc:  # one bad report must not stop the others
            self.living.errors.append(f"{type(exc).__name__}: {exc}")


class _View:
    def __init__(self, h: _Holder) -> None:
        self.client = h.living.client
        self.city = h.living.city
        self.composer = h.composer
        self.open311_key = h.open311_key
        self.rng = np.random.default_rng(int(h.living.rng.integers(2**32)))
        self.workforce = h.workforce
        self.sent = {"reports": 0}
