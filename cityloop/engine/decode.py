"""Decoders of telemetry payloads into a `ReadingBatch`: columnar JSON, NDJSON, Arrow IPC.

- columnar JSON: `{"sensor": [...], "ts": [...], "value": [...]}` (parsed with orjson);
- NDJSON: one `{"sensor": .., "ts": .., "value": ..}` object per line;
- Apache Arrow IPC (stream or file format) with columns `sensor`, `ts`, `value`.

`ts` is epoch seconds (a number) or ISO 8601 text (a time without offset is taken as UTC); an
Arrow `timestamp` column is also accepted. A payload whose structure is wrong raises
`DecodeError`; a single bad record (unparseable line, timestamp or value) becomes a NaN or a
problem that validation rejects with its index, so the other records still count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from cityloop.engine.batch import ReadingBatch
from cityloop.engine.sensors import SensorTable

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


class DecodeError(ValueError):
    """The payload as a whole cannot be read (not the format, or missing columns)."""


def parse_timestamp(value: Any) -> float:
    """Epoch seconds of a number or ISO 8601 text (UTC when it has no offset); NaN if unreadable."""
    if isinstance(value, bool):
        return float("nan")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return float("nan")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return float("nan")


def timestamps(values: Sequence[Any]) -> FloatArray:
    """Epoch seconds of numbers or ISO 8601 strings; NaN for anything unreadable."""
    if values and not any(isinstance(v, str | bool) for v in values[:1]):
        try:
            return np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    return np.fromiter((parse_timestamp(v) for v in values), dtype=np.float64, count=len(values))


def _one_value(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return float("nan")


def numbers(values: Sequence[Any]) -> FloatArray:
    """Floats of numbers (numeric text is read too); NaN for null or anything unreadable."""
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.fromiter((_one_value(v) for v in values), dtype=np.float64, count=len(values))
    if out.ndim != 1:
        raise DecodeError("values must be a flat list of numbers")
    return out


def decode_columnar_json(data: bytes | str, sensors: SensorTable) -> ReadingBatch:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc}") from None
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), list) for k in _COLUMNS):
        raise DecodeError('expected {"sensor": [...], "ts": [...], "value": [...]}')
    ids, ts, value = doc["sensor"], doc["ts"], doc["value"]
    if not len(ids) == len(ts) == len(value):
        raise DecodeError("columns sensor, ts and value must have the same length")
    return ReadingBatch(sensors.lookup(ids), timestamps(ts), numbers(value), ids)


_COLUMNS = ("sensor", "ts", "value")


def decode_ndjson(data: bytes | str, sensors: SensorTable) -> ReadingBatch:
    raw = data.encode() if isinstance(data, str) else data
    ids: list[Any] = []
    ts: list[Any] = []
    value: list[Any] = []
    problems: dict[int, str] = {}
    for line_no, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
            if not isinstance(record, dict):
                raise TypeError
            ids.append(record["sensor"])
            ts.append(record["ts"])
            value.append(record["value"])
        except (orjson.JSONDecodeError, TypeError, KeyError):
            problems[len(ids)] = f"line {line_no}: not a {{sensor, ts, value}} JSON object"
            ids.append(None)
            ts.append(None)
            value.append(None)
    return ReadingBatch(sensors.lookup(ids), timestamps(ts), numbers(value), ids, problems or None)


def _arrow_table(data: bytes) -> Any:
    buffer = pa.py_buffer(data)
    try:
        return pa.ipc.open_stream(buffer).read_all()
    except pa.ArrowInvalid:
        pass
    try:
        return pa.ipc.open_file(buffer).read_all()
    except pa.ArrowInvalid as exc:
        raise DecodeError(f"not Arrow IPC (stream or file): {exc}") from None


def decode_arrow(data: bytes, sensors: SensorTable) -> ReadingBatch:
    table = _arrow_table(data)
    missing = [c for c in _COLUMNS if c not in table.column_names]
    if missing:
        raise DecodeError(f"Arrow table lacks columns {missing}")
    sensor_col = table.column("sensor")
    if pa.types.is_dictionary(sensor_col.type):
        sensor_col = sensor_col.cast(pa.string())
    positions = pc.index_in(sensor_col, value_set=pa.array(sensors.ids, type=pa.string()))
    sensor = positions.fill_null(-1).to_numpy().astype(np.int32)
    ts_col = table.column("ts")
    if pa.types.is_timestamp(ts_col.type):
        unit = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[ts_col.type.unit]
        ts = ts_col.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64) * unit
    elif pa.types.is_string(ts_col.type) or pa.types.is_large_string(ts_col.type):
        ts = timestamps(ts_col.to_pylist())
    else:
        ts = ts_col.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
    value = table.column("value").cast(pa.float64()).fill_null(np.nan)
    ids = sensor_col.to_pylist() if (sensor < 0).any() else None
    return ReadingBatch(
        sensor, np.asarray(ts, dtype=np.float64), value.to_numpy(zero_copy_only=False), ids
    )


DECODERS = {
    "application/json": decode_columnar_json,
    "application/x-ndjson": decode_ndjson,
    "application/vnd.apache.arrow.stream": decode_arrow,
    "application/vnd.apache.arrow.file": decode_arrow,
}
"""Decoder by media type (for the HTTP endpoint)."""


def decode(data: bytes, media_type: str, sensors: SensorTable) -> ReadingBatch:
    try:
        decoder = DECODERS[media_type.split(";")[0].strip().lower()]
    except KeyError:
        raise DecodeError(f"unsupported media type {media_type!r}") from None
    return decoder(data, sensors)
