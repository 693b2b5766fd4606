"""`threshold`: each reading (after its transform) against the levels' thresholds."""

from __future__ import annotations

from cityloop.engine.rules.base import Evaluator, register
from cityloop.engine.rules.machine import FloatArray, IntArray
from cityloop.engine.rules.transforms import TRANSFORMS


@register("threshold")
class ThresholdEvaluator(Evaluator):
    def evaluate(
        self, rows: IntArray, ts: FloatArray, value: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
        signal = TRANSFORMS[self.spec.transform](value)
        return rows, ts, self.broadcast(signal), value
