"""Run a city's rules offline over a CSV of readings (`cityloop rules run`).

The CSV has columns `sensor`, `ts` (epoch seconds or ISO 8601) and `value`, ordered by time. It
is replayed in micro-batches of at most `step` seconds of data time (and `max_rows` rows) on an
engine whose clock is the data itself, so staleness is judged as it would have been live.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cityloop.engine.batch import ReadingBatch, Rejection
from cityloop.engine.decode import numbers, parse_timestamp
from cityloop.engine.engine import Engine


def _batches(
    path: Path, step: float, max_rows: int
) -> Iterator[tuple[list[str], list[float], list[Any]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"sensor", "ts", "value"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path.name}: missing columns {sorted(missing)}")
        ids: list[str] = []
        ts: list[float] = []
        values: list[Any] = []
        start = float("nan")
        for row in reader:
            t = parse_timestamp(row["ts"])
            if ids and (t >= start + step or len(ids) >= max_rows):
                yield ids, ts, values
                ids, ts, values = [], [], []
            if not ids:
                start = t
            ids.append(row["sensor"])
            ts.append(t)
            values.append(row["value"])
        if ids:
            yield ids, ts, values


def run_rules(
    city_root: Path,
    readings_csv: Path,
    *,
    step: float = 60.0,
    max_rows: int = 100_000,
    on_reject: Callable[[Rejection], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield `{"rule", "subject", "kind", "level", "ts"}` for every warning change, in order."""
    engine = Engine.from_city(Path(city_root), clock=None)
    offset = 0
    for ids, ts, raw_values in _batches(Path(readings_csv), step, max_rows):
        values = numbers([_number(v) for v in raw_values])
        result = engine.ingest(ReadingBatch.from_ids(engine.sensors, ids, ts, values))
        if on_reject is not None:
            for index, reason in result.rejections:
                on_reject((offset + index, reason))
        offset += len(ids)
        for change in result.changes:
            yield change.summary()


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")
