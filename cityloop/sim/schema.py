"""The scenario file: what happens (the driver and its parameters), the ground truth, and the
expectations the measured outcome must meet. Validated by pydantic; unknown fields are errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def seconds(text: str) -> float:
    """`90s`, `45m`, `2.5h`, `1d` → seconds; ValueError otherwise."""
    m = _DURATION.match(text.strip())
    if m is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 45m, 2.5h, 1d)")
    return float(m.group(1)) * _UNITS[m.group(2)]


Duration = Annotated[str, Field(pattern=r"^\d+(\.\d+)?(s|m|h|d)$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Handling(_Strict):
    """Median delays of the simulated people, in simulated minutes."""

    triage: float = Field(3.0, gt=0)
    accept: float = Field(8.0, gt=0)
    start: float = Field(5.0, gt=0)
    resolve: float = Field(45.0, gt=0)
    feedback: float = Field(30.0, gt=0)
    verify: float = Field(15.0, gt=0)
    close: float = Field(5.0, gt=0)
    spread: float = Field(0.4, ge=0, le=2)
    return_share: float = Field(0.0, ge=0, le=1)


class Rainstorm(_Strict):
    kind: Literal["rainstorm"]
    district: str
    drizzle_mm_h: float = Field(gt=0)
    drizzle: Duration
    peak_mm_h: float = Field(gt=0)
    flooded_manholes: int = Field(ge=0)
    reported_points: int = Field(ge=0)
    duplicates_per_point: tuple[int, int] = (0, 2)
    hotline_share: float = Field(0.2, ge=0, le=1)


class Railing(_Strict):
    kind: Literal["railing"]
    grid_worker: str
    type_code: str
    photo: bool = True


class Pollution(_Strict):
    kind: Literal["pollution"]
    station: str
    polluted_mg_l: list[float] = Field(min_length=3)
    recover_after_resolved: bool = True


class Crowd(_Strict):
    kind: Literal["crowd"]
    area: str
    start_density: float = Field(ge=0)
    peak_density: float = Field(gt=0)
    rise: Duration


class Complaints(_Strict):
    kind: Literal["complaints"]
    type_code: str
    street: str
    reports: int = Field(ge=1)
    radius_m: float = Field(gt=0, le=190)
    over: Duration
    hotline_share: float = Field(0.3, ge=0, le=1)


class Outage(_Strict):
    kind: Literal["outage"]
    district: str
    share: float = Field(gt=0, lt=1)
    before: Duration
    silent: Duration
    max_interval_s: float = Field(900.0, gt=0)


Driver = Annotated[
    Rainstorm | Railing | Pollution | Crowd | Complaints | Outage, Field(discriminator="kind")
]


class Expectation(_Strict):
    """`metric op value`: e.g. `lost == 0`, `max_time_to_close_min <= 165`."""

    metric: str = Field(pattern=r"^[a-z][a-z0-9_.]*$")
    op: Literal["==", "!=", "<", "<=", ">", ">=", "in"]
    value: Any
    why: str | None = None

    def judge(self, measured: Any) -> bool:
        if measured is None:
            return False
        v = self.value
        if self.op == "in":
            return measured in v if isinstance(v, list) else False
        try:
            return bool(
                {
                    "==": measured == v,
                    "!=": measured != v,
                    "<": measured < v,
                    "<=": measured <= v,
                    ">": measured > v,
                    ">=": measured >= v,
                }[self.op]
            )
        except TypeError:
            return False


class GroundTruth(_Strict):
    """What really happened, known to the scenario and unknown to the system."""

    points: int = Field(ge=0, description="distinct incidents (disaster points, cases)")
    reports: int | None = Field(None, ge=0)
    warnings: int | None = Field(None, ge=0, description="warnings a perfect system raises")


class Scenario(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: Text
    source: str = Field(min_length=1, description="where the case comes from (seed, section)")
    clock_speed: float = Field(300.0, gt=0, description="for the scenario's own server")
    duration: Duration = Field(description="simulated time at most; stops earlier when done")
    seed: int = 2026
    event_types: list[str] = Field(min_length=1)
    handling: Handling = Handling()
    plans: list[str] = Field(
        default_factory=list, description="plans whose proposals the simulated centre answers"
    )
    driver: Driver
    truth: GroundTruth
    expect: list[Expectation] = Field(min_length=1)

    @field_validator("duration")
    @classmethod
    def _positive(cls, value: str) -> str:
        if seconds(value) <= 0:
            raise ValueError("duration must be positive")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        d = self.driver
        if isinstance(d, Rainstorm) and d.flooded_manholes + d.reported_points != self.truth.points:
            raise ValueError(
                f"truth.points is {self.truth.points} but the driver makes "
                f"{d.flooded_manholes} flooded manholes + {d.reported_points} reported points"
            )
        if isinstance(d, Complaints) and self.truth.reports not in (None, d.reports):
            raise ValueError(f"truth.reports is {self.truth.reports}, the driver sends {d.reports}")
        return self


class ScenarioError(ValueError):
    pass


SCENARIO_DIR = Path(__file__).parent / "scenarios"


def parse_scenario(text: str, name: str = "<text>") -> Scenario:
    """A scenario from YAML text; ScenarioError names the file and every bad field."""
    from pydantic import ValidationError

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{name}: not YAML: {exc}") from exc
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{name}: {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise ScenarioError("\n".join(lines)) from exc


def load_scenarios(folder: Path = SCENARIO_DIR) -> dict[str, Scenario]:
    """Every scenario shipped (or in `folder`), by id."""
    out: dict[str, Scenario] = {}
    for path in sorted(folder.glob("*.yaml")):
        s = parse_scenario(path.read_text(encoding="utf-8"), path.name)
        if s.id in out:
            raise ScenarioError(f"{path.name}: duplicate scenario id {s.id!r}")
        out[s.id] = s
    return out
