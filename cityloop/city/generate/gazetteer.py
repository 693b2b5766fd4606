"""The demo city's unified address table (城市码): roads, house numbers and named places.

`write_gazetteer` reads the city just written to `out`, draws roads inside each district
(`gazetteer_roads`), numbers houses along both sides of every road (odd numbers on the left, even
on the right, one every 30–75 m), scatters named places (estates, schools, hospitals, markets,
stations, parks, malls) beside the roads, adds government offices and a bridge where a road crosses
a river, locates every point in the grid, and writes `addresses.csv` and `roads.geojson`.

Address codes (documented in docs/configuration.md):

- road: `<district>-R<nnn>`, e.g. `YZ01-R012`;
- house: `<road code>-<number, 4 digits>`, e.g. `YZ01-R012-0128`;
- place: `<street>-P<nnnn>`, numbered within the street the place lies in, e.g. `YZ01S03-P0042`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from cityloop.city.generate.gazetteer_names import (
    ELDERLY_HOMES_PER_DISTRICT,
    PLACE_PATTERNS,
    PLACES_PER_DISTRICT,
    ROAD_NAMED_SHARE,
    house_name,
    place_bases,
)
from cityloop.city.generate.gazetteer_roads import Frame, Road, draw_roads
from cityloop.city.generate.writer import geojson_geometry, write_feature_collection
from cityloop.city.locate import Locator
from cityloop.city.model import City
from cityloop.domain.territory import Level

ADDRESSES_FILE = "addresses.csv"
ROADS_FILE = "roads.geojson"
COLUMNS = ("code", "kind", "name_zh", "name_en", "road_code", "number", "lon", "lat", "grid_code")

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

_HOUSE_STEP_M = (30.0, 75.0)
_HOUSE_SETBACK_M = 15.0
_PLACE_SETBACK_M = (40.0, 120.0)
_SEED_SALT = 0xADD2E55


@dataclass
class _Entry:
    """One row before it is located: its point in the metric frame and its fields."""

    kind: str
    name_zh: str
    name_en: str
    x: float
    y: float
    road_code: str = ""
    number: int | None = None
    code: str = ""


def _points_along(line: Any, pos: FloatArray, side: float, setback: float) -> FloatArray:
    """Points at distances `pos` along `line`, moved `setback` metres to its left (side=1)."""
    here = shapely.get_coordinates(shapely.line_interpolate_point(line, pos))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(line, pos + 2.0))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(line, pos - 2.0))
    tangent = ahead - behind
    tangent /= np.maximum(np.hypot(tangent[:, 0], tangent[:, 1]), 1e-9)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    out: FloatArray = here + side * setback * normal
    return out


def _road_entries(road: Road, rng: np.random.Generator) -> list[_Entry]:
    """The road itself (at its midpoint), then its house numbers in ascending order."""
    mid = road.line.interpolate(0.5, normalized=True)
    entries = [_Entry("road", road.name_zh, road.name_en, mid.x, mid.y, code=road.code)]
    length = float(road.line.length)
    houses: list[_Entry] = []
    for side, first in ((1.0, 1), (-1.0, 2)):
        steps = rng.uniform(*_HOUSE_STEP_M, size=int(length / _HOUSE_STEP_M[0]) + 2)
        pos = rng.uniform(8.0, 30.0) + np.cumsum(steps) - steps[0]
        pos = pos[pos < length - 8.0]
        xy = _points_along(road.line, pos, side, _HOUSE_SETBACK_M)
        for k, (x, y) in enumerate(xy):
            number = first + 2 * k
            zh, en = house_name(road.name_zh, road.name_en, number)
            code = f"{road.code}-{number:04d}"
            houses.append(_Entry("house", zh, en, x, y, road.code, number, code))
    houses.sort(key=lambda e: e.number or 0)
    return entries + houses


def _place_beside(road: Road, rng: np.random.Generator) -> tuple[float, float]:
    pos = np.array([rng.uniform(0.1, 0.9) * road.line.length])
    side = 1.0 if rng.random() < 0.5 else -1.0
    xy = _points_along(road.line, pos, side, rng.uniform(*_PLACE_SETBACK_M))
    return float(xy[0, 0]), float(xy[0, 1])


def _district_places(
    city: City,
    district: str,
    roads: list[Road],
    bases: list[tuple[str, str]],
    used: set[str],
    rng: np.random.Generator,
    counts: dict[str, int] = PLACES_PER_DISTRICT,
) -> list[_Entry]:
    weights = np.array([r.line.length for r in roads])
    weights /= weights.sum()
    out: list[_Entry] = []
    for kind, count in counts.items():
        patterns = PLACE_PATTERNS[kind]
        made = 0
        for _attempt in range(count * 20):
            if made == count:
                break
            road = roads[int(rng.choice(len(roads), p=weights))]
            p_zh, p_en = patterns[int(rng.integers(len(patterns)))]
            if rng.random() < ROAD_NAMED_SHARE[kind]:
                b_zh, b_en = road.name_zh, road.name_en
            else:
                b_zh, b_en = bases[int(rng.integers(len(bases)))]
            zh, en = f"{b_zh}{p_zh}", f"{b_en} {p_en}"
            if zh in used or en.lower() in used:
                continue
            used.update((zh, en.lower()))
            x, y = _place_beside(road, rng)
            out.append(_Entry(kind, zh, en, x, y, road_code=road.code))
            made += 1
    if counts is not PLACES_PER_DISTRICT:
        return out
    name = city.jurisdictions[district]
    ward = name.name_en.removesuffix(" District")
    for zh, en in ((f"{name.name_zh}人民医院", f"{ward} People's Hospital"),):
        road = roads[0]
        x, y = _place_beside(road, rng)
        out.append(_Entry("hospital", zh, en, x, y, road_code=road.code))
    return out


def _offices(city: City, frame: Frame) -> list[_Entry]:
    out = []
    for j in city.jurisdictions.values():
        if j.level is Level.DISTRICT:
            zh, en = f"{j.name_zh}人民政府", f"{j.name_en} Government"
        elif j.level is Level.STREET:
            zh = f"{j.name_zh}办事处"
            en = f"{j.name_en.removesuffix(' Street')} Sub-district Office"
        else:
            continue
        p = frame.to_metres(j.geometry.point_on_surface())
        out.append(_Entry("government", zh, en, p.x, p.y))
    return out


def _bridges(city: City, frame: Frame, roads: list[Road], used: set[str]) -> list[_Entry]:
    rivers = frame.to_metres(shapely.union_all([r.geometry for r in city.rivers.values()]))
    out = []
    for road in roads:
        crossing = road.line.intersection(rivers)
        points = [p for p in shapely.get_parts(crossing) if p.geom_type == "Point"]
        if not points:
            continue
        first = min(points, key=lambda p: road.line.project(p))
        zh = road.base_zh + ("大桥" if road.road_class == "avenue" else "桥")
        en = f"{road.base_en} Bridge"
        if zh in used or en.lower() in used:
            continue
        used.update((zh, en.lower()))
        out.append(_Entry("bridge", zh, en, first.x, first.y, road_code=road.code))
    return out


def _locate(
    entries: list[_Entry], frame: Frame, locator: Locator
) -> tuple[list[str], FloatArray, FloatArray, list[str | None]]:
    """Rounded lon/lat of every entry, its grid code and its street code (None outside)."""
    xs = np.array([e.x for e in entries])
    ys = np.array([e.y for e in entries])
    lon, lat = frame.to_lonlat(xs, ys)
    lon, lat = np.round(lon, 6), np.round(lat, 6)
    batch = locator.locate_many(lon, lat)
    grids = [batch.code_at(Level.GRID, i) or "" for i in range(len(entries))]
    streets = [batch.code_at(Level.STREET, i) for i in range(len(entries))]
    return grids, lon, lat, streets


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def write_gazetteer(out: Path, seed: int) -> None:
    """Write `addresses.csv` and `roads.geojson` for the city in `out`; same seed, same bytes."""
    from cityloop.city.loader import load_city

    out = Path(out)
    for name in (ADDRESSES_FILE, ROADS_FILE):
        (out / name).unlink(missing_ok=True)
    city = load_city(out)
    rng = np.random.default_rng([seed, _SEED_SALT])
    centre = city.city_jurisdiction.geometry.centroid
    frame = Frame(round(centre.x, 6), round(centre.y, 6))
    roads = draw_roads(city, frame, rng)
    entries = [e for road in roads for e in _road_entries(road, rng)]
    used = {n for r in roads for n in (r.name_zh, r.name_en.lower())}
    bases = place_bases(rng)
    places: list[_Entry] = []
    for district in sorted({r.district for r in roads}):
        mine = [r for r in roads if r.district == district]
        places += _district_places(city, district, mine, bases, used, rng)
    places += _offices(city, frame) + _bridges(city, frame, roads, used)
    homes_rng = np.random.default_rng([seed, _SEED_SALT, 1])
    homes = {"elderly_home": ELDERLY_HOMES_PER_DISTRICT}
    for district in sorted({r.district for r in roads}):
        mine = [r for r in roads if r.district == district]
        places += _district_places(city, district, mine, bases, used, homes_rng, homes)
    entries += places
    locator = Locator.from_jurisdictions(city.jurisdictions.values(), resolution=1024)
    grids, lon, lat, streets = _locate(entries, frame, locator)
    serial: dict[str, int] = {}
    rows: list[list[str]] = []
    kept_roads: set[str] = set()
    for i, e in enumerate(entries):
        street = streets[i]
        if not grids[i] or street is None or (e.road_code and e.road_code not in kept_roads):
            continue  # off the territory, in no grid, or on a road that is not addressable
        if e.kind == "road":
            kept_roads.add(e.code)
        if not e.code:
            serial[street] = serial.get(street, 0) + 1
            e.code = f"{street}-P{serial[street]:04d}"
        number = "" if e.number is None else str(e.number)
        point = [f"{lon[i]:.6f}", f"{lat[i]:.6f}", grids[i]]
        rows.append([e.code, e.kind, e.name_zh, e.name_en, e.road_code, number, *point])
    _write_csv(out / ADDRESSES_FILE, rows)
    features = []
    for road in roads:
        line = shapely.simplify(road.line, 5.0)
        x, y = shapely.get_coordinates(line).T
        lon_r, lat_r = frame.to_lonlat(x, y)
        props = {"code": road.code, "name_zh": road.name_zh, "name_en": road.name_en}
        props |= {"class": road.road_class, "district": road.district}
        geometry = geojson_geometry(shapely.linestrings(np.column_stack([lon_r, lat_r])))
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    write_feature_collection(out / ROADS_FILE, features)
