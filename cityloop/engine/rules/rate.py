"""`rate`: change of the value per `per` (e.g. mm per hour), between a sensor's readings.

Each member keeps an anchor reading. A reading at least `span` seconds after the anchor gives the
rate `(value − anchor value) / (ts − anchor ts) × per` and becomes the new anchor; readings that
come sooner are not judged (with `span: 0`, every reading after the first is). A longer span
smooths the noise of sensors that report often.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.duration import format_duration
from cityloop.engine.rules.base import AnyRule, CompileContext, Evaluator, Outcome, register
from cityloop.engine.rules.machine import FloatArray, IntArray
from cityloop.engine.rules.schema import LevelName, RateRule
from cityloop.engine.rules.transforms import TRANSFORMS


@register("rate")
class RateEvaluator(Evaluator):
    def __init__(self, spec: AnyRule, ctx: CompileContext) -> None:
        super().__init__(spec, ctx)
        assert isinstance(spec, RateRule)
        self.rule = spec
        n = len(self.members)
        self.anchor_ts = np.full(n, np.nan)
        self.anchor_value = np.full(n, np.nan)
        self.elapsed = np.full(n, np.nan)

    def evaluate(
        self, rows: IntArray, ts: FloatArray, value: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray] | None:
        first = np.isnan(self.anchor_ts[rows])
        dt = ts - self.anchor_ts[rows]
        ready = ~first & (dt >= self.rule.span) & (dt > 0)
        renew = first | ready
        if not ready.any():
            self.anchor_ts[rows[renew]] = ts[renew]
            self.anchor_value[rows[renew]] = value[renew]
            return None
        r, t, v = rows[ready], ts[ready], value[ready]
        rate = (v - self.anchor_value[r]) / dt[ready] * self.rule.per
        self.elapsed[r] = dt[ready]
        self.anchor_ts[rows[renew]] = ts[renew]
        self.anchor_value[rows[renew]] = value[renew]
        signal = TRANSFORMS[self.spec.transform](rate)
        return r, t, self.broadcast(signal), v

    def state(self) -> dict[str, NDArray[Any]]:
        return super().state() | {
            "anchor_ts": self.anchor_ts,
            "anchor_value": self.anchor_value,
            "elapsed": self.elapsed,
        }

    def load_state(self, arrays: dict[str, NDArray[Any]]) -> None:
        super().load_state(arrays)
        self.anchor_ts = arrays["anchor_ts"].copy()
        self.anchor_value = arrays["anchor_value"].copy()
        self.elapsed = arrays["elapsed"].copy()

    def details(self, outcome: Outcome, i: int, name: LevelName) -> dict[str, Any]:
        row = int(outcome.moves.rows[i])
        return {"per": format_duration(self.rule.per), "over_s": float(self.elapsed[row])}
