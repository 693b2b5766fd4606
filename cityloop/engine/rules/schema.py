"""The schema of a rule file (`rules/*.yaml`): a list of rules, discriminated by `type`.

Every rule names the sensor types it applies to, its levels (blue … red, each a threshold with an
optional hold `for`), the level at or above which a warning becomes an event (`event_at`), the
event type it maps to, and whether a person must confirm it. `docs/rules.md` gives the semantics.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cityloop.engine.duration import Duration
from cityloop.engine.sensor_types import SensorType

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
LevelName = Literal["blue", "yellow", "orange", "red"]
LEVEL_NAMES: tuple[LevelName, ...] = ("blue", "yellow", "orange", "red")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Hold(_Strict):
    """How long the condition of a level must hold: N consecutive readings, or a duration."""

    readings: Annotated[int, Field(ge=1)] | None = None
    duration: Duration | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Hold:
        if (self.readings is None) == (self.duration is None):
            raise ValueError("a hold needs exactly one of 'readings' or 'duration'")
        return self


class ParamRef(_Strict):
    """A per-sensor threshold from `sensors.csv` params:
    `(param + fraction × (toward − param)) × scale + offset`."""

    param: Code
    toward: Code | None = None
    fraction: float = 0.0
    scale: float = 1.0
    offset: float = 0.0

    def params(self) -> tuple[str, ...]:
        return (self.param,) if self.toward is None else (self.param, self.toward)


Threshold = float | ParamRef


class LevelSpec(_Strict):
    value: Threshold
    for_: Annotated[Hold | None, Field(alias="for")] = None
    clear: Threshold | None = None
    window: Duration | None = None


Transform = Literal["none", "iaqi_pm25"]


class _RuleBase(_Strict):
    id: Code
    name_zh: Annotated[str, Field(min_length=1, max_length=200)]
    name_en: Annotated[str, Field(min_length=1, max_length=200)]
    source: str = ""
    sensor_types: Annotated[list[SensorType], Field(min_length=1)]
    event_type: Code | None = None
    event_at: LevelName | None = None
    confirm: bool = False
    direction: Literal["above", "below"] = "above"
    hysteresis: Annotated[float, Field(ge=0)] = 0.0
    transform: Transform = "none"
    levels: Annotated[dict[LevelName, LevelSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _coherent(self) -> _RuleBase:
        if self.event_at is not None and self.event_type is None:
            raise ValueError("'event_at' needs an 'event_type'")
        if self.event_at is not None and self.event_at not in self.levels:
            raise ValueError(f"'event_at' {self.event_at!r} is not one of the rule's levels")
        constant = [
            (name, spec.value)
            for name in LEVEL_NAMES
            if (spec := self.levels.get(name)) is not None and isinstance(spec.value, float)
        ]
        same_window = len({s.window for s in self.levels.values()}) == 1
        if same_window and len(constant) == len(self.levels):
            values = [v for _, v in constant]
            ordered = values == sorted(values, reverse=self.direction == "below")
            if not ordered:
                word = "higher" if self.direction == "above" else "lower"
                raise ValueError(f"each level's value must be {word} than the level below it")
        return self

    def parameters(self) -> set[str]:
        """Names of the sensor params that the thresholds read."""
        out: set[str] = set()
        for spec in self.levels.values():
            for ref in (spec.value, spec.clear):
                if isinstance(ref, ParamRef):
                    out.update(ref.params())
        return out

    def _constant_only(self, kind: str) -> None:
        for name, spec in self.levels.items():
            if isinstance(spec.value, ParamRef) or isinstance(spec.clear, ParamRef):
                raise ValueError(f"levels.{name}: a {kind} rule takes numbers, not sensor params")

    def _no_windows(self) -> None:
        for name, spec in self.levels.items():
            if spec.window is not None:
                raise ValueError(f"levels.{name}.window is only for rolling rules")


class ThresholdRule(_RuleBase):
    type: Literal["threshold"]

    @model_validator(mode="after")
    def _check(self) -> ThresholdRule:
        self._no_windows()
        return self


class RollingRule(_RuleBase):
    type: Literal["rolling"]
    agg: Literal["sum", "mean", "max"] = "sum"
    bucket: Annotated[Duration, Field(gt=0)] = 300.0
    window: Duration | None = None

    @model_validator(mode="after")
    def _check(self) -> RollingRule:
        for name, spec in self.levels.items():
            window = spec.window or self.window
            if window is None:
                raise ValueError(f"levels.{name} needs a 'window' (or give the rule one)")
            if window < self.bucket:
                raise ValueError(f"levels.{name}.window must be at least one bucket")
            if window / self.bucket > 2880:
                raise ValueError(f"levels.{name}.window spans more than 2880 buckets")
        return self

    def window_of(self, name: LevelName) -> float:
        window = self.levels[name].window or self.window
        assert window is not None
        return window


class RateRule(_RuleBase):
    type: Literal["rate"]
    per: Annotated[Duration, Field(gt=0)] = 3600.0
    span: Duration = 0.0

    @model_validator(mode="after")
    def _check(self) -> RateRule:
        self._no_windows()
        return self


class StalenessRule(_RuleBase):
    type: Literal["staleness"]
    include_never_seen: bool = False

    @model_validator(mode="after")
    def _check(self) -> StalenessRule:
        self._no_windows()
        self._constant_only("staleness")
        if self.direction != "above" or self.transform != "none":
            raise ValueError("a staleness rule is always 'above' with no transform")
        for name, spec in self.levels.items():
            if spec.for_ is not None:
                raise ValueError(f"levels.{name}: a staleness rule has no 'for'")
        return self


class AreaRule(_RuleBase):
    type: Literal["area"]
    agg: Literal["density", "occupancy", "sum"] = "density"

    @model_validator(mode="after")
    def _check(self) -> AreaRule:
        self._no_windows()
        self._constant_only("area")
        return self


class ForecastRule(_RuleBase):
    type: Literal["forecast"]
    horizon: Annotated[Duration, Field(gt=0)]
    alpha: Annotated[float, Field(gt=0, le=1)] = 0.5
    beta: Annotated[float, Field(gt=0, le=1)] = 0.3
    min_readings: Annotated[int, Field(ge=2)] = 3

    @model_validator(mode="after")
    def _check(self) -> ForecastRule:
        self._no_windows()
        return self


class AnomalyRule(_RuleBase):
    type: Literal["anomaly"]
    window: Annotated[int, Field(ge=5, le=1000)] = 30
    min_scale: Annotated[float, Field(gt=0)] = 1e-6

    @model_validator(mode="after")
    def _check(self) -> AnomalyRule:
        self._constant_only("anomaly")
        for name, spec in self.levels.items():
            if spec.window is not None:
                raise ValueError(f"levels.{name}.window is only for rolling rules")
        if self.direction != "above" or self.transform != "none":
            raise ValueError(
                "an anomaly rule is always 'above' (a robust z-score) with no transform"
            )
        return self


RuleSpec = Annotated[
    ThresholdRule | RollingRule | RateRule | StalenessRule | AreaRule | ForecastRule | AnomalyRule,
    Field(discriminator="type"),
]


class RulesFile(_Strict):
    """A file of `rules/` (`*.yaml`): the rules it declares, evaluated in file order."""

    rules: list[RuleSpec] = []
