"""The schema of a plan file (`plans/*.yaml`): levels IV → I, conditions, tasks, messages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cityloop.plans.resources import RESOURCE_TYPES

GRADES = ("I", "II", "III", "IV")
WARNING_LEVELS = ("blue", "yellow", "orange", "red")
Grade = Literal["I", "II", "III", "IV"]
WarningLevel = Literal["blue", "yellow", "orange", "red"]
Code = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class LocalText(_Strict):
    """A text in Chinese and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class WarningCondition(_Strict):
    """Holds when an active warning is at or above `level` (of `rule`, else of the plan's rules)."""

    level: WarningLevel
    rule: str | None = None


class SeverityCondition(_Strict):
    """Holds when an open event (of `event_type`, else of the plan's types) is this grave."""

    at_least: Grade
    event_type: Code | None = None


class CountCondition(_Strict):
    """Holds when at least `at_least` events of `event_type` are open in one `per` area."""

    event_type: Code
    at_least: int = Field(ge=1)
    per: Literal["city", "district", "street"] = "district"
    min_severity: Grade | None = None


class Condition(_Strict):
    """Exactly one of: `warning`, `severity`, `count`, `all` (every one), `any` (at least one)."""

    warning: WarningCondition | None = None
    severity: SeverityCondition | None = None
    count: CountCondition | None = None
    all_of: list[Condition] | None = Field(None, alias="all", min_length=1)
    any_of: list[Condition] | None = Field(None, alias="any", min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        kinds = [self.warning, self.severity, self.count, self.all_of, self.any_of]
        if sum(k is not None for k in kinds) != 1:
            raise ValueError("a condition has exactly one of warning, severity, count, all, any")
        return self


class ResourceNeed(_Strict):
    type: str
    count: int = Field(ge=1)

    @model_validator(mode="after")
    def _known_type(self) -> ResourceNeed:
        if self.type not in RESOURCE_TYPES:
            raise ValueError(f"unknown resource type '{self.type}'")
        return self


class TaskSpec(_Strict):
    """One department's task at a response level."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    department: Code
    role: Literal["lead", "support"]
    action: LocalText
    deadline_minutes: int = Field(ge=1, le=7 * 24 * 60)
    resources: list[ResourceNeed] = Field(default_factory=list)
    checks: list[LocalText] = Field(default_factory=list)


class PublicMessage(_Strict):
    """Templates of the CAP headline and instruction; `{plan}`, `{level}`, `{area}` filled in."""

    headline: LocalText
    instruction: LocalText


class LevelSpec(_Strict):
    level: Grade
    conditions: Condition
    tasks: list[TaskSpec] = Field(min_length=1)
    message: PublicMessage

    @model_validator(mode="after")
    def _one_lead(self) -> LevelSpec:
        ids = [t.id for t in self.tasks]
        if len(set(ids)) != len(ids):
            raise ValueError("task ids must be unique within a level")
        if not any(t.role == "lead" for t in self.tasks):
            raise ValueError("a level needs at least one lead task")
        return self


class Triggers(_Strict):
    event_types: list[Code] = Field(min_length=1)
    warning_rules: list[str] = Field(default_factory=list)


class PlanFile(_Strict):
    """One plan: `plans/<id>.yaml`."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,59}$")
    name: LocalText
    triggers: Triggers
    confirm: bool = True
    levels: list[LevelSpec] = Field(min_length=1, max_length=4)

    @model_validator(mode="after")
    def _distinct_levels(self) -> PlanFile:
        grades = [lv.level for lv in self.levels]
        if len(set(grades)) != len(grades):
            raise ValueError("each response level appears at most once")
        return self

    def level(self, grade: str) -> LevelSpec | None:
        return next((lv for lv in self.levels if lv.level == grade), None)


PLAN_SCHEMA_MODELS: list[type[BaseModel]] = [PlanFile]
