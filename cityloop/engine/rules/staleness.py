"""`staleness`: no reading for k × the sensor's expected interval (levels give k).

Judged on the engine's clock at the end of every batch (`Engine.tick`), over all member sensors
at once: the signal is `(now − last reading) / interval`. A sensor that has never reported is
judged only with `include_never_seen: true`, counting from the first time the engine ran.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.rules.base import AnyRule, CompileContext, Evaluator, Outcome, register
from cityloop.engine.rules.machine import FloatArray, IntArray
from cityloop.engine.rules.schema import LevelName, StalenessRule


@register("staleness")
class StalenessEvaluator(Evaluator):
    def __init__(self, spec: AnyRule, ctx: CompileContext) -> None:
        super().__init__(spec, ctx)
        assert isinstance(spec, StalenessRule)
        self.rule = spec
        self.interval = ctx.sensors.interval[self.members]
        self.origin = np.full(1, np.nan)
        self.last = np.full(len(self.members), np.nan)

    def step(self, sensor: IntArray, ts: FloatArray, value: FloatArray) -> Outcome | None:
        return None

    def tick(self, now: float, last_seen: FloatArray) -> Outcome | None:
        if len(self.members) == 0:
            return None
        if np.isnan(self.origin[0]):
            self.origin[0] = now
        seen = last_seen[self.members]
        if self.rule.include_never_seen:
            seen = np.where(np.isnan(seen), self.origin[0], seen)
        self.last = seen
        age = (now - seen) / self.interval
        # Only sensors at a level or past the lowest threshold can change (no holds here).
        lowest = float(np.nanmin(self.machine.clear[:1])) if len(self.machine.clear) else 0.0
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero((self.machine.level > 0) | (age >= lowest)).astype(np.int32)
        if len(rows) == 0:
            return None
        ts = np.full(len(rows), now)
        moves = self.machine.update(rows, ts, self.broadcast(age[rows]))
        return None if moves is None else Outcome(self, moves, age[rows])

    def state(self) -> dict[str, NDArray[Any]]:
        return super().state() | {"origin": self.origin}

    def load_state(self, arrays: dict[str, NDArray[Any]]) -> None:
        super().load_state(arrays)
        self.origin = arrays["origin"].copy()

    def details(self, outcome: Outcome, i: int, name: LevelName) -> dict[str, Any]:
        row = int(outcome.moves.rows[i])
        last = float(self.last[row])
        return {
            "last_reading_ts": None if np.isnan(last) else last,
            "interval_s": float(self.interval[row]),
            "intervals_missed": round(float(outcome.moves.signal[i]), 3),
        }
