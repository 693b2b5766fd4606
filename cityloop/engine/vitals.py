"""City vital signs from the latest readings (城市体征): columnar, per jurisdiction group.

Per sensor the engine's neighbour keeps its last value and time and, for rain gauges, the
millimetres fallen per minute over the last hour (a ring of 60 buckets). Indicators are
computed for any grouping of sensors (by district, by street) with NumPy reductions:

- ``online_rate``: share of sensors heard within 3 × their reporting interval (device health);
- ``rainfall_1h_max_mm``: the wettest gauge's rain over the last 60 minutes;
- ``aqi_max``: the highest PM2.5 individual AQI (HJ 633-2012) of fresh readings;
- ``crowd_density_max``: the densest key area, people per m² (its counters' sum / its area);
- ``congestion_index``: mean travel-time index of fresh traffic detectors, free-flow 50 km/h
  over the measured speed (1.0 = free flow, 2.0 = twice as slow; capped at 10).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cityloop.engine.areas import AreaSpec
from cityloop.engine.batch import ReadingBatch
from cityloop.engine.rules.transforms import iaqi_pm25
from cityloop.engine.sensor_types import TYPE_ORDER, SensorType
from cityloop.engine.sensors import SensorTable

MINUTES = 60
STALE_AFTER = 3.0
FREE_FLOW_KMH = 50.0
FRESH_S = 900.0

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _type_mask(sensors: SensorTable, kind: SensorType) -> NDArray[np.bool_]:
    mask: NDArray[np.bool_] = sensors.types == TYPE_ORDER.index(kind)
    return mask


class SensorVitals:
    def __init__(self, sensors: SensorTable, areas: Sequence[AreaSpec] = ()) -> None:
        n = len(sensors)
        self.sensors = sensors
        self.last_value: FloatArray = np.full(n, np.nan)
        self.last_ts: FloatArray = np.full(n, np.nan)
        self.rain: FloatArray = np.zeros((n, MINUTES))
        self.rain_minute: IntArray = np.full(n * MINUTES, -1, dtype=np.int64).reshape(n, MINUTES)
        self.is_rain = _type_mask(sensors, SensorType.RAINFALL)
        self.is_pm25 = _type_mask(sensors, SensorType.PM25)
        self.is_traffic = _type_mask(sensors, SensorType.TRAFFIC_SPEED)
        self.is_crowd = _type_mask(sensors, SensorType.CROWD_COUNT)
        self.areas = list(areas)
        area_pos = {a.id: k for k, a in enumerate(self.areas)}
        self.area_of = np.array(
            [area_pos.get(a, -1) if a else -1 for a in sensors.areas], dtype=np.int64
        )
        self.area_m2 = np.array([a.area_m2 for a in self.areas], dtype=np.float64)

    def update(self, batch: ReadingBatch, accepted: NDArray[np.bool_]) -> None:
        """Take in the accepted readings of a batch (any order; the newest per sensor wins)."""
        s, t, v = batch.sensor[accepted], batch.ts[accepted], batch.value[accepted]
        if not len(s):
            return
        order = np.argsort(t, kind="stable")
        s, t, v = s[order], t[order], v[order]
        self.last_value[s] = v
        self.last_ts[s] = t
        rain = self.is_rain[s]
        if rain.any():
            rs, rt, rv = s[rain], t[rain], v[rain]
            minute = (rt // 60).astype(np.int64)
            slot = minute % MINUTES
            stale = self.rain_minute[rs, slot] != minute
            self.rain[rs[stale], slot[stale]] = 0.0
            self.rain_minute[rs, slot] = minute
            np.add.at(self.rain, (rs, slot), rv)

    def rain_last_hour(self, now: float) -> FloatArray:
        current = int(now // 60)
        valid = (self.rain_minute > current - MINUTES) & (self.rain_minute <= current)
        total: FloatArray = np.where(valid, self.rain, 0.0).sum(axis=1)
        return total

    def indicators(self, group: IntArray, groups: int, now: float) -> list[dict[str, Any]]:
        """One dict of indicators per group; ``group[i]`` is sensor i's group (-1: none)."""
        ok = group >= 0
        g = np.where(ok, group, 0)
        heard = np.isfinite(self.last_ts) & (
            self.last_ts >= now - STALE_AFTER * self.sensors.interval
        )
        total = np.bincount(g[ok], minlength=groups)
        online = np.bincount(g[ok & heard], minlength=groups)
        fresh = np.isfinite(self.last_ts) & (self.last_ts >= now - FRESH_S)
        rain = self.rain_last_hour(now)
        rain_max = _group_max(g, ok & self.is_rain, rain, groups)
        aqi = np.where(fresh & self.is_pm25, iaqi_pm25(np.nan_to_num(self.last_value)), np.nan)
        aqi_max = _group_max(g, ok & self.is_pm25 & fresh, aqi, groups)
        speed = np.clip(np.nan_to_num(self.last_value, nan=FREE_FLOW_KMH), 5.0, None)
        tti = np.minimum(FREE_FLOW_KMH / speed, 10.0)
        traffic = ok & self.is_traffic & fresh
        tti_sum = np.bincount(g[traffic], weights=tti[traffic], minlength=groups)
        tti_n = np.bincount(g[traffic], minlength=groups)
        density = self._area_density(fresh)
        crowd = ok & self.is_crowd & (self.area_of >= 0)
        sensor_density = np.where(crowd, density[np.maximum(self.area_of, 0)], np.nan)
        crowd_max = _group_max(g, crowd, sensor_density, groups)
        out = []
        for k in range(groups):
            out.append(
                {
                    "sensors": int(total[k]),
                    "online_rate": round(float(online[k] / total[k]), 4) if total[k] else None,
                    "rainfall_1h_max_mm": _num(rain_max[k]),
                    "aqi_max": _num(aqi_max[k]),
                    "congestion_index": (
                        round(float(tti_sum[k] / tti_n[k]), 3) if tti_n[k] else None
                    ),
                    "crowd_density_max": _num(crowd_max[k], 3),
                }
            )
        return out

    def _area_density(self, fresh: NDArray[np.bool_]) -> FloatArray:
        if not self.areas:
            return np.zeros(1)
        counted = self.is_crowd & fresh & (self.area_of >= 0)
        people = np.bincount(
            self.area_of[counted],
            weights=self.last_value[counted],
            minlength=len(self.areas),
        )
        density: FloatArray = people / self.area_m2
        return density


def _group_max(
    group: IntArray, mask: NDArray[np.bool_], values: FloatArray, groups: int
) -> FloatArray:
    out = np.full(groups, np.nan)
    if mask.any():
        np.fmax.at(out, group[mask], values[mask])
    return out


def _num(value: float, digits: int = 1) -> float | None:
    return None if not np.isfinite(value) else round(float(value), digits)
