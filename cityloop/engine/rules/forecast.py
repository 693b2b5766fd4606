"""`forecast`: Holt's linear trend on each sensor's readings, warning before a level is crossed.

Holt's method (double exponential smoothing) adapted to irregular intervals (Wright, 1986): with
Δt the seconds since the previous reading, the prediction is `ℓ + b·Δt`, then

    ℓ' = α·y + (1 − α)·(ℓ + b·Δt)
    b' = β·(ℓ' − ℓ)/Δt + (1 − β)·b        (b is a trend per second)

After `min_readings` readings, the signal is the level expected `horizon` seconds ahead when the
trend points towards the thresholds (above: max(ℓ', ℓ' + b'·horizon); below: the min), so a
level is warned *before* it is crossed. Warnings are marked *predicted* and need confirmation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.duration import format_duration
from cityloop.engine.rules.base import AnyRule, CompileContext, Evaluator, Outcome, register
from cityloop.engine.rules.machine import FloatArray, IntArray
from cityloop.engine.rules.schema import ForecastRule, LevelName
from cityloop.engine.rules.transforms import TRANSFORMS


@register("forecast")
class ForecastEvaluator(Evaluator):
    predicted = True

    def __init__(self, spec: AnyRule, ctx: CompileContext) -> None:
        super().__init__(spec, ctx)
        assert isinstance(spec, ForecastRule)
        self.rule = spec
        n = len(self.members)
        self.smooth = np.full(n, np.nan)
        self.trend = np.zeros(n)
        self.last_ts = np.full(n, np.nan)
        self.seen = np.zeros(n, dtype=np.int32)

    def evaluate(
        self, rows: IntArray, ts: FloatArray, value: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
        alpha, beta = self.rule.alpha, self.rule.beta
        first = self.seen[rows] == 0
        level, trend = self.smooth[rows], self.trend[rows]
        dt = np.where(first, 1.0, ts - self.last_ts[rows])
        new_level = np.where(first, value, alpha * value + (1 - alpha) * (level + trend * dt))
        new_trend = np.where(first, 0.0, beta * (new_level - level) / dt + (1 - beta) * trend)
        self.smooth[rows], self.trend[rows], self.last_ts[rows] = new_level, new_trend, ts
        self.seen[rows] = np.minimum(self.seen[rows] + 1, 1 << 30)
        ahead = new_level + new_trend * self.rule.horizon
        if self.spec.direction == "above":
            projected = np.maximum(new_level, ahead)
        else:
            projected = np.minimum(new_level, ahead)
        projected = np.where(self.seen[rows] >= self.rule.min_readings, projected, np.nan)
        signal = TRANSFORMS[self.spec.transform](projected)
        return rows, ts, self.broadcast(signal), value

    def state(self) -> dict[str, NDArray[Any]]:
        return super().state() | {
            "smooth": self.smooth,
            "trend": self.trend,
            "last_ts": self.last_ts,
            "seen": self.seen,
        }

    def load_state(self, arrays: dict[str, NDArray[Any]]) -> None:
        super().load_state(arrays)
        for name in ("smooth", "trend", "last_ts", "seen"):
            setattr(self, name, arrays[name].copy())

    def details(self, outcome: Outcome, i: int, name: LevelName) -> dict[str, Any]:
        row = int(outcome.moves.rows[i])
        return {
            "method": "holt",
            "horizon": format_duration(self.rule.horizon),
            "smoothed": round(float(self.smooth[row]), 6),
            "trend_per_hour": round(float(self.trend[row]) * 3600, 6),
        }
