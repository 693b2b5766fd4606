"""Columnar frames: one NumPy array per field, one row per event, timeline line, report, rating.

Times are float seconds since the epoch; missing numbers are NaN, missing strings ``""``.
Row links (timeline → event, report → event) are integer indexes into the event frame
(``-1`` when the report has no event in the frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Strs = NDArray[np.object_]


def strs(values: Sequence[str | None]) -> Strs:
    return np.array([v or "" for v in values], dtype=object)


def floats(values: Sequence[float | None]) -> Floats:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def ts(value: datetime | None) -> float:
    return float("nan") if value is None else value.timestamp()


@dataclass(frozen=True)
class EventFrame:
    id: Strs
    created: Floats
    type_code: Strs
    lead_unit: Strs
    district: Strs
    street: Strs
    grid: Strs
    lon: Floats
    lat: Floats

    def __len__(self) -> int:
        return len(self.id)

    def key(self, by: str) -> Strs:
        """The grouping key of each event: ``department`` (lead unit), ``district``, ``street``."""
        column = {"department": self.lead_unit, "district": self.district, "street": self.street}
        return column[by]


@dataclass(frozen=True)
class TimelineFrame:
    """Timeline lines sorted by event, then sequence (the builder sorts them)."""

    event: Ints
    at: Floats
    action: Strs
    unit: Strs
    on_time: Floats  # resolve: 1.0 / 0.0, else NaN
    phase: Strs  # overdue: "accept" | "dispose"
    score: Floats  # rate: 1–5, else NaN
    accept_by: Floats  # dispatch: the accept deadline, else NaN

    def __len__(self) -> int:
        return len(self.event)

    @classmethod
    def build(cls, rows: Sequence[dict[str, Any]]) -> TimelineFrame:
        """Rows with ``event`` (index), ``seq``, ``at`` (seconds), ``action``, ``unit`` and
        ``payload``; the payload gives on_time, phase, score and accept_by."""
        rows = sorted(rows, key=lambda r: (r["event"], r["seq"]))

        def pay(r: dict[str, Any], name: str) -> Any:
            payload = r.get("payload") or {}
            return payload.get(name) if isinstance(payload, dict) else None

        def accept_by(r: dict[str, Any]) -> float | None:
            value = pay(r, "accept_by") if r["action"] == "dispatch" else None
            return datetime.fromisoformat(value).timestamp() if value else None

        def on_time(r: dict[str, Any]) -> float | None:
            value = pay(r, "on_time") if r["action"] == "resolve" else None
            return None if value is None else float(bool(value))

        return cls(
            event=np.array([r["event"] for r in rows], dtype=np.int64),
            at=floats([r["at"] for r in rows]),
            action=strs([r["action"] for r in rows]),
            unit=strs([r.get("unit") for r in rows]),
            on_time=floats([on_time(r) for r in rows]),
            phase=strs([pay(r, "phase") if r["action"] == "overdue" else None for r in rows]),
            score=floats([pay(r, "score") if r["action"] == "rate" else None for r in rows]),
            accept_by=floats([accept_by(r) for r in rows]),
        )


@dataclass(frozen=True)
class ReportFrame:
    event: Ints
    received: Floats
    type_code: Strs
    lon: Floats
    lat: Floats

    def __len__(self) -> int:
        return len(self.event)


@dataclass(frozen=True)
class RatingFrame:
    event: Ints
    score: Floats

    def __len__(self) -> int:
        return len(self.event)


@dataclass(frozen=True)
class Frames:
    events: EventFrame
    timeline: TimelineFrame
    reports: ReportFrame
    ratings: RatingFrame
