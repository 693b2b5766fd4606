"""De-duplication: is a new report one more account of a problem already open?"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from cityloop.domain.event import Event

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bbox(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a box that contains the circle: every point
    whose haversine distance to (lon, lat) is at most ``radius_m`` is inside it."""
    angle = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angle)
    # The circle's widest longitude: asin(sin(angle) / cos(lat)); all of them near a pole.
    ratio = math.sin(angle) / max(1e-12, math.cos(math.radians(lat)))
    dlon = math.degrees(math.asin(ratio)) if ratio < 1 else 180.0
    # A hair wider than the circle, so that rounding never leaves out a point on its edge.
    dlat, dlon = dlat * (1 + 1e-9) + 1e-12, dlon * (1 + 1e-9) + 1e-12
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


class Circle(NamedTuple):
    """Where a report looks for open events to join: a centre (WGS84) and a radius in metres.
    Stores find the events inside it or a little beyond; :func:`best_match` measures."""

    lon: float
    lat: float
    radius_m: float

    def box(self) -> tuple[float, float, float, float]:
        return bbox(self.lon, self.lat, self.radius_m)


def bigrams(text: str) -> set[str]:
    cleaned = "".join(ch.lower() for ch in text if ch.isalnum())
    return {cleaned[i : i + 2] for i in range(len(cleaned) - 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams (works for Chinese and English)."""
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


@dataclass(frozen=True, slots=True)
class DedupPolicy:
    radius_m: float = 200.0
    window: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class DuplicateOf:
    event: Event
    distance_m: float
    text_similarity: float

    def reasons(self, policy: DedupPolicy) -> tuple[str, ...]:
        hours = policy.window.total_seconds() / 3600
        return (
            f"same type {self.event.type_code} as open event {self.event.ref}",
            f"{self.distance_m:.0f} m away (within {policy.radius_m:.0f} m)",
            f"reported within {hours:g} h",
            f"text similarity {self.text_similarity:.2f}",
        )


def best_match(
    candidates: list[Event],
    *,
    lon: float,
    lat: float,
    text: str,
    now: datetime,
    policy: DedupPolicy,
) -> DuplicateOf | None:
    """The open event this report duplicates: nearest first, text similarity breaks ties."""
    scored = []
    for event in candidates:
        if event.location.lon is None or event.location.lat is None:
            continue
        if event.created_at < now - policy.window:
            continue
        d = haversine_m(lon, lat, event.location.lon, event.location.lat)
        if d > policy.radius_m:
            continue
        sim = similarity(text, f"{event.title} {event.description}")
        # Within 10 m distances count as equal, so the text decides between close events.
        scored.append((round(d / 10), -sim, event.created_at, DuplicateOf(event, d, sim)))
    if not scored:
        return None
    scored.sort(key=lambda s: (s[0], s[1], s[2]))
    return scored[0][3]
