"""Benchmark of the engine on synthetic telemetry (`cityloop bench telemetry --json`).

Every sensor reports once per simulated second; each second is one batch of columnar JSON that is
decoded *inside* the measurement, then validated and run through the demo rule library. Sensor
types keep the demo city's proportions; values hover around normal with a share of sensors
drifting into warning ranges, so the rules raise and clear warnings as they would in a storm.
"""

from __future__ import annotations

import resource
import statistics
import time
from typing import Any

import numpy as np
import orjson

from cityloop.engine.areas import AreaSpec
from cityloop.engine.decode import decode_columnar_json
from cityloop.engine.engine import Engine
from cityloop.engine.generate import COUNTS
from cityloop.engine.library import library_documents
from cityloop.engine.rules.schema import RulesFile
from cityloop.engine.sensor_types import TYPE_ORDER, TYPE_SPECS, SensorType
from cityloop.engine.sensors import SensorTable

T0 = 1_767_225_600.0
AREA_SENSORS = 40
SAFE = {
    SensorType.RAINFALL: (0.0, 0.002), SensorType.WATER_LEVEL: (176.0, 179.0),
    SensorType.DISSOLVED_OXYGEN: (6.0, 9.0), SensorType.PM25: (10.0, 60.0),
    SensorType.CROWD_COUNT: (20.0, 150.0), SensorType.TRAFFIC_SPEED: (25.0, 60.0),
    SensorType.HYDRANT_PRESSURE: (0.3, 0.45), SensorType.SLOPE_DISPLACEMENT: (0.0, 50.0),
    SensorType.GAS_LEL: (0.0, 3.0), SensorType.MANHOLE_LEVEL: (0.2, 0.8),
}  # fmt: skip
"""Each sensor's own normal level; readings add ±2 % noise."""
STRESSED = {
    SensorType.RAINFALL: (0.01, 0.05), SensorType.WATER_LEVEL: (179.5, 184.0),
    SensorType.DISSOLVED_OXYGEN: (1.5, 5.2), SensorType.PM25: (70.0, 350.0),
    SensorType.CROWD_COUNT: (200.0, 600.0), SensorType.TRAFFIC_SPEED: (5.0, 25.0),
    SensorType.HYDRANT_PRESSURE: (0.04, 0.22), SensorType.SLOPE_DISPLACEMENT: (0.0, 50.0),
    SensorType.GAS_LEL: (4.0, 60.0), SensorType.MANHOLE_LEVEL: (1.0, 3.5),
}  # fmt: skip
"""The level of the sensors in trouble (1 % of them): around and past the thresholds."""
STRESSED_SHARE = 0.01


def synthetic_sensors(n: int, rng: np.random.Generator) -> tuple[SensorTable, list[AreaSpec]]:
    """`n` sensors in the demo city's type mix, with the params and areas the rules read."""
    mix = {t: COUNTS.get(t, 3300) for t in TYPE_ORDER}
    total = sum(mix.values())
    counts = [max(1, round(n * mix[t] / total)) for t in TYPE_ORDER]
    counts[TYPE_ORDER.index(SensorType.HYDRANT_PRESSURE)] += n - sum(counts)
    types = np.repeat(np.arange(len(TYPE_ORDER), dtype=np.int8), counts)
    ids = [f"S{k:07d}" for k in range(n)]
    warning = rng.uniform(180.0, 182.0, n)
    params = {
        "warning_level": warning,
        "guarantee_level": warning + 2.0,
        "nominal_mpa": rng.uniform(0.25, 0.45, n),
        "depth_m": rng.uniform(1.5, 4.0, n),
        "view_m2": rng.uniform(20.0, 80.0, n),
    }
    crowd = np.flatnonzero(types == TYPE_ORDER.index(SensorType.CROWD_COUNT))
    n_areas = max(1, len(crowd) // AREA_SENSORS)
    area_of: list[str | None] = [None] * n
    for j, i in enumerate(crowd):
        area_of[i] = f"A{j % n_areas:04d}"
    square = [[[106.0, 29.0], [106.001, 29.0], [106.001, 29.001], [106.0, 29.0]]]
    areas = [
        AreaSpec.model_validate(
            {
                "id": f"A{k:04d}",
                "name_zh": "区域",
                "name_en": "Area",
                "kind": "other",
                "area_m2": 4000.0,
                "capacity": 4000,
                "geometry": {"type": "Polygon", "coordinates": square},
            }
        )
        for k in range(n_areas)
    ]
    interval = np.array([TYPE_SPECS[t].interval_s for t in TYPE_ORDER])[types]
    table = SensorTable(
        ids=ids,
        types=types,
        lon=np.full(n, 106.5),
        lat=np.full(n, 29.5),
        interval=interval,
        departments=[TYPE_SPECS[TYPE_ORDER[t]].department for t in types],
        rivers=[None] * n,
        areas=area_of,
        assets=[None] * n,
        params=params,
    )
    return table, areas


def run_telemetry_bench(sensors: int = 100_000, seconds: int = 30, seed: int = 0) -> dict[str, Any]:
    """Feed `seconds` batches of one reading per sensor; time decode + validate + rules."""
    rng = np.random.default_rng(seed)
    table, areas = synthetic_sensors(sensors, rng)
    rules = [r for _, _, doc in library_documents() for r in RulesFile.model_validate(doc).rules]
    engine = Engine(table, rules, areas, clock=None)

    def draw(ranges: dict[SensorType, tuple[float, float]]) -> np.ndarray[Any, Any]:
        low = np.array([ranges[t][0] for t in TYPE_ORDER])[table.types]
        high = np.array([ranges[t][1] for t in TYPE_ORDER])[table.types]
        return rng.uniform(low, high)

    stressed = rng.uniform(size=sensors) < STRESSED_SHARE
    level = np.where(stressed, draw(STRESSED), draw(SAFE))
    latencies: list[float] = []
    readings = warnings = 0
    for s in range(seconds):
        values = level * rng.uniform(0.98, 1.02, sensors)
        ts = T0 + s + rng.uniform(0.0, 0.9, sensors)
        payload = orjson.dumps(
            {"sensor": table.ids, "ts": np.round(ts, 3), "value": np.round(values, 4)},
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
        start = time.perf_counter()
        batch = decode_columnar_json(payload, table)
        result = engine.ingest(batch)
        latencies.append(time.perf_counter() - start)
        readings += result.accepted
        warnings += len(result.changes)
    total = sum(latencies)
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(np.ceil(0.99 * len(ordered))) - 1)]
    return {
        "bench": "telemetry",
        "sensors": sensors,
        "readings": readings,
        "readings_per_s": round(readings / total),
        "batch_latency_ms": {
            "p50": round(statistics.median(latencies) * 1000, 1),
            "p99": round(p99 * 1000, 1),
        },
        "warnings": warnings,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
