"""A river network for the demo city: a meandering main river west → east and its tributaries.

Each river is cut into segments; every segment names the segment it flows into
(`downstream_id`), so later scenarios can trace a pollution upstream. A tributary's last segment
flows into the main-river segment that starts at the confluence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

MAIN_RIVER = ("渝江", "Yu River")
TRIBUTARIES: tuple[tuple[str, str], ...] = (
    ("清溪河", "Qingxi River"),
    ("桃花溪", "Taohua Creek"),
    ("龙门河", "Longmen River"),
    ("梅溪河", "Meixi River"),
)
MAIN_SEGMENTS = 8


@dataclass(frozen=True)
class Segment:
    id: str
    name_zh: str
    name_en: str
    downstream_id: str | None
    order: int
    geometry: Any


def _split(xy: np.ndarray[Any, Any], parts: int) -> list[np.ndarray[Any, Any]]:
    cuts = np.linspace(0, len(xy) - 1, parts + 1).round().astype(int)
    return [xy[cuts[k] : cuts[k + 1] + 1] for k in range(parts)]


def _meander(
    start: tuple[float, float], end: tuple[float, float], n: int, amplitude: float,
    rng: np.random.Generator,
) -> np.ndarray[Any, Any]:  # fmt: skip
    """A smooth wavy line from start to end (sum of two sines across the straight line)."""
    t = np.linspace(0.0, 1.0, n)
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy)
    nx, ny = -dy / length, dx / length
    wave = np.zeros_like(t)
    for k in (1.5, 3.5):
        wave += amplitude / k * np.sin(math.pi * k * t + rng.uniform(0, 2 * math.pi))
    wave *= np.sin(math.pi * t)  # pinned at both ends
    return np.column_stack([start[0] + t * dx + wave * nx, start[1] + t * dy + wave * ny])


def build_rivers(city: Any, rng: np.random.Generator) -> list[Segment]:
    x0, y0, x1, y1 = city.bounds
    cy = (y0 + y1) / 2
    main_xy = _meander(
        (x0 - 0.03, cy + rng.uniform(-0.04, 0.04)),
        (x1 + 0.03, cy + rng.uniform(-0.04, 0.04)),
        161,
        0.06,
        rng,
    )
    main_parts = _split(main_xy, MAIN_SEGMENTS)
    segments: list[Segment] = []
    main_ids = [f"R01-{k + 1:02d}" for k in range(MAIN_SEGMENTS)]
    for k, part in enumerate(main_parts):
        downstream = main_ids[k + 1] if k + 1 < MAIN_SEGMENTS else None
        segments.append(Segment(main_ids[k], *MAIN_RIVER, downstream, 2, shapely.LineString(part)))
    confluences = sorted(
        rng.choice(np.arange(1, MAIN_SEGMENTS - 1), size=len(TRIBUTARIES), replace=False)
    )
    for r, ((zh, en), k) in enumerate(zip(TRIBUTARIES, confluences, strict=True)):
        mouth = tuple(main_parts[k][-1])  # the end of main segment k = start of segment k + 1
        side = 1 if r % 2 == 0 else -1
        source = (
            mouth[0] - rng.uniform(0.03, 0.1),
            mouth[1] + side * rng.uniform(0.14, 0.2),
        )
        xy = _meander(source, (float(mouth[0]), float(mouth[1])), 61, 0.025, rng)
        n_parts = 2 + r % 2
        ids = [f"R{r + 2:02d}-{j + 1:02d}" for j in range(n_parts)]
        for j, part in enumerate(_split(xy, n_parts)):
            downstream = ids[j + 1] if j + 1 < n_parts else main_ids[k + 1]
            segments.append(Segment(ids[j], zh, en, downstream, 1, shapely.LineString(part)))
    return segments
