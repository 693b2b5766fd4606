"""Checkpoints, determinism, the generated demo sensors and the offline runner."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cityloop.city.read import read_folder
from cityloop.engine.batch import ReadingBatch
from cityloop.engine.check import check_sensors
from cityloop.engine.engine import Engine
from cityloop.engine.generate import write_sensors
from cityloop.engine.library import write_rules
from cityloop.engine.offline import run_rules
from cityloop.engine.sensor_types import SensorType
from cityloop.engine.sensors import SENSORS_FILE, load_sensor_table, read_sensor_rows
from cityloop.engine.warnings import WarningChange
from tests.unit.engine.helpers import T0


@pytest.fixture(scope="module")
def city(demo_city_dir: Path) -> Path:
    """The demo city with its sensors, areas and rule library."""
    if not (demo_city_dir / SENSORS_FILE).exists():
        write_sensors(demo_city_dir, 2026)
    write_rules(demo_city_dir, 2026)
    return demo_city_dir


def random_batches(engine: Engine, seed: int, n: int = 6) -> list[ReadingBatch]:
    """A minute of readings per batch for every sensor, with rain, low DO and crowds."""
    rng = np.random.default_rng(seed)
    sensors = engine.sensors
    base = {
        SensorType.RAINFALL: 9.0, SensorType.WATER_LEVEL: 181.0, SensorType.DISSOLVED_OXYGEN: 4.0,
        SensorType.PM25: 160.0, SensorType.CROWD_COUNT: 20_000.0, SensorType.TRAFFIC_SPEED: 40.0,
        SensorType.HYDRANT_PRESSURE: 0.12, SensorType.SLOPE_DISPLACEMENT: 5.0,
        SensorType.GAS_LEL: 12.0, SensorType.MANHOLE_LEVEL: 2.5,
    }  # fmt: skip
    from cityloop.engine.sensor_types import TYPE_ORDER

    level = np.array([base[t] for t in TYPE_ORDER])[sensors.types]
    out = []
    for k in range(n):
        noise = rng.uniform(0.7, 1.3, len(sensors))
        keep = rng.uniform(size=len(sensors)) < 0.8
        idx = np.flatnonzero(keep).astype(np.int32)
        ts = T0 + 600 * k + rng.uniform(0, 60, len(idx))
        out.append(ReadingBatch(idx, ts, (level * noise * (1 + 0.1 * k))[idx]))
    return out


def run(engine: Engine, batches: list[ReadingBatch]) -> list[WarningChange]:
    return [c for b in batches for c in engine.process(b)]


def test_demo_city_has_17000_sensors_of_every_type_and_passes_check(city: Path) -> None:
    rows, issues = read_sensor_rows(city / SENSORS_FILE)
    assert issues == []
    assert len(rows) >= 17_000
    counts = Counter(r.type for r in rows)
    assert set(counts) == set(SensorType)
    assert check_sensors(city, read_folder(city)) == []


def test_demo_water_sensors_are_linked_to_river_segments_and_crowds_to_areas(city: Path) -> None:
    rows, _ = read_sensor_rows(city / SENSORS_FILE)
    water = [r for r in rows if r.type in (SensorType.WATER_LEVEL, SensorType.DISSOLVED_OXYGEN)]
    assert water
    assert all(r.river is not None for r in water)
    assert len({r.river for r in water}) >= 8
    crowd = [r for r in rows if r.type is SensorType.CROWD_COUNT]
    assert all(r.area is not None for r in crowd)
    owners = {r.type: r.department for r in rows}
    assert owners[SensorType.GAS_LEL] == "GASCO"
    assert owners[SensorType.HYDRANT_PRESSURE] == "FIRE"
    assert all(r.grid is not None for r in rows)
    gauges = [r for r in rows if r.type is SensorType.WATER_LEVEL]
    assert all(r.params["guarantee_level"] > r.params["warning_level"] for r in gauges)


def test_demo_sensors_are_deterministic(city: Path, tmp_path: Path) -> None:
    import shutil

    for name in ("city.yaml", "jurisdictions.geojson", "departments.yaml", "event_types.yaml",
                 "responsibilities.yaml", "users.yaml", "rivers.geojson"):  # fmt: skip
        shutil.copy(city / name, tmp_path / name)
    write_sensors(tmp_path, 2026)
    for name in (SENSORS_FILE, "areas.yaml"):
        assert (tmp_path / name).read_bytes() == (city / name).read_bytes(), name


def test_check_reports_bad_sensor_rows(city: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(city, tmp_path / "c")
    path = tmp_path / "c" / SENSORS_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(csv.reader([lines[1]]))
    dup = list(first)
    bad_type = [*first[:1], "radar", *first[2:]]
    bad_type[0] = "NEW1"
    outside = list(first)
    outside[0], outside[2], outside[10] = "NEW2", "100.0", ""
    unknown = list(first)
    unknown[0], unknown[5], unknown[7] = "NEW3", "NOPE", "R99-01"
    extra = [",".join(r) for r in (dup, bad_type, outside, unknown)]
    path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    issues = check_sensors(tmp_path / "c", read_folder(tmp_path / "c"))
    messages = [i.message for i in issues]
    assert any("duplicate sensor id" in m for m in messages)
    assert any(i.path.endswith(".type") and "rainfall" in i.message for i in issues)
    assert any("NEW2 is outside the city" in m for m in messages)
    assert any("unknown department 'NOPE'" in m for m in messages)
    assert any("unknown river segment 'R99-01'" in m for m in messages)


def test_checkpoint_then_restore_continues_exactly_like_an_uninterrupted_engine(city: Path) -> None:
    straight = Engine.from_city(city, clock=None)
    batches = random_batches(straight, seed=7)
    expected = run(straight, batches)
    assert expected, "the synthetic load must raise some warnings"
    first = Engine.from_city(city, clock=None)
    head = run(first, batches[:3])
    resumed = Engine.from_city(city, clock=None)
    resumed.restore(first.checkpoint())
    assert head + run(resumed, batches[3:]) == expected
    assert resumed.checkpoint() == straight.checkpoint()


def test_same_input_gives_the_same_changes(city: Path) -> None:
    a, b = Engine.from_city(city, clock=None), Engine.from_city(city, clock=None)
    assert run(a, random_batches(a, seed=3)) == run(b, random_batches(b, seed=3))


def test_restore_refuses_a_checkpoint_of_other_rules(city: Path) -> None:
    from tests.unit.engine.helpers import rule

    engine = Engine.from_city(city, clock=None)
    other = Engine(engine.sensors, [rule("threshold", ["gas_lel"], {"red": {"value": 1}})])
    with pytest.raises(ValueError, match="different"):
        other.restore(engine.checkpoint())


def test_offline_run_prints_the_changes_in_order(city: Path, tmp_path: Path) -> None:
    readings = tmp_path / "readings.csv"
    rows = ["sensor,ts,value"]
    rows += [f"GL00001,{T0 + 300 * k:.0f},{v}" for k, v in enumerate([2, 12, 12, 30, 0])]
    rows += ["GL00002,2026-01-01T00:25:00Z,60", "nope,2026-01-01T00:25:00Z,1"]
    readings.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rejected: list[tuple[int, str]] = []
    out = list(run_rules(city, readings, on_reject=rejected.append))
    assert out == [
        {"rule": "gas-lel", "subject": "GL00001", "kind": "raised", "level": "yellow",
         "ts": "2026-01-01T00:10:00Z"},
        {"rule": "gas-lel", "subject": "GL00001", "kind": "upgraded", "level": "orange",
         "ts": "2026-01-01T00:15:00Z"},
        {"rule": "gas-lel", "subject": "GL00001", "kind": "cleared", "level": "none",
         "ts": "2026-01-01T00:20:00Z"},
        {"rule": "gas-lel", "subject": "GL00002", "kind": "raised", "level": "red",
         "ts": "2026-01-01T00:25:00Z"},
    ]  # fmt: skip
    assert rejected == [(6, "unknown sensor 'nope'")]


def test_the_sensor_table_indexes_every_sensor(city: Path) -> None:
    sensors = load_sensor_table(city)
    assert sensors.lookup(["RG00001", "nope"]).tolist() == [sensors.index["RG00001"], -1]
