"""Validation of batches (rejected records with reasons) and the three decoders."""

from __future__ import annotations

import io
import math

import numpy as np
import orjson
import pyarrow as pa
import pytest

from cityloop.engine.batch import Limits, ReadingBatch
from cityloop.engine.decode import (
    DecodeError,
    decode,
    decode_arrow,
    decode_columnar_json,
    decode_ndjson,
)
from cityloop.engine.engine import Engine
from tests.unit.engine.helpers import T0, rule, sensor, table

SENSORS = table(sensor("G1", "gas_lel"), sensor("D1", "dissolved_oxygen"))
NOW = T0 + 3600


def fresh_engine() -> Engine:
    gas = rule("threshold", ["gas_lel"], {"yellow": {"value": 10}})
    return Engine(SENSORS, [gas], clock=lambda: NOW, limits=Limits(max_future=300, max_age=86400))


def test_rejects_bad_records_with_index_and_reason_and_keeps_the_good_ones() -> None:
    eng = fresh_engine()
    ids = ["G1", "nope", "G1", "G1", "G1", "G1", "D1", "G1"]
    ts = [NOW - 60, NOW, math.nan, NOW + 301, NOW - 86401, NOW - 30, NOW - 10, NOW - 30]
    values = [12.0, 1.0, 1.0, 1.0, 1.0, 120.0, math.inf, 5.0]
    result = eng.ingest(ReadingBatch.from_ids(SENSORS, ids, ts, values))
    assert result.accepted == 2
    reasons = dict(result.rejections)
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6]
    assert reasons[1] == "unknown sensor 'nope'"
    assert reasons[2] == "invalid timestamp"
    assert "in the future" in reasons[3]
    assert "in the past" in reasons[4]
    assert "outside the physical range [0, 100] of gas_lel" in reasons[5]
    assert "not a finite number" in reasons[6]
    assert [(c.subject, c.level.label) for c in result.changes] == [
        ("G1", "yellow"),
        ("G1", "none"),
    ]


def test_rejects_duplicates_and_readings_older_than_the_latest() -> None:
    eng = fresh_engine()
    eng.process(ReadingBatch.from_ids(SENSORS, ["G1"], [NOW - 100], [1.0]))
    batch = ReadingBatch.from_ids(
        SENSORS, ["G1", "G1", "G1"], [NOW - 200, NOW - 50, NOW - 50], [1, 2, 3]
    )
    accepted, rejections = eng.validate(batch)
    assert accepted.tolist() == [False, True, False]
    assert rejections[0] == (0, "not newer than sensor G1's latest reading")
    assert rejections[1][1] == "duplicate reading of sensor G1 at the same timestamp"


def test_decodes_columnar_json_with_epoch_and_iso_timestamps() -> None:
    body = orjson.dumps(
        {
            "sensor": ["G1", "D1", "X"],
            "ts": [T0, "2026-01-01T08:00:00+08:00", "2026-01-01T00:00:05"],
            "value": [1.5, None, 3],
        }
    )
    batch = decode_columnar_json(body, SENSORS)
    assert batch.sensor.tolist() == [0, 1, -1]
    assert batch.ts.tolist() == [T0, T0, T0 + 5]
    assert batch.value[0] == 1.5
    assert math.isnan(batch.value[1])


def test_columnar_json_with_missing_columns_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode_columnar_json(b'{"sensor": ["G1"], "value": [1]}', SENSORS)
    with pytest.raises(DecodeError):
        decode_columnar_json(b'{"sensor": ["G1"], "ts": [1, 2], "value": [1]}', SENSORS)


def test_decodes_ndjson_and_rejects_only_the_malformed_line() -> None:
    body = (
        b'{"sensor":"G1","ts":1767225600,"value":12}\nnot json\n'
        b'{"sensor":"D1","ts":"2026-01-01T00:00:00Z","value":6}\n'
    )
    batch = decode_ndjson(body, SENSORS)
    assert batch.sensor.tolist() == [0, -1, 1]
    eng = Engine(SENSORS, [], clock=lambda: T0)
    result = eng.ingest(batch)
    assert result.accepted == 2
    assert result.rejections == [(1, "line 2: not a {sensor, ts, value} JSON object")]


@pytest.mark.parametrize("file_format", [False, True])
def test_decodes_arrow_ipc_stream_and_file(file_format: bool) -> None:
    table_ = pa.table(
        {
            "sensor": pa.array(["D1", "G1", "Z9"]).dictionary_encode(),
            "ts": pa.array(
                [T0 * 1000, T0 * 1000 + 1500, T0 * 1000], type=pa.timestamp("ms", tz="UTC")
            ),
            "value": pa.array([6.5, 2.0, None]),
        }
    )
    sink = io.BytesIO()
    opener = pa.ipc.new_file if file_format else pa.ipc.new_stream
    with opener(sink, table_.schema) as writer:
        writer.write_table(table_)
    batch = decode(sink.getvalue(), "application/vnd.apache.arrow.stream", SENSORS)
    assert batch.sensor.tolist() == [1, 0, -1]
    np.testing.assert_allclose(batch.ts, [T0, T0 + 1.5, T0])
    assert batch.value[0] == 6.5
    assert math.isnan(batch.value[2])
    assert batch.ids is not None
    assert batch.ids[2] == "Z9"


def test_arrow_with_numeric_seconds_and_the_same_result_as_json() -> None:
    table_ = pa.table({"sensor": ["G1"], "ts": [T0], "value": [3.0]})
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table_.schema) as writer:
        writer.write_table(table_)
    arrow = decode_arrow(sink.getvalue(), SENSORS)
    json = decode_columnar_json(b'{"sensor":["G1"],"ts":[1767225600],"value":[3.0]}', SENSORS)
    for name in ("sensor", "ts", "value"):
        assert getattr(arrow, name).tolist() == getattr(json, name).tolist()


def test_unknown_media_type_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode(b"", "text/csv", SENSORS)
