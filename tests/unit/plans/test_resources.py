"""Nearest resources by great-circle distance."""

from __future__ import annotations

import numpy as np
import pytest

from cityloop.plans.resources import ResourceRegistry, ResourceRow, haversine_m


def row(id: str, type: str, lon: float, lat: float, status: str = "available") -> ResourceRow:
    return ResourceRow(
        id=id,
        name_zh=id,
        name_en=id,
        type=type,
        department="EMB",
        lon=lon,
        lat=lat,
        capacity=1,
        status=status,  # type: ignore[arg-type]
    )


def test_haversine_matches_one_degree_of_latitude() -> None:
    d = haversine_m(106.5, 29.0, np.array([106.5]), np.array([30.0]))
    assert d[0] == pytest.approx(111_195, rel=1e-4)


def test_nearest_orders_by_distance_and_filters_type_category_and_status() -> None:
    reg = ResourceRegistry(
        [
            row("FAR", "rescue_team", 106.60, 29.60),
            row("NEAR", "rescue_team", 106.51, 29.51),
            row("BUSY", "rescue_team", 106.500, 29.500, status="assigned"),
            row("TRUCK", "drainage_pump_truck", 106.505, 29.505),
        ]
    )
    hits = reg.nearest(106.5, 29.5, type="rescue_team")
    assert [h.resource.id for h in hits] == ["NEAR", "FAR"]
    assert hits[0].distance_m < hits[1].distance_m
    assert [h.resource.id for h in reg.nearest(106.5, 29.5, type="team", limit=1)] == ["NEAR"]
    assert [h.resource.id for h in reg.nearest(106.5, 29.5, type="vehicle")] == ["TRUCK"]
    every = reg.nearest(106.5, 29.5, available_only=False)
    assert every[0].resource.id == "BUSY"
    assert every[0].distance_m == pytest.approx(0.0)
    assert ResourceRegistry([]).nearest(106.5, 29.5) == []
