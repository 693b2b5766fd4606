"""What happens in each kind of scenario: which sensors read what, who reports what, when, and
the ground truth of it (points, expected warnings). The system learns it only over HTTP."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

import numpy as np

from cityloop.engine.sensor_types import TYPE_ORDER, SensorType
from cityloop.sim import schema
from cityloop.sim.channels import grid_report, hotline, open311, point_in, point_near
from cityloop.sim.runner import Point, Run
from cityloop.sim.schema import seconds

Idx = np.ndarray[Any, Any]


def _iso(ts: float) -> datetime:
    return datetime.fromtimestamp(ts).astimezone()


def sensors_in(run: Run, code: str, kinds: tuple[SensorType, ...] | None = None) -> Idx:
    """Indices of the sensors inside jurisdiction `code` (of these types)."""
    t = run.sensors.table
    level = run.city.jurisdictions[code].level
    located = run.located
    codes = located.codes(level)
    index = located.index(level)
    k = codes.index(code) if code in codes else -1
    mask = index == k
    if kinds is not None:
        mask &= np.isin(t.types, [TYPE_ORDER.index(x) for x in kinds])
    return np.flatnonzero(mask)


class Driver(ABC):
    """A scenario's script: what it streams and sends, on the simulated clock."""

    def __init__(self, spec: Any, run: Run) -> None:
        self.spec = spec
        self.run = run
        self.t0 = run.clock.ts()

    @abstractmethod
    def setup(self) -> None:
        """Schedule the scenario's readings, reports and checks."""

    def stream(self, idx: Idx) -> None:
        r = self.run
        r.sensors.active[idx] = True
        r.scope_subjects.update(r.sensors.table.ids[i] for i in idx)

    def extra(self) -> dict[str, Any]:
        return {}

    def later(self, sim_s: float, fn: Any) -> None:
        self.run.sched.at(self.t0 + sim_s, fn)


class RainstormDriver(Driver):
    """Drizzle, then a downpour over one district: gauges to red, manholes overflowing,
    people reporting waterlogged points (some several times), the plan raised IV → I."""

    spec: schema.Rainstorm

    def setup(self) -> None:
        s, r = self.spec, self.run
        gauges = sensors_in(r, s.district, (SensorType.RAINFALL,))
        manholes = sensors_in(r, s.district, (SensorType.MANHOLE_LEVEL,))
        self.stream(gauges)
        self.stream(manholes)
        flooded = r.rng.choice(manholes, size=s.flooded_manholes, replace=False)
        drizzle = seconds(s.drizzle)
        gain = dict(zip(gauges.tolist(), r.rng.uniform(0.9, 1.15, len(gauges)), strict=True))
        interval = r.sensors.table.interval

        def rain(idx: Idx, ts: Any) -> Any:
            t = ts - self.t0
            heavy = np.clip((t - drizzle) / 1800.0, 0.0, 1.0)  # ramps up over 30 min
            rate = np.where(t < drizzle, s.drizzle_mm_h, s.drizzle_mm_h + heavy * s.peak_mm_h)
            g = np.array([gain[int(i)] for i in idx])
            return np.round(rate * g * interval[idx] / 3600.0, 1)

        r.sensors.force(gauges, rain)
        depth = r.sensors.param("depth_m", 2.5)
        # A tenth are low spots that fill during the drizzle (blue); all overflow in the downpour.
        low = set(flooded[: max(1, len(flooded) // 10)].tolist())
        onset = {int(i): float(r.rng.uniform(0.0, 5400.0)) for i in flooded}
        top = {int(i): float(r.rng.uniform(0.85, 1.1)) for i in flooded}

        def fill(idx: Idx, ts: Any) -> Any:
            out = []
            for i, x in zip(idx.tolist(), (ts - self.t0).tolist(), strict=True):
                frac = 0.2
                if i in low:
                    frac = 0.2 + 0.45 * min(1.0, x / (0.8 * drizzle))
                start = drizzle + onset[i]
                if x > start:
                    frac = max(frac, 0.2 + (top[i] - 0.2) * min(1.0, (x - start) / 2400.0))
                out.append(round(frac * depth[i], 3))
            return np.array(out)

        r.sensors.force(flooded, fill)
        ids = r.sensors.table.ids
        for i in gauges:
            r.expected_warnings.add(("rainstorm-observed", ids[i]))
        for i in flooded:
            r.expected_warnings.add(("manhole-level", ids[i]))
            r.points[f"manhole:{ids[i]}"] = Point(f"manhole:{ids[i]}", ("manhole-level", ids[i]))
        # People report waterlogged points once the downpour has started.
        for k in range(s.reported_points):
            lon, lat = point_in(r.city, s.district, r.rng)
            pid = f"report:{k}"
            r.points[pid] = Point(pid)
            first = drizzle + float(r.rng.uniform(600.0, 5400.0))
            copies = 1 + int(
                r.rng.integers(s.duplicates_per_point[0], s.duplicates_per_point[1] + 1)
            )
            for c in range(copies):
                at = first + c * float(r.rng.uniform(300.0, 1800.0))
                near = point_near(lon, lat, 60.0, r.rng) if c else (lon, lat)
                self.later(at, self._reporter(pid, near))

    def _reporter(self, pid: str, where: tuple[float, float]) -> Any:
        def send() -> None:
            r = self.run
            if r.rng.random() < self.spec.hotline_share:
                ref = hotline(r, "ND01", *where)
            else:
                ref = open311(r, "ND01", *where)
            r.points[pid].reports.append(ref)

        return send

    def extra(self) -> dict[str, Any]:
        return plan_summary(self.run, "rainstorm-waterlogging")


class RailingDriver(Driver):
    """A grid worker finds a railing washed out by the river and reports it with a photo."""

    spec: schema.Railing

    def setup(self) -> None:
        s, r = self.spec, self.run
        grid = s.grid_worker.removeprefix("grid_").upper()
        lon, lat = point_in(r.city, grid, r.rng)
        r.points["railing"] = Point("railing")

        def report() -> None:
            ref, event_id = grid_report(r, s.grid_worker, s.type_code, lon, lat, s.photo)
            r.points["railing"].reports.append(ref)
            r.points["railing"].event_ids.add(event_id)

        self.later(60.0, report)
        r.finished = lambda: closed(r, "railing")

    def extra(self) -> dict[str, Any]:
        return event_summary(self.run, "railing")


class PollutionDriver(Driver):
    """A discharge upstream of a station: dissolved oxygen falls below class III for
    consecutive readings; the source is traced; the river recovers once the case is resolved."""

    spec: schema.Pollution

    def setup(self) -> None:
        s, r = self.spec, self.run
        stations = np.flatnonzero(r.sensors.type_mask(SensorType.DISSOLVED_OXYGEN))
        self.stream(stations)
        target = r.sensors.table.index[s.station]
        start = self.t0 + 3600.0
        values = s.polluted_mg_l
        self.recovered_at: float | None = None

        def polluted(idx: Idx, ts: Any) -> Any:
            out = []
            for x in ts.tolist():
                if x < start or (self.recovered_at is not None and x >= self.recovered_at):
                    out.append(round(float(r.rng.normal(7.2, 0.15)), 2))
                else:
                    k = min(int((x - start) // 3600.0), len(values) - 1)
                    out.append(values[k])
            return np.array(out)

        r.sensors.force(np.array([target]), polluted)
        r.expected_warnings.add(("dissolved-oxygen-gb3838", s.station))
        r.points["pollution"] = Point("pollution", ("dissolved-oxygen-gb3838", s.station))

        def watch() -> None:
            if self.recovered_at is None and state_reached(r, "pollution", "resolved"):
                self.recovered_at = r.clock.ts()  # the discharge is stopped: the river recovers
                r.mark("discharge_stopped")

        r.sched.every(600.0, watch)
        r.finished = lambda: closed(r, "pollution")

    def extra(self) -> dict[str, Any]:
        out = event_summary(self.run, "pollution")
        out |= trace_summary(self.run, "pollution")
        return out


class CrowdDriver(Driver):
    """Spring Festival: people stream into a commercial district; counts rise past the density
    thresholds; the forecast warns before the crossing and the crowd plan starts."""

    spec: schema.Crowd

    def setup(self) -> None:
        s, r = self.spec, self.run
        t = r.sensors.table
        cams = np.array([i for i, a in enumerate(t.areas) if a == s.area], dtype=np.int64)
        if len(cams) == 0:
            raise ValueError(f"area {s.area} has no crowd cameras")
        self.stream(cams)
        r.scope_subjects.add(s.area)
        rise = seconds(s.rise)
        share = r.sensors.param("view_m2", 40.0)
        lo, hi = s.start_density, s.peak_density

        def density(x: Any) -> Any:
            return lo + (hi - lo) * np.clip(x / rise, 0.0, 1.0)

        def counts(idx: Idx, ts: Any) -> Any:
            noise = 1.0 + 0.03 * r.rng.normal(0.0, 1.0, len(idx))
            return np.round(density(ts - self.t0) * share[idx] * noise)

        r.sensors.force(cams, counts)
        # Ground truth: the moment the area's density really reaches yellow (3 persons/m²).
        self.crossing_ts = self.t0 + rise * (3.0 - lo) / (hi - lo) if hi > 3.0 > lo else None
        r.expected_warnings.add(("crowd-density", s.area))
        for i in cams:
            r.expected_warnings.add(("crowd-density-forecast", t.ids[i]))
        r.points["crowd"] = Point("crowd", ("crowd-density", s.area))
        end = (self.crossing_ts or self.t0) + 1800.0
        r.finished = lambda: (
            r.clock.ts() > end and bool(plan_summary(r, "crowd-crush")["plan_levels"])
        )

    def extra(self) -> dict[str, Any]:
        r = self.run
        out = plan_summary(r, "crowd-crush")
        crossing = self.crossing_ts
        predicted = [w for w in r.warnings_seen() if w["rule"] == "crowd-density-forecast"]
        observed = [w for w in r.warnings_seen() if w["rule"] == "crowd-density"]
        first_pred = min((ts_of(w["raised_at"]) for w in predicted), default=None)
        out["true_crossing_at"] = _iso(crossing).isoformat() if crossing else None
        out["first_predicted_warning_at"] = _iso(first_pred).isoformat() if first_pred else None
        yellow = [ts_of(h["at"]) for w in observed for h in w.get("history", [])
                  if h.get("level") in ("yellow", "orange", "red")]  # fmt: skip
        out["observed_yellow_at"] = _iso(min(yellow)).isoformat() if yellow else None
        out["prediction_lead_min"] = (
            round((crossing - first_pred) / 60.0, 1) if crossing and first_pred else None
        )
        act = out.get("activated_at")
        out["plan_lead_min"] = (
            round((crossing - ts_of(act)) / 60.0, 1) if crossing and act else None
        )
        return out


class ComplaintsDriver(Driver):
    """Neighbours complain again and again about the same night market."""

    spec: schema.Complaints

    def setup(self) -> None:
        s, r = self.spec, self.run
        lon, lat = point_in(r.city, s.street, r.rng)
        r.points["complaints"] = Point("complaints")
        over = seconds(s.over)
        for k in range(s.reports):
            at = 60.0 + (over * k / max(s.reports - 1, 1)) + float(r.rng.uniform(-60.0, 60.0))
            where = point_near(lon, lat, s.radius_m, r.rng) if k else (lon, lat)
            self.later(max(at, 30.0), self._complain(where, k))
        r.finished = lambda: r.sent["reports"] >= s.reports and closed(r, "complaints")

    def _complain(self, where: tuple[float, float], k: int) -> Any:
        def send() -> None:
            r, s = self.run, self.spec
            use_hotline = k > 0 and r.rng.random() < s.hotline_share
            ref = (
                hotline(r, s.type_code, *where) if use_hotline else open311(r, s.type_code, *where)
            )
            r.points["complaints"].reports.append(ref)

        return send

    def extra(self) -> dict[str, Any]:
        return event_summary(self.run, "complaints")


class OutageDriver(Driver):
    """A share of a district's sensors falls silent (power cut to their cabinets), then back."""

    spec: schema.Outage

    def setup(self) -> None:
        s, r = self.spec, self.run
        kinds = tuple(
            k for k in SensorType if k not in (SensorType.DISSOLVED_OXYGEN, SensorType.WATER_LEVEL)
        )
        own = sensors_in(r, s.district, kinds)
        self.stream(own)
        eligible = own[r.sensors.table.interval[own] <= s.max_interval_s]
        n = max(1, round(s.share * len(own)))
        silent = r.rng.choice(eligible, size=min(n, len(eligible)), replace=False)
        if len(silent) != r.scenario.truth.points:
            raise ValueError(
                f"{s.share:.0%} of {len(own)} sensors is {len(silent)}, "
                f"but truth.points is {r.scenario.truth.points}"
            )
        before, quiet = seconds(s.before), seconds(s.silent)
        ids = r.sensors.table.ids
        self.silent_ids = [ids[i] for i in silent]
        self.online: list[tuple[float, float]] = []

        def cut() -> None:
            r.sensors.silence(silent, self.t0 + before + quiet)
            r.mark("outage_started")

        self.later(before, cut)
        self.later(before + quiet, lambda: r.mark("outage_ended"))
        for sid in self.silent_ids:
            r.expected_warnings.add(("sensor-offline", sid))
            r.points[f"silent:{sid}"] = Point(f"silent:{sid}", ("sensor-offline", sid))

        def sample() -> None:
            v = r.client.get("/api/v1/vital-signs", "admin", jurisdiction=s.district)
            rate = v["values"].get("online_rate")
            if rate is not None:
                self.online.append((r.clock.ts(), float(rate)))

        r.sched.every(600.0, sample, first=300.0)
        self.share = len(silent) / len(own)

    def extra(self) -> dict[str, Any]:
        s = self.spec
        before = self.t0 + seconds(s.before)
        after = before + seconds(s.silent)
        base = [v for t, v in self.online if t < before]
        during = [v for t, v in self.online if before <= t < after]
        final = [v for t, v in self.online if t >= after + 1800.0]
        return {
            "silenced_sensors": len(self.silent_ids),
            "silenced_share": round(self.share, 4),
            "online_rate_before": base[-1] if base else None,
            "online_rate_min": min(during) if during else None,
            "online_rate_after": final[-1] if final else None,
            "online_rate_drop": round(base[-1] - min(during), 4) if base and during else None,
            "online_rate_recovered": (round(final[-1] - base[-1], 4) if base and final else None),
        }


DRIVERS: dict[str, type[Driver]] = {
    "rainstorm": RainstormDriver,
    "railing": RailingDriver,
    "pollution": PollutionDriver,
    "crowd": CrowdDriver,
    "complaints": ComplaintsDriver,
    "outage": OutageDriver,
}


def make_driver(spec: Any, run: Run) -> Driver:
    return DRIVERS[spec.kind](spec, run)


# ---- what the drivers ask the system (over HTTP) -------------------------------------------


def ts_of(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _point_events(run: Run, pid: str) -> list[dict[str, Any]]:
    from cityloop.sim.outcome import resolve_point

    return [run.client.get(f"/api/v1/events/{e}", "admin") for e in resolve_point(run, pid)]


def state_reached(run: Run, pid: str, state: str) -> bool:
    order = ("resolved", "verified", "closed")
    return any(e["state"] in order[order.index(state) :] for e in _point_events(run, pid))


def closed(run: Run, pid: str) -> bool:
    events = _point_events(run, pid)
    return bool(events) and all(e["state"] in ("closed", "merged") for e in events)


def event_summary(run: Run, pid: str) -> dict[str, Any]:
    events = [e for e in _point_events(run, pid) if e["state"] != "merged"]
    if not events:
        return {}
    e = events[0]
    return {
        "event_ref": e["ref"],
        "state": e["state"],
        "lead_unit": e["lead_unit"],
        "co_units": sorted(e["co_units"]),
        "handling_level": e["handling_level"],
        "reports_in_event": len(e["report_ids"]),
    }


def trace_summary(run: Run, pid: str) -> dict[str, Any]:
    events = [e for e in _point_events(run, pid) if e["state"] != "merged"]
    if not events:
        return {}
    timeline = run.client.get(f"/api/v1/events/{events[0]['id']}/timeline", "admin")
    traces = [t for t in timeline if t["action"] == "trace"]
    dispatches = [t for t in timeline if t["action"] == "dispatch"]
    candidates = traces[0]["payload"].get("candidates", []) if traces else []
    units: list[str] = []
    if dispatches:
        p = dispatches[0]["payload"]
        units = sorted({p.get("lead_unit") or events[0]["lead_unit"], *(p.get("co_units") or [])})
    return {
        "candidate_sources": len(candidates),
        "nearest_candidate": candidates[0]["id"] if candidates else None,
        "notified_together": units,
    }


def plan_summary(run: Run, plan_id: str) -> dict[str, Any]:
    acts = run.client.get("/api/v1/plan-activations", "city_op", plan_id=plan_id, limit=200)
    acts = [a for a in acts if ts_of(a["activated_at"]) >= run.started.timestamp() - 1]
    if not acts:
        return {"plan_levels": [], "plan_status": None}
    act = run.client.get(f"/api/v1/plan-activations/{acts[0]['id']}", "city_op")
    levels: list[str] = []
    for entry in act["timeline"]:
        level = entry.get("level") or entry.get("to_level")
        changes = ("activated", "confirmed", "upgraded", "downgraded")
        if entry.get("kind") in changes and level and (not levels or levels[-1] != level):
            levels.append(level)
    return {
        "plan_id": plan_id,
        "plan_status": act["status"],
        "plan_jurisdiction": act.get("jurisdiction"),
        "plan_levels": levels,
        "plan_first_level": levels[0] if levels else None,
        "plan_final_level": act["level"] if act["status"] == "active" else None,
        "activated_at": act["activated_at"],
        "plan_tasks": sorted({f"{t['department']}:{t['id']}" for t in act["tasks"]}),
    }
