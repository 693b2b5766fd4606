"""De-duplication's geometry: the box a store searches holds the whole circle."""

from __future__ import annotations

import math

import pytest

from cityloop.services.dedup import EARTH_RADIUS_M, Circle, bbox, haversine_m


def destination(lon: float, lat: float, bearing_deg: float, d_m: float) -> tuple[float, float]:
    """The point ``d_m`` metres from (lon, lat) on a bearing, on the haversine's sphere."""
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    a = d_m / EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(a) + math.cos(p1) * math.sin(a) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(a) * math.cos(p1), math.cos(a) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(l2), math.degrees(p2)


@pytest.mark.parametrize("lat", [0.0, 29.5, 45.0, 60.0, 75.0])
@pytest.mark.parametrize("radius_m", [10.0, 200.0, 2000.0])
def test_the_box_holds_every_point_of_the_circle_even_on_its_edge(
    lat: float, radius_m: float
) -> None:
    lon = 106.5
    min_lon, min_lat, max_lon, max_lat = bbox(lon, lat, radius_m)
    for bearing in range(0, 360, 3):
        x, y = destination(lon, lat, float(bearing), radius_m)
        assert haversine_m(lon, lat, x, y) == pytest.approx(radius_m, rel=1e-9)
        assert min_lon <= x <= max_lon, bearing
        assert min_lat <= y <= max_lat, bearing


def test_the_box_is_barely_larger_than_the_circle() -> None:
    min_lon, min_lat, max_lon, max_lat = bbox(106.5, 29.5, 200.0)
    assert haversine_m(106.5, min_lat, 106.5, max_lat) == pytest.approx(400.0, rel=1e-6)
    assert haversine_m(min_lon, 29.5, max_lon, 29.5) == pytest.approx(400.0, rel=1e-6)


def test_a_circle_is_a_hashable_value_whose_box_is_its_bbox() -> None:
    near = Circle(106.5, 29.5, 200.0)
    assert near == Circle(106.5, 29.5, 200.0)
    assert len({near, Circle(106.5, 29.5, 200.0)}) == 1
    assert near.box() == bbox(106.5, 29.5, 200.0)
