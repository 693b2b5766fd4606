"""A micro-batch of readings as three aligned arrays, and its validation.

Validation is vectorised; only rejected records get a Python object (their index and reason).
A record is rejected, first reason wins, when its sensor is unknown, its timestamp or value is
not a finite number, its timestamp is more than `max_future` seconds ahead of the reference time
or more than `max_age` seconds behind it, its value is outside the physical range of the
sensor's type, or it is not newer than the sensor's latest accepted reading (a duplicate or a
late resend: accepting it would count it twice). Valid records are never dropped because
others are bad.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.sensor_types import TYPE_ORDER, TYPE_SPECS
from cityloop.engine.sensors import SensorTable

BoolArray = NDArray[np.bool_]

DEFAULT_MAX_FUTURE_S = 300.0
DEFAULT_MAX_AGE_S = 7 * 86400.0


@dataclass(frozen=True)
class ReadingBatch:
    """Readings as columns: dense sensor index (-1 if unknown), epoch seconds, value."""

    sensor: NDArray[np.int32]
    ts: NDArray[np.float64]
    value: NDArray[np.float64]
    ids: Sequence[Any] | None = None
    """The sensor ids as received, to name unknown ones in rejections."""
    problems: Mapping[int, str] | None = None
    """Records that could not be decoded (index → reason); they are rejected first."""

    def __post_init__(self) -> None:
        if not len(self.sensor) == len(self.ts) == len(self.value):
            raise ValueError("sensor, ts and value must have the same length")

    def __len__(self) -> int:
        return len(self.sensor)

    @classmethod
    def from_ids(
        cls, sensors: SensorTable, ids: Sequence[Any], ts: Any, value: Any
    ) -> ReadingBatch:
        return cls(
            sensor=sensors.lookup(ids),
            ts=np.asarray(ts, dtype=np.float64),
            value=np.asarray(value, dtype=np.float64),
            ids=ids,
        )


Rejection = tuple[int, str]
"""A rejected record: its index in the batch and the reason, e.g. (3, "unknown sensor 'X'")."""


@dataclass(frozen=True)
class Limits:
    max_future: float = DEFAULT_MAX_FUTURE_S
    max_age: float = DEFAULT_MAX_AGE_S


class Validator:
    """Checks batches against a sensor table and each sensor's latest accepted reading."""

    def __init__(self, sensors: SensorTable, limits: Limits) -> None:
        self.sensors = sensors
        self.limits = limits
        low = np.array([TYPE_SPECS[t].low for t in TYPE_ORDER])
        high = np.array([TYPE_SPECS[t].high for t in TYPE_ORDER])
        self.low = low[sensors.types] if len(sensors) else np.zeros(0)
        self.high = high[sensors.types] if len(sensors) else np.zeros(0)

    def validate(
        self, batch: ReadingBatch, now: float, last_ts: NDArray[np.float64]
    ) -> tuple[BoolArray, list[Rejection]]:
        n = len(batch)
        sensor, ts, value = batch.sensor, batch.ts, batch.value
        reason = np.zeros(n, dtype=np.int8)  # 0 = accepted, else the first failed check
        if batch.problems:
            reason[list(batch.problems)] = 9
        known = (sensor >= 0) & (sensor < len(self.sensors))
        reason[(reason == 0) & ~known] = 1
        safe = np.where(known, sensor, 0)
        checks = (
            (2, ~np.isfinite(ts)),
            (3, ~np.isfinite(value)),
            (4, ts > now + self.limits.max_future),
            (5, ts < now - self.limits.max_age),
            (6, (value < self.low[safe]) | (value > self.high[safe]) if len(self.low) else None),
            (7, ts <= last_ts[safe] if len(last_ts) else None),
        )
        with np.errstate(invalid="ignore"):
            for code, bad in checks:
                if bad is not None:
                    reason[(reason == 0) & bad] = code
        ok = reason == 0
        if ok.sum() > 1 and np.bincount(sensor[ok]).max() > 1:
            candidates = np.flatnonzero(ok)
            order = candidates[np.lexsort((ts[candidates], sensor[candidates]))]
            same = (sensor[order[1:]] == sensor[order[:-1]]) & (ts[order[1:]] == ts[order[:-1]])
            reason[order[1:][same]] = 8
            ok = reason == 0
        rejected = np.flatnonzero(~ok)
        return ok, [(int(i), self._message(batch, int(i), int(reason[i]), now))
                    for i in rejected]  # fmt: skip

    def _message(self, batch: ReadingBatch, i: int, code: int, now: float) -> str:
        s, t, v = int(batch.sensor[i]), float(batch.ts[i]), float(batch.value[i])
        if code == 9 and batch.problems is not None:
            return batch.problems[i]
        if code == 1:
            shown = batch.ids[i] if batch.ids is not None else s
            return f"unknown sensor {shown!r}"
        sid = self.sensors.ids[s]
        if code == 2:
            return "invalid timestamp"
        if code == 3:
            return f"value is not a finite number ({v})"
        if code == 4:
            return f"timestamp {t - now:.0f} s in the future (limit {self.limits.max_future:g} s)"
        if code == 5:
            return f"timestamp {now - t:.0f} s in the past (limit {self.limits.max_age:g} s)"
        if code == 6:
            kind = TYPE_ORDER[int(self.sensors.types[s])]
            return (
                f"value {v:g} outside the physical range [{self.low[s]:g}, {self.high[s]:g}] "
                f"of {kind} (sensor {sid})"
            )
        if code == 7:
            return f"not newer than sensor {sid}'s latest reading"
        return f"duplicate reading of sensor {sid} at the same timestamp"
