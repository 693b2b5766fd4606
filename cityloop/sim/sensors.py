"""Sensor readings with daily cycles, noise, drift and occasional faults (vectorised).

Every sensor of the city's `sensors.csv` has a baseline for its type, a daily cycle (people and
traffic by the hour, dissolved oxygen with photosynthesis), Gaussian noise, a slow drift of its
own and, now and then, a fault: a spike, a stuck value, or a silence of some hours. Scenarios
force the values of chosen sensors (`force`) or silence them (`silence`). Readings are emitted
when each sensor's interval has passed, at most one per sensor and batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cityloop.engine.sensor_types import TYPE_ORDER, SensorType
from cityloop.engine.sensors import SensorTable, load_sensor_table

Array = np.ndarray[Any, np.dtype[np.float64]]
#: Forced values: (indices of the sensors due, their timestamps) → their values.
Forcing = Callable[[np.ndarray[Any, Any], Array], Array]

_TAU = 2 * math.pi


def hour_of_day(ts: float | Array, utc_offset_h: float = 8.0) -> Array:
    """Local hour in [0, 24) (the demo city is in Asia/Shanghai)."""
    return np.asarray((np.asarray(ts) / 3600.0 + utc_offset_h) % 24.0, dtype=np.float64)


def activity(hour: Array) -> Array:
    """People's activity by hour: low at night, peaks late morning and evening (0.1 … 1)."""
    day = np.exp(-(((hour - 11.0) / 3.5) ** 2)) + 1.1 * np.exp(-(((hour - 19.5) / 2.5) ** 2))
    out: Array = np.clip(0.08 + 0.9 * day, 0.05, 1.0)
    return out


def rush(hour: Array) -> Array:
    """Traffic rush hours (0 … 1): 8:00 and 18:00."""
    out: Array = np.exp(-(((hour - 8.0) / 1.2) ** 2)) + np.exp(-(((hour - 18.0) / 1.5) ** 2))
    return out


@dataclass
class Faults:
    """Chances per reading (spike, stuck) and per hour (silence), and a silence's length."""

    spike: float = 2e-5
    stuck: float = 1e-5
    silence_per_hour: float = 2e-5
    silence_hours: float = 3.0


@dataclass
class SensorField:
    table: SensorTable
    rng: np.random.Generator
    faults: Faults = field(default_factory=Faults)
    active: np.ndarray[Any, np.dtype[np.bool_]] = field(init=False)
    next_due: Array = field(init=False)
    last_ts: Array = field(init=False)
    last_value: Array = field(init=False)
    silent_until: Array = field(init=False)
    stuck: np.ndarray[Any, np.dtype[np.bool_]] = field(init=False)
    forcings: list[tuple[np.ndarray[Any, Any], Forcing]] = field(init=False, default_factory=list)
    crowd_share_m2: Array = field(init=False)

    @classmethod
    def from_city(cls, root: Path, rng: np.random.Generator, faults: Faults | None = None):  # type: ignore[no-untyped-def]
        return cls(load_sensor_table(root), rng, faults or Faults())

    def __post_init__(self) -> None:
        n = len(self.table.ids)
        self.active = np.ones(n, dtype=bool)
        self.next_due = np.zeros(n)
        self.last_ts = np.full(n, np.nan)
        self.last_value = np.full(n, np.nan)
        self.silent_until = np.zeros(n)
        self.stuck = np.zeros(n, dtype=bool)
        self.phase = self.rng.uniform(-1.0, 1.0, n)  # hours of shift of the daily cycle
        self.drift = self.rng.normal(0.0, 1.0, n)  # per-sensor drift, scaled by type
        self.base = self.rng.uniform(0.8, 1.2, n)
        share = self.table.params.get("view_m2")
        self.crowd_share_m2 = share if share is not None else np.full(n, 40.0)
        self.start_ts: float | None = None
        self._last_call: float | None = None

    def type_mask(self, kind: SensorType) -> np.ndarray[Any, np.dtype[np.bool_]]:
        out: np.ndarray[Any, np.dtype[np.bool_]] = self.table.types == TYPE_ORDER.index(kind)
        return out

    def indices(self, ids: list[str]) -> np.ndarray[Any, Any]:
        return np.array([self.table.index[s] for s in ids], dtype=np.int64)

    def only(self, idx: np.ndarray[Any, Any]) -> None:
        """Stream only these sensors (a scenario's scope)."""
        self.active[:] = False
        self.active[idx] = True

    def force(self, idx: np.ndarray[Any, Any], fn: Forcing) -> None:
        """From now on, sensors `idx` read `fn(idx_due, ts)` (the last forcing of a sensor wins)."""
        self.forcings.append((np.asarray(idx), fn))

    def silence(self, idx: np.ndarray[Any, Any], until_ts: float) -> None:
        self.silent_until[idx] = until_ts

    def param(self, name: str, default: float) -> Array:
        values = self.table.params.get(name)
        if values is None:
            return np.full(len(self.table.ids), default)
        out: Array = np.where(np.isnan(values), default, values)
        return out

    # ---- values ---------------------------------------------------------------------------

    def normal_values(self, idx: np.ndarray[Any, Any], ts: Array) -> Array:
        """Ordinary values of sensors `idx` at times `ts`: cycle + drift + noise, by type."""
        t = self.table.types[idx]
        hour = hour_of_day(ts) + self.phase[idx]
        days = (ts - (self.start_ts or float(ts.min(initial=0.0)))) / 86_400.0
        noise = self.rng.normal(0.0, 1.0, len(idx))
        base = self.base[idx]
        out = np.zeros(len(idx))

        def where(kind: SensorType) -> np.ndarray[Any, Any]:
            mask: np.ndarray[Any, Any] = t == TYPE_ORDER.index(kind)
            return mask

        m = where(SensorType.RAINFALL)  # mostly dry; an occasional light shower
        if m.any():
            gap = np.nan_to_num(ts[m] - self.last_ts[idx[m]], nan=300.0)
            showers = self.rng.random(m.sum()) < 0.01
            out[m] = np.round(showers * self.rng.uniform(0.1, 1.5, m.sum()) * gap / 300.0, 1)
        m = where(SensorType.WATER_LEVEL)
        if m.any():
            warn = self.param("warning_level", 180.0)[idx[m]]
            out[m] = warn - 3.0 * base[m] + 0.1 * np.sin(_TAU * hour[m] / 24) + 0.02 * noise[m]
        m = where(SensorType.DISSOLVED_OXYGEN)
        if m.any():
            cycle = np.sin(_TAU * (hour[m] - 9.0) / 24)  # highest in the afternoon
            out[m] = (
                7.4 * base[m] + 0.8 * cycle + 0.15 * noise[m] + 0.05 * self.drift[idx[m]] * days[m]
            )
        m = where(SensorType.PM25)
        if m.any():
            out[m] = (
                30.0 * base[m]
                + 15.0 * rush(hour[m])
                + 4.0 * noise[m]
                + self.drift[idx[m]] * days[m]
            )
        m = where(SensorType.CROWD_COUNT)
        if m.any():
            density = 0.6 * activity(hour[m]) * base[m]
            out[m] = np.round(density * self.crowd_share_m2[idx[m]] * (1 + 0.1 * noise[m]))
        m = where(SensorType.TRAFFIC_SPEED)
        if m.any():
            out[m] = 45.0 * base[m] - 20.0 * rush(hour[m]) + 3.0 * noise[m]
        m = where(SensorType.HYDRANT_PRESSURE)
        if m.any():
            nominal = self.param("nominal_mpa", 0.35)[idx[m]]
            out[m] = nominal * (0.97 + 0.01 * noise[m]) + 0.002 * self.drift[idx[m]] * days[m]
        m = where(SensorType.SLOPE_DISPLACEMENT)
        if m.any():
            creep = 0.5 * np.abs(self.drift[idx[m]]) * days[m]  # mm: a very slow creep
            out[m] = creep + 0.02 * noise[m]
        m = where(SensorType.GAS_LEL)
        if m.any():
            out[m] = 0.8 * base[m] + 0.3 * np.abs(noise[m])
        m = where(SensorType.MANHOLE_LEVEL)
        if m.any():
            depth = self.param("depth_m", 2.5)[idx[m]]
            out[m] = depth * (0.15 + 0.03 * activity(hour[m])) + 0.01 * noise[m]
        level = where(SensorType.WATER_LEVEL)  # an elevation may be below zero; others may not
        out[~level] = np.maximum(out[~level], 0.0)
        return out

    def _faults(self, idx: np.ndarray[Any, Any], values: Array) -> Array:
        f = self.faults
        spikes = self.rng.random(len(idx)) < f.spike
        values = np.where(spikes, values * self.rng.uniform(1.3, 1.8, len(idx)), values)
        self.stuck[idx] |= self.rng.random(len(idx)) < f.stuck
        self.stuck[idx] &= self.rng.random(len(idx)) > 0.01  # a stuck sensor recovers, slowly
        held = self.stuck[idx] & ~np.isnan(self.last_value[idx])
        out: Array = np.where(held, self.last_value[idx], values)
        return out

    # ---- emission -------------------------------------------------------------------------

    def due(self, now: float) -> tuple[list[str], list[float], list[float]]:
        """Readings due by `now`: every slot of every sensor since its last one (sensor ids,
        timestamps, values), so a batch may hold several readings of a fast sensor."""
        if self.start_ts is None:
            self.start_ts = now
            # Spread the first readings over one interval, as a real fleet reports.
            self.next_due = now - self.rng.uniform(0, 1, len(self.next_due)) * self.table.interval
        hours = max(now - (self._last_call or now), 0.0) / 3600.0
        self._last_call = now
        if self.faults.silence_per_hour and hours > 0:
            newly = self.rng.random(len(self.silent_until)) < self.faults.silence_per_hour * hours
            self.silent_until[newly & self.active] = now + self.faults.silence_hours * 3600.0
        due = self.active & (self.next_due <= now)
        # A silent sensor that was due waits for its next slot once it is back.
        quiet = due & (self.silent_until > now)
        self.next_due[quiet] = self.silent_until[quiet]
        first = np.flatnonzero(due & ~quiet)
        if len(first) == 0:
            return [], [], []
        interval = self.table.interval[first]
        slots = np.minimum(np.floor((now - self.next_due[first]) / interval) + 1, 50).astype(int)
        idx = np.repeat(first, slots)
        step = np.arange(len(idx)) - np.repeat(np.cumsum(slots) - slots, slots)
        ts = self.next_due[idx] + step * self.table.interval[idx]
        order = np.lexsort((idx, ts))  # in time order, as a gateway sends them
        idx, ts = idx[order], ts[order]
        values = self.normal_values(idx, ts)
        for forced_idx, fn in self.forcings:
            hit = np.isin(idx, forced_idx)
            if hit.any():
                values[hit] = fn(idx[hit], ts[hit])
        values = self._faults(idx, values)
        self.next_due[first] = self.next_due[first] + slots * interval
        behind = self.next_due[first] <= now - interval  # more than 50 slots behind: catch up
        self.next_due[first[behind]] = now
        self.last_ts[idx] = ts
        self.last_value[idx] = values
        return (
            [self.table.ids[i] for i in idx],
            [round(float(x), 3) for x in ts],
            [round(float(v), 4) for v in values],
        )
