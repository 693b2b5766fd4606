"""Territory value objects: the five administrative levels and a jurisdiction chain."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """The five levels of the territory, from the whole city down to a grid."""

    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"

    @property
    def depth(self) -> int:
        return LEVELS.index(self)

    def parent(self) -> Level | None:
        return None if self is Level.CITY else LEVELS[self.depth - 1]

    def child(self) -> Level | None:
        return None if self is Level.GRID else LEVELS[self.depth + 1]


LEVELS: tuple[Level, ...] = (
    Level.CITY,
    Level.DISTRICT,
    Level.STREET,
    Level.COMMUNITY,
    Level.GRID,
)


class HandlingLevel(StrEnum):
    """The three command centres that can own the handling of an event."""

    STREET = "street"
    DISTRICT = "district"
    CITY = "city"

    def up(self) -> HandlingLevel | None:
        """The next centre up (street → district → city), or None at the top."""
        order = (HandlingLevel.STREET, HandlingLevel.DISTRICT, HandlingLevel.CITY)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


@dataclass(frozen=True, slots=True)
class JurisdictionChain:
    """The codes of every level a point lies in, from city down to grid.

    Lower levels may be None when a city's polygons do not reach that deep at the point.
    """

    city: str
    district: str | None = None
    street: str | None = None
    community: str | None = None
    grid: str | None = None

    def code_at(self, level: Level) -> str | None:
        value: str | None = getattr(self, level.value)
        return value

    def code_at_name(self, level: str) -> str | None:
        """The code at a level given by name (``"street"``, ``"district"``…)."""
        return self.code_at(Level(level))

    def contains(self, code: str) -> bool:
        return code in (self.city, self.district, self.street, self.community, self.grid)

    def as_dict(self) -> dict[str, str | None]:
        return {lvl.value: self.code_at(lvl) for lvl in LEVELS}


def spanning_level(a: JurisdictionChain, b: JurisdictionChain) -> HandlingLevel:
    """The lowest command centre whose territory holds both places: their street when they lie
    in one street, their district when in one district, else the city."""
    if a.street is not None and a.street == b.street:
        return HandlingLevel.STREET
    if a.district is not None and a.district == b.district:
        return HandlingLevel.DISTRICT
    return HandlingLevel.CITY
