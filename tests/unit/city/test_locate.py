from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from cityloop.bench.locate import run_locate_bench
from cityloop.city import City, Locator, load_city
from cityloop.domain.territory import LEVELS, JurisdictionChain, Level
from tests.unit.city.conftest import TinyCity


def shapely_truth(city: City, lon: Any, lat: Any) -> list[JurisdictionChain | None]:
    """Ground truth: the chain of the deepest jurisdiction intersecting each point (the first
    in file order on a shared boundary), or None."""
    points = shapely.points(lon, lat)
    out: list[JurisdictionChain | None] = [None] * len(lon)
    for level in LEVELS:  # deeper levels overwrite shallower ones
        members = [j for j in city.jurisdictions.values() if j.level is level]
        tree = shapely.STRtree([j.geometry for j in members])
        pt, hit = tree.query(points, predicate="intersects")
        best = np.full(len(lon), len(members))
        np.minimum.at(best, pt, hit)
        for i in np.flatnonzero(best < len(members)):
            out[i] = members[best[i]].chain
    return out


def near_boundary_points(city: City, n: int, rng: np.random.Generator) -> tuple[Any, Any]:
    grids = [j.geometry for j in city.jurisdictions.values() if j.level is Level.GRID]
    rings = shapely.segmentize(shapely.boundary(np.array(grids, dtype=object)), 1e-3)
    coords = shapely.get_coordinates(rings)
    pick = coords[rng.integers(0, len(coords), n)]
    return pick[:, 0] + rng.normal(0, 2e-6, n), pick[:, 1] + rng.normal(0, 2e-6, n)


def test_locate_many_matches_shapely_everywhere(demo_city: City) -> None:
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = demo_city.city_jurisdiction.geometry.bounds
    lon_u = rng.uniform(x0 - 0.02, x1 + 0.02, 60_000)
    lat_u = rng.uniform(y0 - 0.02, y1 + 0.02, 60_000)
    lon_b, lat_b = near_boundary_points(demo_city, 60_000, rng)
    lon, lat = np.concatenate([lon_u, lon_b]), np.concatenate([lat_u, lat_b])
    batch = demo_city.locator.locate_many(lon, lat)
    truth = shapely_truth(demo_city, lon, lat)
    got = [batch.chain(i) for i in range(len(lon))]
    mismatches = [i for i in range(len(lon)) if got[i] != truth[i]]
    assert mismatches == []
    assert list(batch.inside) == [c is not None for c in truth]
    assert 0.05 < 1 - batch.inside[:60_000].mean() < 0.6  # some points really are outside


def test_locate_returns_the_full_chain(demo_city: City) -> None:
    grid = demo_city.jurisdiction_at("YZ03S02C02G004")
    point = grid.geometry.representative_point()
    assert demo_city.locator.locate(point.x, point.y) == grid.chain


def test_locate_outside_the_city_is_none(demo_city: City) -> None:
    assert demo_city.locator.locate(0.0, 0.0) is None
    x0, y0, _, _ = demo_city.city_jurisdiction.geometry.bounds
    assert demo_city.locator.locate(x0 - 1e-4, y0 - 1e-4) is None


def test_points_with_no_number_or_far_away_are_outside_without_warnings(demo_city: City) -> None:
    p = demo_city.jurisdictions["YZ02S01"].geometry.representative_point()
    lon = np.array([p.x, np.nan, np.inf, 1e300, p.x])
    lat = np.array([p.y, p.y, p.y, p.y, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in cast"
        batch = demo_city.locator.locate_many(lon, lat)
    assert batch.inside.tolist() == [True, False, False, False, False]


def test_batch_chain_matches_single_locate(demo_city: City) -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(106.4, 106.8, 50), rng.uniform(29.4, 29.7, 50)
    batch = demo_city.locator.locate_many(lon, lat)
    for i in range(50):
        assert batch.chain(i) == demo_city.locator.locate(float(lon[i]), float(lat[i]))


def test_one_point_located_alone_lands_where_the_batch_puts_it_boundaries_included(
    demo_city: City,
) -> None:
    rng = np.random.default_rng(11)
    x0, y0, x1, y1 = demo_city.city_jurisdiction.geometry.bounds
    lon_u = rng.uniform(x0 - 0.02, x1 + 0.02, 3_000)
    lat_u = rng.uniform(y0 - 0.02, y1 + 0.02, 3_000)
    lon_b, lat_b = near_boundary_points(demo_city, 3_000, rng)
    lon = np.concatenate([lon_u, lon_b, [x0, x1, 1e9]])
    lat = np.concatenate([lat_u, lat_b, [y0, y1, -1e9]])
    batch = demo_city.locator.locate_many(lon, lat)
    single = [demo_city.locator.locate(float(lon[i]), float(lat[i])) for i in range(len(lon))]
    assert single == [batch.chain(i) for i in range(len(lon))]
    assert any(c is None for c in single)
    assert any(c is not None for c in single)
    inside = next(i for i, c in enumerate(single) if c is not None)
    again = demo_city.locator.locate(float(lon[inside]), float(lat[inside]))
    assert again is single[inside]  # one chain object per jurisdiction, reused
    assert demo_city.locator.locate(float("nan"), 29.5) is None


def test_point_in_a_gap_between_grids_gets_the_deepest_level_that_contains_it(
    tiny: TinyCity, tmp_path: Path
) -> None:
    city = load_city(tiny.write(tmp_path))
    without_a_grid = [j for j in city.jurisdictions.values() if j.code != "TC02S01C01G002"]
    locator = Locator.from_jurisdictions(without_a_grid)
    assert locator.locate(106.3, 29.3) == JurisdictionChain(
        "TC", "TC02", "TC02S01", "TC02S01C01", None
    )
    assert locator.locate(106.3, 29.1) == JurisdictionChain(
        "TC", "TC02", "TC02S01", "TC02S01C01", "TC02S01C01G001"
    )
    batch = locator.locate_many(np.array([106.3]), np.array([29.3]))
    assert batch.index(Level.GRID)[0] == -1
    assert batch.code_at(Level.COMMUNITY, 0) == "TC02S01C01"


def test_shared_boundary_goes_to_the_jurisdiction_listed_first(
    tiny: TinyCity, tmp_path: Path
) -> None:
    city = load_city(tiny.write(tmp_path))
    chain = city.locator.locate(106.2, 29.1)  # on the border of TC01 and TC02
    assert chain is not None
    assert chain.district == "TC01"


def test_locate_bench_reports_points_per_second(tiny: TinyCity, tmp_path: Path) -> None:
    result = run_locate_bench(load_city(tiny.write(tmp_path)), points=10_000, seed=1)
    assert result["bench"] == "locate"
    assert result["points"] == 10_000
    assert result["points_per_s"] > 0
