"""A report: one person's (or one system's) account of a problem, from one channel.

Reports become events: the first report of a problem creates one; later reports of the same
problem join it (de-duplication). A report keeps what was said, exactly as received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    OPEN311 = "open311"
    HOTLINE = "hotline"
    GRID = "grid"
    DEPARTMENT = "department"
    API = "api"
    SENSOR = "sensor"


@dataclass
class Report:
    id: str
    ref: str
    channel: Channel
    received_at: datetime
    title: str
    text: str
    type_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    reporter_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    media: list[str] = field(default_factory=list)
    external_id: str | None = None
    submitted_by: str | None = None
    event_id: str | None = None
    token: str | None = None
    citizen_token_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Rating:
    report_id: str
    event_id: str
    score: int
    comment: str | None
    created_at: datetime
