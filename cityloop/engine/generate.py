"""Sensors and key areas of the demo city, placed where such sensors stand in a real city.

`write_sensors(out, seed)` loads the generated city and writes `areas.yaml` and `sensors.csv`
(17,000+ sensing points, the 1.7万 of seed 004 §4.1): rain gauges spread out and along the rivers,
water-level gauges and dissolved-oxygen stations on the river segments (each linked to its
segment), crowd counters in commercial districts and metro stations (linked to their area),
hydrants and gas detectors where the city is dense, slope sensors on the hillsides of the
outskirts, manhole level sensors in every grid, traffic detectors along the arterial roads and
PM2.5 micro-stations everywhere. Same city and seed, same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from cityloop.city.generate.writer import geojson_geometry, write_yaml
from cityloop.city.loader import load_city
from cityloop.city.model import City
from cityloop.domain.territory import Level
from cityloop.engine.areas import AREAS_FILE
from cityloop.engine.sensor_types import TYPE_SPECS, SensorType
from cityloop.engine.sensors import SENSORS_FILE, SensorRow, write_sensor_rows

Rng = np.random.Generator
XY = np.ndarray[Any, np.dtype[np.float64]]
M_PER_DEG_LAT = 110_540.0
COUNTS = {
    SensorType.RAINFALL: 300,
    SensorType.WATER_LEVEL: 80,
    SensorType.DISSOLVED_OXYGEN: 40,
    SensorType.PM25: 600,
    SensorType.CROWD_COUNT: 1500,
    SensorType.TRAFFIC_SPEED: 2500,
    SensorType.HYDRANT_PRESSURE: 5000,
    SensorType.SLOPE_DISPLACEMENT: 800,
    SensorType.GAS_LEL: 3500,
}
"""Sensors per type; manhole level sensors are one per grid (3,300+)."""
PREFIX = {
    SensorType.RAINFALL: "RG", SensorType.WATER_LEVEL: "WL", SensorType.DISSOLVED_OXYGEN: "DO",
    SensorType.PM25: "PM", SensorType.CROWD_COUNT: "CC", SensorType.TRAFFIC_SPEED: "TS",
    SensorType.HYDRANT_PRESSURE: "HP", SensorType.SLOPE_DISPLACEMENT: "SD",
    SensorType.GAS_LEL: "GL", SensorType.MANHOLE_LEVEL: "ML",
}  # fmt: skip


class _Site:
    """Geometry helpers around the city outline and its centre."""

    def __init__(self, city: City) -> None:
        self.outline = city.city_jurisdiction.geometry
        shapely.prepare(self.outline)
        c = self.outline.centroid
        self.cx, self.cy = c.x, c.y
        x0, y0, x1, y1 = self.outline.bounds
        self.bounds = (x0, y0, x1, y1)
        self.rx, self.ry = (x1 - x0) / 2, (y1 - y0) / 2
        self.m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(self.cy))

    def radius(self, xy: XY) -> XY:
        """Normalised distance from the centre (1 ≈ the outline)."""
        out: XY = np.hypot((xy[:, 0] - self.cx) / self.rx, (xy[:, 1] - self.cy) / self.ry)
        return out

    def sample(self, n: int, rng: Rng, weight: Callable[[XY], XY]) -> XY:
        """`n` points inside the city, accepted with probability `weight(xy)` (≤ 1)."""
        x0, y0, x1, y1 = self.bounds
        found: list[XY] = []
        count = 0
        while count < n:
            xy = rng.uniform((x0, y0), (x1, y1), size=(4 * n + 64, 2))
            xy = xy[shapely.contains_xy(self.outline, xy[:, 0], xy[:, 1])]
            xy = xy[rng.uniform(size=len(xy)) < weight(xy)]
            found.append(xy)
            count += len(xy)
        return np.concatenate(found)[:n]

    def dense(self, spread: float) -> Callable[[XY], XY]:
        def weight(xy: XY) -> XY:
            out: XY = np.exp(-((self.radius(xy) / spread) ** 2))
            return out

        return weight

    def disc(self, x: float, y: float, r_m: float, vertices: int = 24) -> Any:
        angle = np.linspace(0.0, 2 * math.pi, vertices, endpoint=False)
        ring = np.column_stack(
            [
                x + r_m * np.cos(angle) / self.m_per_deg_lon,
                y + r_m * np.sin(angle) / M_PER_DEG_LAT,
            ]
        )
        return shapely.Polygon(np.round(ring, 6))


def _areas(site: _Site, rng: Rng) -> list[dict[str, Any]]:
    """24 pedestrian commercial districts near the centre and 16 metro station plazas."""
    out: list[dict[str, Any]] = []
    taken: list[Any] = []
    plan = [("commercial", "商圈", "Commercial district", 24, (80.0, 200.0), 0.35),
            ("station", "轨道站", "Metro station", 16, (30.0, 60.0), 0.55)]  # fmt: skip
    for kind, zh, en, n, (r_lo, r_hi), spread in plan:
        made = 0
        while made < n:
            x, y = site.sample(1, rng, site.dense(spread))[0]
            r_m = float(rng.uniform(r_lo, r_hi))
            poly = site.disc(float(x), float(y), r_m)
            if not site.outline.contains(poly) or any(poly.distance(t) < 0.002 for t in taken):
                continue
            taken.append(poly)
            made += 1
            vertices = len(poly.exterior.coords) - 1
            area_m2 = 0.5 * vertices * r_m**2 * math.sin(2 * math.pi / vertices)
            out.append(
                {
                    "id": f"{'CBD' if kind == 'commercial' else 'STN'}{made:02d}",
                    "name_zh": f"{zh}{made:02d}",
                    "name_en": f"{en} {made:02d}",
                    "kind": kind,
                    "area_m2": round(area_m2, 1),
                    "capacity": int(area_m2),
                    "geometry": geojson_geometry(poly),
                }
            )
    return out


def _along(lines: list[Any], n: int, site: _Site, rng: Rng) -> tuple[XY, list[int]]:
    """`n` points spread along `lines` (by length) inside the city, and each one's line."""
    lengths = np.array([ln.length for ln in lines])
    xy: list[tuple[float, float]] = []
    which: list[int] = []
    while len(xy) < n:
        k = int(rng.choice(len(lines), p=lengths / lengths.sum()))
        p = lines[k].interpolate(float(rng.uniform(0, lengths[k])))
        if site.outline.contains(p):
            xy.append((p.x, p.y))
            which.append(k)
    return np.array(xy), which


def _roads(site: _Site, rng: Rng) -> list[Any]:
    """Arterial roads: an inner ring, an outer ring and six radial roads."""
    theta = np.linspace(0, 2 * math.pi, 97)
    roads = [
        shapely.LineString(
            np.column_stack(
                [site.cx + f * site.rx * np.cos(theta), site.cy + f * site.ry * np.sin(theta)]
            )
        )
        for f in (0.3, 0.6)
    ]
    start = rng.uniform(0, math.pi / 3)
    for k in range(6):
        a = start + k * math.pi / 3
        end = (site.cx + 1.1 * site.rx * math.cos(a), site.cy + 1.1 * site.ry * math.sin(a))
        roads.append(shapely.LineString([(site.cx, site.cy), end]))
    return roads


def _placements(city: City, site: _Site, rng: Rng, areas: list[dict[str, Any]]) -> list[Any]:
    """(type, xy, extras per point) for every type."""
    rivers = list(city.rivers.values())
    river_lines = [r.geometry for r in rivers]
    out: list[Any] = []
    n = COUNTS
    # Rain gauges: 4 in 5 spread over the city, the rest along the rivers.
    spread = site.sample(n[SensorType.RAINFALL] * 4 // 5, rng, lambda xy: np.ones(len(xy)))
    riverside, _ = _along(river_lines, n[SensorType.RAINFALL] - len(spread), site, rng)
    out.append((SensorType.RAINFALL, np.vstack([spread, riverside]), None))
    for kind in (SensorType.WATER_LEVEL, SensorType.DISSOLVED_OXYGEN):
        xy, which = _along(river_lines, n[kind], site, rng)
        out.append((kind, xy, [{"river": rivers[k].id} for k in which]))
    out.append((SensorType.PM25, site.sample(n[SensorType.PM25], rng, site.dense(1.2)), None))
    # Crowd counters inside the key areas, in proportion to their surface.
    sizes = np.array([a["area_m2"] for a in areas])
    per_area = np.floor(sizes / sizes.sum() * n[SensorType.CROWD_COUNT]).astype(int)
    per_area[: n[SensorType.CROWD_COUNT] - per_area.sum()] += 1
    crowd_xy, crowd_extra = [], []
    for area, count in zip(areas, per_area, strict=True):
        poly = shape(area["geometry"])
        x0, y0, x1, y1 = poly.bounds
        got = 0
        view_m2 = round(area["area_m2"] / max(int(count), 1), 1)  # the camera's share of the area
        while got < count:
            x, y = rng.uniform((x0, y0), (x1, y1))
            if poly.contains(shapely.Point(x, y)):
                crowd_xy.append((x, y))
                crowd_extra.append({"area": area["id"], "view_m2": view_m2})
                got += 1
    out.append((SensorType.CROWD_COUNT, np.array(crowd_xy), crowd_extra))
    roads, _ = _along(_roads(site, rng), n[SensorType.TRAFFIC_SPEED], site, rng)
    out.append((SensorType.TRAFFIC_SPEED, roads, None))
    hydrants = site.sample(n[SensorType.HYDRANT_PRESSURE], rng, site.dense(0.55))
    out.append((SensorType.HYDRANT_PRESSURE, hydrants,
                [{"nominal_mpa": round(float(rng.uniform(0.25, 0.45)), 2),
                  "asset": f"HYD{k + 1:05d}"} for k in range(len(hydrants))]))  # fmt: skip
    out.append((SensorType.GAS_LEL, site.sample(n[SensorType.GAS_LEL], rng, site.dense(0.75)),
                None))  # fmt: skip
    # Slope sensors: clusters of 20 on hillside sites of the outskirts, away from the rivers.
    river_union = shapely.union_all(river_lines)

    def hillside(xy: XY) -> XY:
        far = site.radius(xy) > 0.6
        dry = shapely.distance(shapely.points(xy), river_union) > 0.02
        out_w: XY = (far & dry).astype(np.float64)
        return out_w

    sites = site.sample(n[SensorType.SLOPE_DISPLACEMENT] // 20, rng, hillside)
    slope: list[tuple[float, float]] = []
    for x, y in sites:
        got = 0
        while got < 20:
            dx, dy = rng.normal(0, 250.0, 2)
            p = (x + dx / site.m_per_deg_lon, y + dy / M_PER_DEG_LAT)
            if site.outline.contains(shapely.Point(p)):
                slope.append(p)
                got += 1
    out.append((SensorType.SLOPE_DISPLACEMENT, np.array(slope), None))
    grids = [j for j in city.jurisdictions.values() if j.level is Level.GRID]
    manholes = np.array([(p.x, p.y) for p in (g.geometry.point_on_surface() for g in grids)])
    out.append((SensorType.MANHOLE_LEVEL, manholes,
                [{"depth_m": round(float(rng.uniform(1.5, 4.0)), 2), "asset": f"MH{k + 1:05d}"}
                 for k in range(len(manholes))]))  # fmt: skip
    return out


def _interval(kind: SensorType, rng: Rng) -> float:
    if kind is SensorType.RAINFALL:
        return float(rng.choice([60.0, 300.0, 300.0, 300.0, 3600.0]))
    return TYPE_SPECS[kind].interval_s


def _params(kind: SensorType, extra: dict[str, Any], rng: Rng) -> dict[str, float]:
    if kind is SensorType.WATER_LEVEL:
        warning = round(float(rng.uniform(172.0, 190.0)), 2)
        return {
            "warning_level": warning,
            "guarantee_level": round(warning + float(rng.uniform(1.5, 3.0)), 2),
        }
    return {k: v for k, v in extra.items() if k in ("nominal_mpa", "depth_m", "view_m2")}


def sensor_rows(city: City, seed: int) -> tuple[list[SensorRow], list[dict[str, Any]]]:
    """The demo sensors and key areas of a generated city (deterministic)."""
    rng = np.random.default_rng(seed + 404)
    site = _Site(city)
    areas = _areas(site, rng)
    rows: list[SensorRow] = []
    for kind, xy, extras in _placements(city, site, rng, areas):
        xy = np.round(xy, 6)
        located = city.locator.locate_many(xy[:, 0], xy[:, 1])
        grid_index, grid_codes = located.index(Level.GRID), located.codes(Level.GRID)
        for k in range(len(xy)):
            extra = extras[k] if extras is not None else {}
            g = int(grid_index[k])
            rows.append(
                SensorRow(
                    id=f"{PREFIX[kind]}{k + 1:05d}",
                    type=kind,
                    lon=float(xy[k, 0]),
                    lat=float(xy[k, 1]),
                    unit=TYPE_SPECS[kind].unit,
                    department=TYPE_SPECS[kind].department,
                    interval=_interval(kind, rng),
                    river=extra.get("river"),
                    area=extra.get("area"),
                    asset=extra.get("asset"),
                    grid=grid_codes[g] if g >= 0 else None,
                    params=_params(kind, extra, rng),
                )
            )
    return rows, areas


def write_sensors(out: Path, seed: int) -> None:
    """Write `areas.yaml` and `sensors.csv` of the demo city generated in `out`."""
    city = load_city(out)
    rows, areas = sensor_rows(city, seed)
    write_yaml(
        Path(out) / AREAS_FILE,
        {"areas": areas},
        "Key areas of the demo city watched for crowd density (commercial districts, metro\n"
        "stations). capacity = persons at 1 per m². Generated by `cityloop city generate`.",
    )
    write_sensor_rows(Path(out) / SENSORS_FILE, rows)
