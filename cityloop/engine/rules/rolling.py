"""`rolling`: sum, mean or max of the readings over time windows, kept in time buckets.

Each member keeps a ring of `ceil(longest window / bucket)` buckets; a slot remembers which bucket
(`floor(ts / bucket)`) it holds, so a slot left over from an earlier lap of the ring is reset
when reused and ignored when it falls outside a window. A window of W seconds covers the
`ceil(W / bucket)` most recent buckets, the current one included. Missed readings simply leave
buckets empty; a reading that reports an amount since the previous one (rainfall) counts in the
bucket of its timestamp, so the windows are exact up to one reporting interval.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.duration import format_duration
from cityloop.engine.rules.base import AnyRule, CompileContext, Evaluator, Outcome, register
from cityloop.engine.rules.machine import FloatArray, IntArray
from cityloop.engine.rules.schema import LevelName, RollingRule
from cityloop.engine.rules.transforms import TRANSFORMS

_EMPTY = np.iinfo(np.int64).min // 4


@register("rolling")
class RollingEvaluator(Evaluator):
    def __init__(self, spec: AnyRule, ctx: CompileContext) -> None:
        super().__init__(spec, ctx)
        assert isinstance(spec, RollingRule)
        self.rule = spec
        self.bucket = spec.bucket
        windows = [spec.window_of(n) for n in self.names]
        self.spans = np.array([math.ceil(w / spec.bucket - 1e-9) for w in windows])
        self.distinct = sorted(set(self.spans.tolist()))
        self.ring = int(self.spans.max())
        n = len(self.members)
        self.slot_bucket = np.full((n, self.ring), _EMPTY, dtype=np.int64)
        initial = -np.inf if spec.agg == "max" else 0.0
        self.acc = np.full((n, self.ring), initial)
        self.count = np.zeros((n, self.ring), dtype=np.int32) if spec.agg == "mean" else None

    def evaluate(
        self, rows: IntArray, ts: FloatArray, value: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
        agg = self.rule.agg
        bucket = np.floor(ts / self.bucket).astype(np.int64)
        slot = bucket % self.ring
        fresh = self.slot_bucket[rows, slot] != bucket
        self.slot_bucket[rows, slot] = bucket
        reset = -np.inf if agg == "max" else 0.0
        current = np.where(fresh, reset, self.acc[rows, slot])
        if agg == "max":
            self.acc[rows, slot] = np.maximum(current, value)
        else:
            self.acc[rows, slot] = current + value
        if self.count is not None:
            self.count[rows, slot] = np.where(fresh, 0, self.count[rows, slot]) + 1
        age = bucket[:, None] - self.slot_bucket[rows]
        acc = self.acc[rows]
        counts = self.count[rows] if self.count is not None else None
        per_span: dict[int, FloatArray] = {}
        for span in self.distinct:
            inside = (age >= 0) & (age < span)
            if agg == "max":
                per_span[span] = np.where(inside, acc, -np.inf).max(axis=1)
            else:
                total = np.where(inside, acc, 0.0).sum(axis=1)
                if counts is not None:
                    n = np.where(inside, counts, 0).sum(axis=1)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        total = total / n
                per_span[span] = total
        transform = TRANSFORMS[self.spec.transform]
        signal = np.column_stack([transform(per_span[int(s)]) for s in self.spans])
        return rows, ts, signal, value

    def state(self) -> dict[str, NDArray[Any]]:
        out = super().state() | {"slot_bucket": self.slot_bucket, "acc": self.acc}
        return out | ({"count_ring": self.count} if self.count is not None else {})

    def load_state(self, arrays: dict[str, NDArray[Any]]) -> None:
        super().load_state(arrays)
        self.slot_bucket = arrays["slot_bucket"].copy()
        self.acc = arrays["acc"].copy()
        if self.count is not None:
            self.count = arrays["count_ring"].copy()

    def details(self, outcome: Outcome, i: int, name: LevelName) -> dict[str, Any]:
        return {
            "aggregate": self.rule.agg,
            "window": format_duration(self.rule.window_of(name)),
            "bucket": format_duration(self.bucket),
        }
