"""The schema of a city folder: one pydantic model per file (and per nested record).

These models validate the *shape* of each file; cross-file rules (references, geometry, coverage)
live in `cityloop.city.check`. Field names here are the keys written in the files, and every one
of them is documented in `docs/configuration.md` (a test enforces it).
"""

from __future__ import annotations

import zoneinfo
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cityloop.domain.access import Role
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, Level

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Position = Annotated[list[float], Field(min_length=2, max_length=3)]
Ring = Annotated[list[Position], Field(min_length=4)]


class _Strict(BaseModel):
    """Base of every schema model: unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- city.yaml -----------------------------------------------------------------------------------


class CityFile(_Strict):
    """`city.yaml`: identity of the city."""

    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,7}$")]
    name_zh: Name
    name_en: Name
    timezone: str
    default_language: Literal["zh", "en"] = "zh"
    center: tuple[float, float] | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("center")
    @classmethod
    def _lon_lat(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
            raise ValueError("center must be [longitude, latitude] in degrees (WGS84)")
        return value


# --- jurisdictions.geojson -----------------------------------------------------------------------


class PolygonGeometry(_Strict):
    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1)]


class MultiPolygonGeometry(_Strict):
    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Annotated[list[Ring], Field(min_length=1)]], Field(min_length=1)]


AreaGeometry = Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]


class JurisdictionProperties(_Strict):
    code: Code
    parent_code: Code | None
    level: Level
    name_zh: Name
    name_en: Name


class JurisdictionFeature(_Strict):
    type: Literal["Feature"]
    properties: JurisdictionProperties
    geometry: AreaGeometry


class JurisdictionsFile(_Strict):
    """`jurisdictions.geojson`: the territory, one feature per jurisdiction."""

    type: Literal["FeatureCollection"]
    features: Annotated[list[JurisdictionFeature], Field(min_length=1)]


# --- departments.yaml ----------------------------------------------------------------------------


class DepartmentCategory(StrEnum):
    """The three kinds of department of the pooled city departments (seed 002 §3(3)2)."""

    EMERGENCY_RESPONSE = "emergency_response"
    OPERATIONAL_SUPPORT = "operational_support"
    LINKED_COOPERATION = "linked_cooperation"


class DepartmentSpec(_Strict):
    code: Code
    name_zh: Name
    name_en: Name
    category: DepartmentCategory


class DepartmentsFile(_Strict):
    """`departments.yaml`."""

    departments: Annotated[list[DepartmentSpec], Field(min_length=1)]


# --- event_types.yaml ----------------------------------------------------------------------------


class TimeLimitSpec(_Strict):
    accept_minutes: Annotated[int, Field(gt=0)]
    dispose_minutes: Annotated[int, Field(gt=0)]

    @model_validator(mode="after")
    def _accept_before_dispose(self) -> TimeLimitSpec:
        if self.dispose_minutes < self.accept_minutes:
            raise ValueError("dispose_minutes must not be shorter than accept_minutes")
        return self


class EventClassSpec(_Strict):
    name_zh: Name
    name_en: Name
    time_limits: Annotated[dict[Severity, TimeLimitSpec], Field(min_length=1)]


class Board(StrEnum):
    """The four boards of a street centre: party building, economy, livelihood, safety."""

    PB = "PB"
    ED = "ED"
    LS = "LS"
    SR = "SR"


class EventTypeSpec(_Strict):
    code: Code
    class_: Annotated[Code, Field(alias="class")]
    name_zh: Name
    name_en: Name
    board: Board
    default_severity: Severity = Severity.IV
    keywords_zh: list[Annotated[str, Field(min_length=1)]] = []
    keywords_en: list[Annotated[str, Field(min_length=1)]] = []
    time_limits: dict[Severity, TimeLimitSpec] = {}
    #: Reports this close to an open event of the type join it (None: the platform's radius;
    #: 0: never by place, e.g. a device's fault is that device's own case).
    merge_radius_m: Annotated[float, Field(ge=0, le=5000)] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EventTypesFile(_Strict):
    """`event_types.yaml`."""

    classes: Annotated[dict[Code, EventClassSpec], Field(min_length=1)]
    types: Annotated[list[EventTypeSpec], Field(min_length=1)]


# --- responsibilities.yaml -----------------------------------------------------------------------


class Assignment(_Strict):
    lead: Code
    co: list[Code] = []


class Override(_Strict):
    district: Code
    level: HandlingLevel | None = None
    lead: Code
    co: list[Code] = []


class TypeResponsibility(_Strict):
    street: Assignment | None = None
    district: Assignment | None = None
    city: Assignment | None = None
    default: Assignment | None = None
    handling_level_by_severity: dict[Severity, HandlingLevel] = {}
    overrides: list[Override] = []

    def at(self, level: HandlingLevel) -> Assignment | None:
        entry: Assignment | None = getattr(self, level.value)
        return entry


DEFAULT_HANDLING_LEVELS: dict[Severity, HandlingLevel] = {
    Severity.IV: HandlingLevel.STREET,
    Severity.III: HandlingLevel.DISTRICT,
    Severity.II: HandlingLevel.CITY,
    Severity.I: HandlingLevel.CITY,
}


class ResponsibilitiesFile(_Strict):
    """`responsibilities.yaml`: the responsibility list (who leads, who co-operates)."""

    handling_level_by_severity: dict[Severity, HandlingLevel] = {}
    types: Annotated[dict[Code, TypeResponsibility], Field(min_length=1)]


# --- users.yaml ----------------------------------------------------------------------------------


class UserSpec(_Strict):
    username: Annotated[str, Field(pattern=r"^[a-z0-9_.\-]{2,64}$")]
    password: Annotated[str, Field(min_length=8)]
    display_name: Name
    role: Role
    jurisdiction: Code
    department: Code | None = None

    @model_validator(mode="after")
    def _department_only_for_handlers(self) -> UserSpec:
        if self.role is Role.DEPARTMENT_HANDLER and self.department is None:
            raise ValueError("a department_handler needs a department")
        if self.role is not Role.DEPARTMENT_HANDLER and self.department is not None:
            raise ValueError(f"only a department_handler has a department, not a {self.role}")
        return self


class UsersFile(_Strict):
    """`users.yaml`: demo accounts (plaintext passwords: demo only, never in production)."""

    users: list[UserSpec] = []


# --- rivers.geojson ------------------------------------------------------------------------------


class LineStringGeometry(_Strict):
    type: Literal["LineString"]
    coordinates: Annotated[list[Position], Field(min_length=2)]


class RiverProperties(_Strict):
    id: Code
    name_zh: Name
    name_en: Name
    downstream_id: Code | None
    order: Annotated[int, Field(ge=1)]


class RiverFeature(_Strict):
    type: Literal["Feature"]
    properties: RiverProperties
    geometry: LineStringGeometry


class RiversFile(_Strict):
    """`rivers.geojson` (optional): river segments, each pointing to the one downstream."""

    type: Literal["FeatureCollection"]
    features: list[RiverFeature]


SCHEMA_MODELS: tuple[type[BaseModel], ...] = (
    CityFile,
    JurisdictionsFile,
    DepartmentsFile,
    EventTypesFile,
    ResponsibilitiesFile,
    UsersFile,
    RiversFile,
)
"""The root model of every file of a city folder (see `docs/configuration.md`)."""
