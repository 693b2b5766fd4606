"""Partitions: each sensor in one, areas whole, an engine per partition judging like one."""

from __future__ import annotations

import numpy as np

from cityloop.engine.batch import ReadingBatch
from cityloop.engine.partition import OUTSIDE, Partitioning
from tests.unit.engine.helpers import T0, engine, rule, sensor, table

LEVELS = {"yellow": {"value": 10.0}, "red": {"value": 50.0}}


def _parts() -> Partitioning:
    sensors = table(
        sensor("G1", "gas_lel"),
        sensor("G2", "gas_lel"),
        sensor("C1", "crowd_count", area="SQ1"),
        sensor("C2", "crowd_count", area="SQ1"),
        sensor("G3", "gas_lel"),
    )
    return Partitioning.from_keys(sensors, ["D1", "D2", "D1", "D2", None])


def test_every_sensor_is_in_one_partition_and_an_area_stays_whole() -> None:
    parts = _parts()
    assert parts.names == ["D1", "D2", OUTSIDE]
    assert [parts.of(s) for s in ["G1", "G2", "C1", "C2", "G3"]] == [
        "D1", "D2", "D1", "D1", OUTSIDE
    ]  # fmt: skip
    assert parts.of("nope") is None
    assert sorted(int(i) for name in parts.names for i in parts.rows(name)) == list(range(5))


def test_split_groups_the_accepted_records_of_a_batch_by_partition() -> None:
    parts = _parts()
    sensor = np.array([0, 1, 4, -1, 0], dtype=np.int32)
    accepted = np.array([True, True, True, True, False])
    groups = parts.split(sensor, accepted)
    assert {k: v.tolist() for k, v in groups.items()} == {"D1": [0], "D2": [1], OUTSIDE: [2]}


def test_partition_engines_raise_the_same_warnings_as_one_engine() -> None:
    parts = _parts()
    gas = rule("threshold", ["gas_lel"], LEVELS)
    whole = engine(parts.sensors, gas)
    engines = {n: parts.engine(n, [gas], [], clock=None) for n in parts.names}
    one, split = [], []
    for k, values in enumerate([[1.0, 20.0, 60.0], [60.0, 5.0, 12.0], [1.0, 1.0, 1.0]]):
        ids, ts = ["G1", "G2", "G3"], [T0 + k * 300.0] * 3
        one += whole.process(ReadingBatch.from_ids(parts.sensors, ids, ts, values))
        for name, eng in engines.items():
            mine = [
                (i, t, v) for i, t, v in zip(ids, ts, values, strict=True) if parts.of(i) == name
            ]
            if mine:
                cols = list(zip(*mine, strict=True))
                split += eng.process(ReadingBatch.from_ids(eng.sensors, *cols))
    key = lambda c: (c.warning_id, c.kind, c.level, c.ts)  # noqa: E731
    assert sorted(map(key, one)) == sorted(map(key, split))
    assert len(one) == 7  # G1 raised, cleared; G2 raised, cleared; G3 raised, down, cleared
