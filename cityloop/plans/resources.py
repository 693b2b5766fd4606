"""The registry of emergency resources (`resources.csv`) and the nearest-resource search.

Distance is great-circle (haversine on a sphere of radius 6,371,008.8 m, the IUGG mean radius),
computed for every resource at once with NumPy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cityloop.city.issues import ConfigIssue, issues_from_validation

RESOURCES_FILE = "resources.csv"
EARTH_RADIUS_M = 6_371_008.8

#: Resource type → category (team, vehicle, supply, shelter).
RESOURCE_TYPES: dict[str, str] = {
    "rescue_team": "team",
    "fire_team": "team",
    "medical_team": "team",
    "police_unit": "team",
    "repair_crew": "team",
    "monitoring_team": "team",
    "drainage_pump_truck": "vehicle",
    "ambulance": "vehicle",
    "fire_engine": "vehicle",
    "generator_truck": "vehicle",
    "water_tanker": "vehicle",
    "sandbags": "supply",
    "absorbent_boom": "supply",
    "barriers": "supply",
    "gas_detector": "supply",
    "shelter": "shelter",
}
CATEGORIES = ("team", "vehicle", "supply", "shelter")
HEADER = ("id", "name_zh", "name_en", "type", "department", "lon", "lat", "capacity", "status")


class ResourceRow(BaseModel):
    """One line of `resources.csv`."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    type: str
    department: str
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    capacity: int = Field(ge=1)
    status: Literal["available", "assigned", "unavailable"] = "available"

    @property
    def category(self) -> str:
        return RESOURCE_TYPES.get(self.type, "other")


def read_resources(root: Path) -> tuple[list[ResourceRow], list[ConfigIssue]]:
    """The rows of the city's `resources.csv` (none when absent) and every problem found."""
    path = root / RESOURCES_FILE
    if not path.exists():
        return [], []
    rows: list[ResourceRow] = []
    issues: list[ConfigIssue] = []
    with path.open(encoding="utf-8", newline="") as f:
        for line, raw in enumerate(csv.DictReader(f), start=2):
            data = {k: (v if v != "" else None) for k, v in raw.items() if k is not None}
            try:
                row = ResourceRow.model_validate({k: v for k, v in data.items() if v is not None})
            except ValidationError as exc:
                for issue in issues_from_validation(RESOURCES_FILE, exc):
                    issues.append(
                        ConfigIssue(RESOURCES_FILE, f"line {line}.{issue.path}", issue.message)
                    )
                continue
            if row.type not in RESOURCE_TYPES:
                issues.append(
                    ConfigIssue(RESOURCES_FILE, f"line {line}.type", f"unknown type '{row.type}'")
                )
            rows.append(row)
    seen: set[str] = set()
    for row in rows:
        if row.id in seen:
            issues.append(ConfigIssue(RESOURCES_FILE, "id", f"duplicate id '{row.id}'"))
        seen.add(row.id)
    return rows, issues


def haversine_m(lon: float, lat: float, lons: Any, lats: Any) -> np.ndarray[Any, Any]:
    """Great-circle distances in metres from one point to arrays of points."""
    lon1, lat1 = np.radians(lon), np.radians(lat)
    lon2 = np.radians(np.asarray(lons, dtype=np.float64))
    lat2 = np.radians(np.asarray(lats, dtype=np.float64))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    out: np.ndarray[Any, Any] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


@dataclass(frozen=True, slots=True)
class Nearby:
    resource: ResourceRow
    distance_m: float
    #: Travel minutes by the travel model the search was given (None without one).
    eta_min: float | None = None


class ResourceRegistry:
    """The city's resources, with their coordinates in arrays for vectorised search."""

    def __init__(self, rows: list[ResourceRow]) -> None:
        self.rows = rows
        self._lons = np.array([r.lon for r in rows], dtype=np.float64)
        self._lats = np.array([r.lat for r in rows], dtype=np.float64)

    @classmethod
    def load(cls, root: Path) -> ResourceRegistry:
        rows, _ = read_resources(root)
        return cls(rows)

    def nearest(
        self,
        lon: float,
        lat: float,
        *,
        type: str | None = None,
        limit: int = 10,
        available_only: bool = True,
        travel: Any = None,
    ) -> list[Nearby]:
        """The nearest resources of a type or category (`team`…), nearest first: by great-circle
        distance, or by travel time when given a travel model (`cityloop.plans.travel`)."""
        if not self.rows:
            return []
        mask = np.ones(len(self.rows), dtype=bool)
        if type is not None:
            mask &= np.array([type in (r.type, r.category) for r in self.rows])
        if available_only:
            mask &= np.array([r.status == "available" for r in self.rows])
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return []
        dist = haversine_m(lon, lat, self._lons[idx], self._lats[idx])
        if travel is None:
            order = np.argsort(dist, kind="stable")[:limit]
            return [Nearby(self.rows[int(idx[i])], float(dist[i])) for i in order]
        minutes = travel.minutes(lon, lat, self._lons[idx], self._lats[idx])
        order = np.argsort(minutes, kind="stable")[:limit]
        return [Nearby(self.rows[int(idx[i])], float(dist[i]), float(minutes[i])) for i in order]
