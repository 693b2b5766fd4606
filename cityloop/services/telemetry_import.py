"""Backfilling telemetry history from a CSV file (`cityloop telemetry import`)."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable
from pathlib import Path

import orjson

from cityloop.services.telemetry import TelemetryService


def import_csv(
    telemetry: TelemetryService,
    path: Path,
    *,
    chunk: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Feed a CSV (sensor, ts, value; ordered by time) through the rules in batches.

    Rejected rows are counted, never fatal; ``progress`` gets the bytes read so far.
    """
    totals = {"rows": 0, "accepted": 0, "rejected": 0, "warning_changes": 0, "events_created": 0}
    columns: dict[str, list[object]] = {"sensor": [], "ts": [], "value": []}

    def flush(position: int) -> None:
        if columns["sensor"]:
            summary = telemetry.ingest(orjson.dumps(columns), "application/json")
            totals["accepted"] += summary.accepted
            totals["rejected"] += len(summary.rejections)
            totals["warning_changes"] += summary.changes
            totals["events_created"] += summary.events_created
            for values in columns.values():
                values.clear()
        if progress is not None:
            progress(position)

    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"sensor", "ts", "value"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            totals["rows"] += 1
            ts: object = row["ts"]
            with contextlib.suppress(ValueError, TypeError):
                ts = float(str(ts))
            columns["sensor"].append(row["sensor"])
            columns["ts"].append(ts)
            columns["value"].append(row["value"])
            if len(columns["sensor"]) >= chunk:
                flush(f.tell())
        flush(f.tell())
    return totals
