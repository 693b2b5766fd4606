"""The compiled form of a rule: an evaluator over dense arrays, and the registry of rule types.

`compile_rule` looks up the rule's `type` in `REGISTRY` and builds its evaluator. An evaluator
owns its subjects (the sensors of the rule's types, or the areas), their thresholds as arrays, a
`LevelMachine` and whatever state its signal needs (buckets, anchors, smoothing, windows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.areas import AreaSpec
from cityloop.engine.duration import format_duration
from cityloop.engine.levels import WarningLevel
from cityloop.engine.rules.machine import FloatArray, IntArray, LevelMachine, Moves
from cityloop.engine.rules.schema import (
    LEVEL_NAMES,
    AnomalyRule,
    AreaRule,
    ForecastRule,
    LevelName,
    ParamRef,
    RateRule,
    RollingRule,
    StalenessRule,
    Threshold,
    ThresholdRule,
)
from cityloop.engine.sensors import SensorTable

AnyRule = (
    ThresholdRule | RollingRule | RateRule | StalenessRule | AreaRule | ForecastRule | AnomalyRule
)


@dataclass(frozen=True)
class CompileContext:
    sensors: SensorTable
    areas: list[AreaSpec] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What one evaluation of a rule changed, with the inputs needed to explain it."""

    evaluator: Evaluator
    moves: Moves
    values: FloatArray
    """The raw reading value (or aggregate) of each evaluated subject, aligned to positions."""


def resolve(ref: Threshold, members: IntArray, sensors: SensorTable) -> FloatArray:
    """A threshold for each member sensor: the constant, or computed from its params."""
    if not isinstance(ref, ParamRef):
        return np.full(len(members), float(ref))

    def param(name: str) -> FloatArray:
        column = sensors.params.get(name)
        return np.full(len(members), np.nan) if column is None else column[members]

    base = param(ref.param)
    if ref.toward is not None:
        base = base + ref.fraction * (param(ref.toward) - base)
    return base * ref.scale + ref.offset


class Evaluator:
    """Base of every rule type's evaluator; subjects are sensors unless a subclass says so."""

    subject_kind: ClassVar[str] = "sensor"
    predicted: ClassVar[bool] = False
    anomaly: ClassVar[bool] = False

    def __init__(self, spec: AnyRule, ctx: CompileContext) -> None:
        self.spec = spec
        self.names: list[LevelName] = [n for n in LEVEL_NAMES if n in spec.levels]
        self.levels = np.array([WarningLevel.parse(n) for n in self.names], dtype=np.int8)
        self.needs_confirmation = spec.confirm or self.predicted or self.anomaly
        self.event_at = WarningLevel.parse(spec.event_at) if spec.event_at else None
        sensors = ctx.sensors
        self.members = sensors.of_types(spec.sensor_types)
        self.local = np.full(len(sensors), -1, dtype=np.int32)
        self.local[self.members] = np.arange(len(self.members), dtype=np.int32)
        self.subject_ids: list[str] = [sensors.ids[i] for i in self.members]
        entry, clear = self.thresholds(ctx)
        specs = [spec.levels[n] for n in self.names]
        hold_n = [(s.for_.readings or 1) if s.for_ else 1 for s in specs]
        hold_s = [(s.for_.duration or 0.0) if s.for_ else 0.0 for s in specs]
        self.machine = LevelMachine(
            self.levels,
            spec.direction == "above",
            entry,
            clear,
            np.array(hold_n, dtype=np.int32),
            np.array(hold_s, dtype=np.float64),
        )

    def thresholds(self, ctx: CompileContext) -> tuple[FloatArray, FloatArray]:
        """Entry and clear thresholds, (subjects × levels)."""
        members, sensors = self.members, ctx.sensors
        entry = np.column_stack(
            [resolve(self.spec.levels[n].value, members, sensors) for n in self.names]
        )
        sign = -1.0 if self.spec.direction == "above" else 1.0
        clear_cols = []
        for j, n in enumerate(self.names):
            given = self.spec.levels[n].clear
            if given is None:
                clear_cols.append(entry[:, j] + sign * self.spec.hysteresis)
            else:
                clear_cols.append(resolve(given, members, sensors))
        return entry.reshape(len(members), len(self.names)), np.column_stack(clear_cols).reshape(
            len(members), len(self.names)
        )

    # --- evaluation ------------------------------------------------------------------------------

    def step(self, sensor: IntArray, ts: FloatArray, value: FloatArray) -> Outcome | None:
        """Evaluate one round of readings (each sensor at most once)."""
        local = self.local[sensor]
        mine = local >= 0
        if not mine.any():
            return None
        if not mine.all():
            local, ts, value = local[mine], ts[mine], value[mine]
        evaluated = self.evaluate(local, ts, value)
        if evaluated is None:
            return None
        rows, at, signal, shown = evaluated
        moves = self.machine.update(rows, at, signal)
        return None if moves is None else Outcome(self, moves, shown)

    def evaluate(
        self, rows: IntArray, ts: FloatArray, value: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray] | None:
        """(rows, ts, signal k × L, shown value k) for the rows to judge, or None.

        Every reading-driven rule type defines this; time-driven ones (staleness) override
        `step` instead and never reach it.
        """
        raise TypeError(f"{type(self).__name__} must define evaluate() or override step()")

    def tick(self, now: float, last_seen: FloatArray) -> Outcome | None:
        """Time-driven evaluation (staleness); most rules only react to readings."""
        return None

    def broadcast(self, signal: FloatArray) -> FloatArray:
        return np.repeat(signal[:, None], len(self.names), axis=1)

    # --- state -----------------------------------------------------------------------------------

    def state(self) -> dict[str, NDArray[Any]]:
        return self.machine.state()

    def load_state(self, arrays: dict[str, NDArray[Any]]) -> None:
        self.machine.load_state(arrays)

    # --- explanation ----------------------------------------------------------------------------

    def cause(self, outcome: Outcome, i: int) -> dict[str, Any]:
        """Why move `i` happened: the rule, the reading and the values that crossed."""
        m = outcome.moves
        column = int(m.column[i])
        name = self.names[column]
        spec = self.spec.levels[name]
        out: dict[str, Any] = {
            "rule": self.spec.id,
            "rule_type": self.spec.type,
            "level_rule": name,
            "direction": self.spec.direction,
            "threshold": _num(m.threshold[i]),
            "signal": _num(m.signal[i]),
            "value": _num(outcome.values[m.positions[i]]),
            "consecutive": int(m.count[i]),
        }
        if spec.for_ is not None:
            hold = spec.for_
            out["for"] = (
                {"readings": hold.readings}
                if hold.readings is not None
                else {"duration": format_duration(hold.duration or 0.0)}
            )
        if self.spec.transform != "none":
            out["transform"] = self.spec.transform
        return out | self.details(outcome, i, name)

    def details(self, outcome: Outcome, i: int, name: LevelName) -> dict[str, Any]:
        return {}


def _num(x: Any) -> float | None:
    value = float(x)
    return None if np.isnan(value) else round(value, 6)


Compiler = Callable[[Any, CompileContext], Evaluator]
REGISTRY: dict[str, Compiler] = {}


def register(rule_type: str) -> Callable[[type[Evaluator]], type[Evaluator]]:
    """Class decorator: the evaluator of `rule_type`."""

    def wrap(cls: type[Evaluator]) -> type[Evaluator]:
        REGISTRY[rule_type] = cls
        return cls

    return wrap


def compile_rule(spec: AnyRule, ctx: CompileContext) -> Evaluator:
    # Importing the rule types registers them.
    from cityloop.engine.rules import types  # noqa: F401

    try:
        compiler = REGISTRY[spec.type]
    except KeyError:
        raise ValueError(f"no evaluator registered for rule type {spec.type!r}") from None
    return compiler(spec, ctx)
