"""Benchmark of batch point location on a city (`cityloop bench locate --json`)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
import shapely

from cityloop.city.locate import Locator
from cityloop.city.model import City


def run_locate_bench(
    city: City, points: int = 1_000_000, seed: int = 0, repeats: int = 5
) -> dict[str, Any]:
    """Locate `points` uniform random points over the city's bounding box; time only
    `locate_many` and report the median of `repeats` runs (at least 3)."""
    t0 = time.perf_counter()
    locator = Locator.from_jurisdictions(city.jurisdictions.values())
    build_s = time.perf_counter() - t0
    x0, y0, x1, y1 = (float(v) for v in shapely.bounds(city.city_jurisdiction.geometry))
    rng = np.random.default_rng(seed)
    lon = rng.uniform(x0, x1, points)
    lat = rng.uniform(y0, y1, points)
    runs = []
    inside = 0
    for _ in range(max(3, repeats)):
        t = time.perf_counter()
        batch = locator.locate_many(lon, lat)
        runs.append(time.perf_counter() - t)
        inside = int(batch.inside.sum())
    median = statistics.median(runs)
    return {
        "bench": "locate",
        "points": points,
        "points_per_s": round(points / median),
        "median_s": round(median, 4),
        "runs_s": [round(r, 4) for r in runs],
        "build_s": round(build_s, 3),
        "jurisdictions": len(city.jurisdictions),
        "inside_share": round(inside / points, 4),
        "boundary_cell_share": round(locator.flagged_share, 4),
    }
