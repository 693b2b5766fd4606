"""`area`: the latest counts of an area's sensors, summed, against the area's size.

Subjects are the areas of `areas.yaml`; members are the sensors of the rule's types linked to an
area (`sensors.csv` column `area`). Each member's latest value is kept; an area's total is
updated incrementally and judged whenever one of its sensors reports, as
`density` (total / area_m2, persons per m²), `occupancy` (total / capacity) or `sum`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.rules.base import (
    AnyRule,
    CompileContext,
    Evaluator,
    Outcome,
    register,
)
from cityloop.engine.rules.machine import FloatArray, IntArray
from cityloop.engine.rules.schema import AreaRule, LevelName, ParamRef, Threshold
from cityloop.engine.rules.transforms import TRANSFORMS


@register("area")
class AreaEvaluator(Evaluator):
    subject_kind = "area"

    def __init__(self, spec: AnyRule, ctx: CompileContext) -> None:
        assert isinstance(spec, AreaRule)
        self.rule = spec
        self.areas = list(ctx.areas)
        position = {a.id: k for k, a in enumerate(self.areas)}
        super().__init__(spec, ctx)
        # Keep only the sensors linked to a known area.
        linked = np.array(
            [position.get(ctx.sensors.areas[i] or "", -1) for i in self.members], dtype=np.int32
        )
        keep = linked >= 0
        self.members = self.members[keep]
        self.area_of = linked[keep]
        self.local[:] = -1
        self.local[self.members] = np.arange(len(self.members), dtype=np.int32)
        self.member_ids = [ctx.sensors.ids[i] for i in self.members]
        self.subject_ids = [a.id for a in self.areas]
        self.size = np.array(
            [a.area_m2 if spec.agg == "density" else a.capacity for a in self.areas], dtype=float
        )
        self.latest = np.zeros(len(self.members))
        self.total = np.zeros(len(self.areas))

    def thresholds(self, ctx: CompileContext) -> tuple[FloatArray, FloatArray]:
        sign = -1.0 if self.spec.direction == "above" else 1.0
        entry_row, clear_row = [], []
        for name in self.names:
            spec = self.spec.levels[name]
            value = _constant(spec.value)
            entry_row.append(value)
            clear_row.append(
                value + sign * self.spec.hysteresis if spec.clear is None else _constant(spec.clear)
            )
        n = len(self.areas)
        return np.tile(entry_row, (n, 1)), np.tile(clear_row, (n, 1))

    def evaluate(
        self, rows: IntArray, ts: FloatArray, value: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
        areas = self.area_of[rows]
        delta = value - self.latest[rows]
        self.latest[rows] = value
        self.total += np.bincount(areas, weights=delta, minlength=len(self.areas))
        touched, first = np.unique(areas, return_inverse=True)
        at = np.full(len(touched), -np.inf)
        np.maximum.at(at, first, ts)
        total = self.total[touched]
        raw = total if self.rule.agg == "sum" else total / self.size[touched]
        signal = TRANSFORMS[self.spec.transform](raw)
        return touched.astype(np.int32), at, self.broadcast(signal), total

    def state(self) -> dict[str, NDArray[Any]]:
        return super().state() | {"latest": self.latest, "total": self.total}

    def load_state(self, arrays: dict[str, NDArray[Any]]) -> None:
        super().load_state(arrays)
        self.latest = arrays["latest"].copy()
        self.total = arrays["total"].copy()

    def details(self, outcome: Outcome, i: int, name: LevelName) -> dict[str, Any]:
        area = int(outcome.moves.rows[i])
        inside = np.flatnonzero(self.area_of == area)
        return {
            "aggregate": self.rule.agg,
            "total": float(self.total[area]),
            "area_m2": self.areas[area].area_m2,
            "capacity": self.areas[area].capacity,
            "sensors": {self.member_ids[k]: float(self.latest[k]) for k in inside},
        }


def _constant(value: Threshold) -> float:
    if isinstance(value, ParamRef):
        raise ValueError("an area rule takes numbers, not sensor params")
    return float(value)
