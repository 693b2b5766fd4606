"""A reporter's contact details, kept apart from the event so that access can be limited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Reporter:
    id: str
    created_at: datetime
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    device_id: str | None = None
