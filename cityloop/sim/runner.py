"""Run a scenario against a CityLoop (its own local server, or `--url`) and measure it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from cityloop.city import City, load_city
from cityloop.sim.client import CityLoopClient
from cityloop.sim.clock import Scheduler, SimClock
from cityloop.sim.desk import Desks
from cityloop.sim.schema import Railing, Scenario, seconds
from cityloop.sim.sensors import Faults, SensorField
from cityloop.sim.texts import ReportComposer
from cityloop.sim.workforce import DEMO_HANDLERS, Delays, Workforce

log = logging.getLogger(__name__)
TELEMETRY_CHUNK = 20_000


@dataclass
class Point:
    """One real incident of the ground truth: seen by a sensor (`warning` = (rule, subject))
    and/or reported by people (`reports` = refs of their reports)."""

    id: str
    warning: tuple[str, str] | None = None
    reports: list[str] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)


@dataclass
class Run:
    scenario: Scenario
    client: CityLoopClient
    city: City
    clock: SimClock
    sched: Scheduler
    sensors: SensorField
    rng: np.random.Generator
    composer: ReportComposer
    workforce: Workforce
    desks: Desks
    started: datetime
    open311_key: str
    points: dict[str, Point] = field(default_factory=dict)
    expected_warnings: set[tuple[str, str]] = field(default_factory=set)
    #: Subjects (sensors, areas) whose warnings belong to this scenario.
    scope_subjects: set[str] = field(default_factory=set)
    sent: dict[str, int] = field(default_factory=lambda: {"readings": 0, "reports": 0})
    rejected: list[str] = field(default_factory=list)
    marks: dict[str, datetime] = field(default_factory=dict)
    finished: Callable[[], bool] = field(default=lambda: False)
    #: Where each sensor lies (the city's locator, computed before the clock starts).
    located: Any = None

    def pump(self) -> None:
        """Send the readings due now."""
        ids, ts, values = self.sensors.due(self.clock.ts())
        for k in range(0, len(ids), TELEMETRY_CHUNK):
            answer = self.client.telemetry(
                ids[k : k + TELEMETRY_CHUNK],
                ts[k : k + TELEMETRY_CHUNK],
                values[k : k + TELEMETRY_CHUNK],
            )
            self.sent["readings"] += int(answer["accepted"])
            self.rejected.extend(r["reason"] for r in answer["rejections"][:5])

    def warnings_seen(self) -> list[dict[str, Any]]:
        from cityloop.sim.outcome import scenario_warnings

        return scenario_warnings(self, full=True)

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, self.clock.now())


def open311_key(city: City) -> str:
    from cityloop.city.open311 import load_open311

    demo = load_open311(city.root)
    if demo is None or not demo.demo_keys:
        raise RuntimeError("the city has no demo Open311 key (open311.yaml)")
    return demo.demo_keys[0].key


def run_scenario(
    scenario: Scenario,
    city_root: Path,
    url: str | None = None,
    *,
    model_dir: Path | None = None,
    wall_limit_s: float | None = None,
    city: City | None = None,
    stepped: bool = True,
) -> dict[str, Any]:
    """Run `scenario`; return its measured outcome (see docs/simulation.md). Its own server
    (no `url`) runs a stepped clock unless `stepped` is false; a server at `url` is taken as
    it is (its `/healthz` says which clock it runs)."""
    if url is not None:
        return _run(scenario, url, city or load_city(city_root), wall_limit_s)
    from cityloop.sim.server import local_server

    with local_server(
        city_root.resolve(), scenario.clock_speed, model_dir=model_dir, stepped=stepped
    ) as base:
        return _run(scenario, base, city or load_city(city_root), wall_limit_s)


def _run(scenario: Scenario, url: str, city: City, wall_limit_s: float | None) -> dict[str, Any]:
    from cityloop.sim.drivers import make_driver
    from cityloop.sim.outcome import measure

    client = CityLoopClient(url)
    people = ["admin", "city_op", *DEMO_HANDLERS.values()]
    if isinstance(scenario.driver, Railing):
        people.append(scenario.driver.grid_worker)
    client.prelogin(people)
    # Everything slow happens before the clock starts: at ×600 a second is ten minutes.
    rng = np.random.default_rng(scenario.seed)
    sensor_field = SensorField.from_city(city.root, rng, Faults(0.0, 0.0, 0.0))
    sensor_field.only(np.zeros(0, dtype=np.int64))
    located = city.locator.locate_many(sensor_field.table.lon, sensor_field.table.lat)
    composer = ReportComposer(rng)
    h = scenario.handling
    delays = Delays(h.triage, h.accept, h.start, h.resolve, h.feedback, h.verify, h.close,
                    h.spread, h.return_share)  # fmt: skip
    clock = SimClock.from_health(client.health())
    if clock.stepped:
        clock.stepper = client.advance_clock
    started = clock.now()
    errors: list[str] = []
    sched = Scheduler(clock, errors=lambda exc: errors.append(f"{type(exc).__name__}: {exc}"))
    workforce = Workforce(
        client, rng, delays, since=started, types=set(scenario.event_types), now=clock.ts
    )
    run = Run(
        scenario, client, city, clock, sched, sensor_field, rng, composer, workforce,
        Desks(client, workforce, rng), started, open311_key(city), located=located,
    )  # fmt: skip
    driver = make_driver(scenario.driver, run)
    driver.setup()
    run.desks.subjects = lambda s: s in run.scope_subjects
    run.desks.plans = set(scenario.plans)
    period = pump_period(clock.speed, run.sensors)
    # Sensors stream on their own thread on a running clock: slow people never starve them (a
    # gap in the readings would look like an outage to the server). On a stepped clock one
    # thread runs everything, and the clock moves on only when all that was due has run.
    sensor_sched = sched if clock.stepped else Scheduler(clock, errors=sched.on_error)
    sensor_sched.every(period, run.pump)
    work = max(0.2 * clock.speed, 30.0)  # people look at their lists every few minutes
    sched.every(work, workforce.round, first=period / 2)
    sched.every(work, run.desks.round, first=period / 3)
    sched.every(max(0.5 * clock.speed, 30.0), lambda: _check_done(run))
    end = started.timestamp() + seconds(scenario.duration)
    wall_start = time.monotonic()
    deadline = wall_start + wall_limit_s if wall_limit_s else None
    streaming = None
    if sensor_sched is not sched:
        streaming = threading.Thread(
            target=sensor_sched.run_until, args=(end, deadline), name="sim-sensors", daemon=True
        )
        streaming.start()
    try:
        sched.run_until(end, deadline)
    finally:
        if streaming is not None:
            sensor_sched.stop()
            streaming.join(timeout=30)
    ended = clock.now()
    outcome = measure(run, driver, ended)
    outcome["wall_seconds"] = round(time.monotonic() - wall_start, 1)
    outcome["errors"] = (errors + workforce.errors)[:10]
    outcome["actions"] = dict(workforce.done) | {
        "warnings_confirmed": len(run.desks.confirmed_warnings),
        "plan_actions": len(run.desks.plan_actions),
    }
    client.close_all()
    return outcome


def pump_period(speed: float, sensors: SensorField) -> float:
    """Simulated seconds between two batches of readings: half a real second at `speed`, but
    never longer than the shortest interval of a streaming sensor — a gateway forwards readings
    as they come, and a batch held back for several intervals would look like a silence to the
    staleness rules (a 60 s camera is offline after 180 s)."""
    period = max(0.5 * speed, 1.0)
    streaming = sensors.table.interval[sensors.active]
    if len(streaming):
        period = min(period, float(streaming.min()))
    return period


def _check_done(run: Run) -> None:
    if run.finished():
        run.sched.stop()
