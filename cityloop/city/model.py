"""The loaded city: territory, departments, event taxonomy, responsibilities and demo users.

A `City` is built by `cityloop.city.loader.load_city` from a validated folder; it answers the
questions the rest of CityLoop asks of the configuration (time limits, routing, handling level,
where a point lies) and says *why* for each answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cityloop.city.schema import (
    DEFAULT_HANDLING_LEVELS,
    Assignment,
    Board,
    DepartmentCategory,
    TypeResponsibility,
)
from cityloop.domain.access import Role
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, JurisdictionChain, Level

if TYPE_CHECKING:
    from cityloop.city.locate import Locator


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    parent_code: str | None
    level: Level
    name_zh: str
    name_en: str
    children: tuple[str, ...]
    chain: JurisdictionChain
    geometry: Any = field(repr=False, compare=False)
    """A shapely Polygon or MultiPolygon in WGS84 lon/lat."""


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name_zh: str
    name_en: str
    category: DepartmentCategory


@dataclass(frozen=True, slots=True)
class TimeLimits:
    accept_minutes: int
    dispose_minutes: int
    source: str
    """Where the numbers come from, e.g. "class urban, grade IV" or "type UM06 override"."""


@dataclass(frozen=True, slots=True)
class EventClass:
    code: str
    name_zh: str
    name_en: str
    time_limits: dict[Severity, tuple[int, int]]
    """(accept_minutes, dispose_minutes) per severity grade defined for the class."""


@dataclass(frozen=True, slots=True)
class EventType:
    code: str
    class_code: str
    name_zh: str
    name_en: str
    board: Board
    default_severity: Severity
    keywords_zh: tuple[str, ...] = ()
    keywords_en: tuple[str, ...] = ()
    time_limits: dict[Severity, tuple[int, int]] = field(default_factory=dict)
    """Per-type overrides of the class time limits (often empty)."""
    merge_radius_m: float | None = None
    """How close a report must be to an open event of this type to join it (None: the
    platform's de-duplication radius; 0: never by place)."""


@dataclass(frozen=True, slots=True)
class Routing:
    lead: str
    co: tuple[str, ...]
    level: HandlingLevel
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    password: str
    display_name: str
    role: Role
    jurisdiction: str
    department: str | None = None


@dataclass(frozen=True, slots=True)
class River:
    id: str
    name_zh: str
    name_en: str
    downstream_id: str | None
    order: int
    geometry: Any = field(repr=False, compare=False)
    """A shapely LineString in WGS84 lon/lat."""


def _describe_assignment(lead: str, co: tuple[str, ...]) -> str:
    return f"lead {lead}, co {', '.join(co)}" if co else f"lead {lead}, no co-units"


def _nearest_grade(defined: dict[Severity, tuple[int, int]], severity: Severity) -> Severity:
    """The defined grade closest to `severity`; on a tie the graver one."""
    return min(defined, key=lambda s: (abs(s.rank - severity.rank), s.rank))


@dataclass(frozen=True)
class City:
    """A city folder, loaded and validated."""

    code: str
    name_zh: str
    name_en: str
    timezone: str
    default_language: str
    root: Path
    center: tuple[float, float] | None
    jurisdictions: dict[str, Jurisdiction]
    departments: dict[str, Department]
    event_classes: dict[str, EventClass]
    event_types: dict[str, EventType]
    users: list[DemoUser]
    rivers: dict[str, River]
    responsibilities: dict[str, TypeResponsibility] = field(repr=False)
    handling_levels: dict[Severity, HandlingLevel] = field(repr=False)
    """City-wide severity → handling level, already merged with the built-in defaults."""

    @cached_property
    def locator(self) -> Locator:
        """Point → jurisdiction chain, built on first use from the jurisdiction polygons."""
        from cityloop.city.locate import Locator

        return Locator.from_jurisdictions(self.jurisdictions.values())

    @property
    def city_jurisdiction(self) -> Jurisdiction:
        return next(j for j in self.jurisdictions.values() if j.level is Level.CITY)

    def jurisdiction_at(self, code: str) -> Jurisdiction:
        try:
            return self.jurisdictions[code]
        except KeyError:
            raise KeyError(f"unknown jurisdiction {code!r}") from None

    def descendants(self, code: str) -> list[str]:
        """Every jurisdiction below `code` (not itself), level by level."""
        out: list[str] = []
        frontier = list(self.jurisdiction_at(code).children)
        while frontier:
            out.extend(frontier)
            frontier = [c for p in frontier for c in self.jurisdictions[p].children]
        return out

    def event_type(self, type_code: str) -> EventType:
        try:
            return self.event_types[type_code]
        except KeyError:
            raise KeyError(f"unknown event type {type_code!r}") from None

    def time_limits(self, type_code: str, severity: Severity) -> TimeLimits:
        """Accept and dispose limits of an event type at a severity, and where they come from."""
        etype = self.event_type(type_code)
        if severity in etype.time_limits:
            accept, dispose = etype.time_limits[severity]
            return TimeLimits(accept, dispose, f"type {type_code} override, grade {severity}")
        eclass = self.event_classes[etype.class_code]
        if severity in eclass.time_limits:
            accept, dispose = eclass.time_limits[severity]
            return TimeLimits(accept, dispose, f"class {eclass.code}, grade {severity}")
        nearest = _nearest_grade(eclass.time_limits, severity)
        accept, dispose = eclass.time_limits[nearest]
        return TimeLimits(
            accept,
            dispose,
            f"class {eclass.code}, grade {nearest} (nearest defined grade; "
            f"grade {severity} is not defined)",
        )

    def handling_level(self, type_code: str, severity: Severity) -> HandlingLevel:
        """Which centre handles an event of this type and severity (street, district, city)."""
        self.event_type(type_code)
        per_type = self.responsibilities[type_code].handling_level_by_severity
        if severity in per_type:
            return per_type[severity]
        return self.handling_levels.get(severity, DEFAULT_HANDLING_LEVELS[severity])

    def route(self, type_code: str, level: HandlingLevel, district_code: str | None) -> Routing:
        """Lead and co-operating departments for an event, with the reasons for the choice."""
        self.event_type(type_code)
        resp = self.responsibilities[type_code]
        entry: Assignment | None = resp.at(level)
        if entry is not None:
            where = f"at {level} level"
        elif resp.default is not None:
            entry, where = resp.default, f"default entry (no {level} entry)"
        else:
            raise KeyError(f"event type {type_code} has no responsibility at {level} level")
        lead, co = entry.lead, tuple(entry.co)
        reasons = [f"responsibility list: {type_code} {where} → {_describe_assignment(lead, co)}"]
        for override in resp.overrides:
            if override.district == district_code and override.level in (None, level):
                lead, co = override.lead, tuple(override.co)
                scope = f"at {level} level" if override.level else "at every level"
                reasons.append(
                    f"override for district {district_code} {scope} → "
                    f"{_describe_assignment(lead, co)}"
                )
                break
        return Routing(lead=lead, co=co, level=level, reasons=tuple(reasons))
