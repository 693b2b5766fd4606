"""The city: a folder of configuration (territory, departments, taxonomy, responsibilities)."""

from cityloop.city.check import ConfigIssue, check_city
from cityloop.city.loader import CityConfigError, load_city
from cityloop.city.locate import LocatedBatch, Locator
from cityloop.city.model import (
    City,
    DemoUser,
    Department,
    EventClass,
    EventType,
    Jurisdiction,
    River,
    Routing,
    TimeLimits,
)

__all__ = [
    "City",
    "CityConfigError",
    "ConfigIssue",
    "DemoUser",
    "Department",
    "EventClass",
    "EventType",
    "Jurisdiction",
    "LocatedBatch",
    "Locator",
    "River",
    "Routing",
    "TimeLimits",
    "check_city",
    "load_city",
]
