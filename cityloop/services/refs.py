"""Readable references: the city's code, a kind letter, the local day, a daily number."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cityloop.city.model import City
from cityloop.services.ports import UnitOfWork


def daily_ref(uow: UnitOfWork, city: City, at: datetime, kind: str = "") -> str:
    """``YZ-20261123-000123`` for events, ``YZ-R20261123-000045`` for reports (kind "R"); the
    day is the city's local day at ``at`` and the number counts up within it."""
    day = at.astimezone(ZoneInfo(city.timezone)).strftime("%Y%m%d")
    scope = f"{city.code}-{kind}{day}"
    return f"{scope}-{uow.events.next_sequence(scope):06d}"
