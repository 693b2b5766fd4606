"""How many reports citizens make, when, about what, where, and through which channel.

The volume follows a time-of-day profile (few at night, peaks late morning and evening) scaled so
that a whole day gives `per_day` reports (Chongqing's centres take about 30,000 a day). Types
are drawn with weights that favour what cities hear most (urban management and livelihood
matters); places are the grids of the city, weighted towards the dense centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cityloop.city import City
from cityloop.domain.territory import Level
from cityloop.sim.channels import point_near
from cityloop.sim.sensors import activity

#: Relative frequency of each class of event in citizens' reports.
CLASS_WEIGHT = {"urban": 6.0, "livelihood": 3.0, "social": 1.0, "health": 0.4,
                "accident": 0.5, "natural": 0.2, "device": 0.0}  # fmt: skip
CHANNELS = (("open311", 0.7), ("hotline", 0.3))


def hourly_profile() -> np.ndarray[Any, np.dtype[np.float64]]:
    """Share of a day's reports in each hour (sums to 1)."""
    hours = np.arange(24, dtype=np.float64) + 0.5
    w = activity(hours)
    out: np.ndarray[Any, np.dtype[np.float64]] = w / w.sum()
    return out


@dataclass
class ReportProfile:
    city: City
    rng: np.random.Generator
    per_day: float = 30_000.0
    types: list[str] = field(init=False)
    weights: np.ndarray[Any, Any] = field(init=False)
    grids: list[tuple[float, float]] = field(init=False)
    grid_weights: np.ndarray[Any, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.types = sorted(self.city.event_types)
        w = np.array([CLASS_WEIGHT.get(self.city.event_types[t].class_code, 1.0)
                      for t in self.types])  # fmt: skip
        self.weights = w / w.sum()
        grids = [j for j in self.city.jurisdictions.values() if j.level is Level.GRID]
        pts = [g.geometry.representative_point() for g in grids]
        self.grids = [(p.x, p.y) for p in pts]
        cx, cy = self.city.city_jurisdiction.geometry.centroid.coords[0]
        d = np.hypot(
            np.array([p[0] for p in self.grids]) - cx, np.array([p[1] for p in self.grids]) - cy
        )
        gw = np.exp(-((d / (d.max() or 1.0)) ** 2) * 3.0)
        self.grid_weights = gw / gw.sum()
        self.profile = hourly_profile()

    def expected(self, start_ts: float, end_ts: float) -> float:
        """Reports expected between two moments (integrating the hourly profile)."""
        if end_ts <= start_ts:
            return 0.0
        grid = np.linspace(start_ts, end_ts, max(2, int((end_ts - start_ts) / 300) + 2))
        hours = ((grid / 3600.0 + 8.0) % 24.0).astype(int)
        rate = self.per_day * self.profile[hours] / 3600.0  # per second
        return (
            float(np.trapezoid(rate, grid))
            if hasattr(np, "trapezoid")
            else float(np.sum((rate[1:] + rate[:-1]) / 2 * np.diff(grid)))
        )

    def draw(self, start_ts: float, end_ts: float) -> list[tuple[str, float, float, str]]:
        """The reports made between two moments: (type, lon, lat, channel)."""
        n = int(self.rng.poisson(self.expected(start_ts, end_ts)))
        out = []
        for _ in range(n):
            code = self.types[int(self.rng.choice(len(self.types), p=self.weights))]
            lon, lat = self.grids[int(self.rng.choice(len(self.grids), p=self.grid_weights))]
            lon, lat = point_near(lon, lat, 150.0, self.rng)
            channel = CHANNELS[0][0] if self.rng.random() < CHANNELS[0][1] else CHANNELS[1][0]
            out.append((code, lon, lat, channel))
        return out
