"""`anomaly`: a robust z-score of each reading against the sensor's recent readings.

Each member keeps its last `window` readings. Once the window is full, a reading scores
`|x − median| / max(1.4826 · MAD, min_scale)` (MAD: median absolute deviation; 1.4826 makes it
estimate the standard deviation of normal data), and the levels judge the score. The reading then
joins the window. Warnings are marked *anomaly* and always need a person's confirmation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.rules.base import AnyRule, CompileContext, Evaluator, Outcome, register
from cityloop.engine.rules.machine import FloatArray, IntArray
from cityloop.engine.rules.schema import AnomalyRule, LevelName

MAD_TO_SIGMA = 1.4826


@register("anomaly")
class AnomalyEvaluator(Evaluator):
    anomaly = True

    def __init__(self, spec: AnyRule, ctx: CompileContext) -> None:
        super().__init__(spec, ctx)
        assert isinstance(spec, AnomalyRule)
        self.rule = spec
        n = len(self.members)
        self.history = np.zeros((n, spec.window))
        self.filled = np.zeros(n, dtype=np.int32)
        self.median = np.full(n, np.nan)
        self.scale = np.full(n, np.nan)

    def evaluate(
        self, rows: IntArray, ts: FloatArray, value: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray] | None:
        width = self.rule.window
        filled = self.filled[rows]
        ready = filled >= width
        out = None
        if ready.any():
            r, t, v = rows[ready], ts[ready], value[ready]
            window = self.history[r]
            median = np.median(window, axis=1)
            mad = np.median(np.abs(window - median[:, None]), axis=1)
            scale = np.maximum(MAD_TO_SIGMA * mad, self.rule.min_scale)
            self.median[r], self.scale[r] = median, scale
            score = np.abs(v - median) / scale
            out = (r, t, self.broadcast(score), v)
        self.history[rows, filled % width] = value
        self.filled[rows] = np.where(filled >= 2 * width, width, filled) + 1
        return out

    def state(self) -> dict[str, NDArray[Any]]:
        return super().state() | {
            "history": self.history,
            "filled": self.filled,
            "median": self.median,
            "scale": self.scale,
        }

    def load_state(self, arrays: dict[str, NDArray[Any]]) -> None:
        super().load_state(arrays)
        for name in ("history", "filled", "median", "scale"):
            setattr(self, name, arrays[name].copy())

    def details(self, outcome: Outcome, i: int, name: LevelName) -> dict[str, Any]:
        row = int(outcome.moves.rows[i])
        return {
            "median": round(float(self.median[row]), 6),
            "scale": round(float(self.scale[row]), 6),
            "window": self.rule.window,
        }
