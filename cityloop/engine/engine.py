"""The engine: validates micro-batches of readings and runs the compiled rules over them.

`Engine.process(batch)` returns the warning changes the batch caused, in time order. Inside, a
batch is split into *rounds* in which every sensor appears at most once (the k-th reading of
each sensor in the batch, by time), so every rule updates its per-sensor arrays with plain
fancy indexing; a batch holding one reading per sensor is one round. Time-driven rules
(staleness) are judged once at the end of each batch on the engine's clock.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from cityloop.engine.areas import AreaSpec, read_areas
from cityloop.engine.batch import Limits, ReadingBatch, Rejection, Validator
from cityloop.engine.checkpoint import pack, unpack
from cityloop.engine.levels import WarningLevel
from cityloop.engine.rules.base import AnyRule, CompileContext, Evaluator, Outcome, compile_rule
from cityloop.engine.rules.load import load_rules
from cityloop.engine.sensors import SensorTable, load_sensor_table
from cityloop.engine.warnings import ActiveWarning, ChangeKind, WarningChange, warning_id

Clock = Callable[[], float]


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    rejections: list[Rejection]
    changes: list[WarningChange]
    mask: NDArray[np.bool_] | None = None
    """Which records of the batch were accepted."""


def _round_bounds(sensor: NDArray[np.int32], ts: NDArray[np.float64]) -> list[NDArray[np.intp]]:
    """Positions of each round: the k-th reading (by time) of every sensor in round k."""
    order = np.lexsort((ts, sensor))
    s = sensor[order]
    starts = np.ones(len(s), dtype=bool)
    starts[1:] = s[1:] != s[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(s)), 0))
    rank = np.arange(len(s)) - first
    by_rank = order[np.argsort(rank, kind="stable")]
    cuts = np.cumsum(np.bincount(rank))
    return np.split(by_rank, cuts[:-1])


class Engine:
    """Runs a city's rules over its sensors' readings; see the module docstring."""

    def __init__(
        self,
        sensors: SensorTable,
        rules: Sequence[AnyRule],
        areas: Sequence[AreaSpec] = (),
        *,
        clock: Clock | None = time.time,
        limits: Limits | None = None,
    ) -> None:
        """`clock` gives the reference time for validation and staleness; with None (offline
        replay) the reference is the latest timestamp seen."""
        self.sensors = sensors
        self.clock = clock
        self.validator = Validator(sensors, limits or Limits())
        ctx = CompileContext(sensors, list(areas))
        self.evaluators: list[Evaluator] = [compile_rule(r, ctx) for r in rules]
        self.order = {ev.spec.id: k for k, ev in enumerate(self.evaluators)}
        self.timed = [ev for ev in self.evaluators if type(ev).tick is not Evaluator.tick]
        self.last_ts = np.full(len(sensors), np.nan)
        self.latest = float("nan")
        self._active: dict[tuple[str, str], list[WarningChange]] = {}
        self._fingerprint = self._compute_fingerprint(rules, areas)

    @classmethod
    def from_city(cls, root: Path, **kwargs: Any) -> Engine:
        """An engine for the city folder `root` (its `sensors.csv`, `areas.yaml`, `rules/`)."""
        areas, issues = read_areas(root)
        if issues:
            raise ValueError("invalid areas: " + "; ".join(str(i) for i in issues[:10]))
        return cls(
            load_sensor_table(root),
            load_rules(root),
            areas.areas if areas is not None else (),
            **kwargs,
        )

    # --- ingestion -------------------------------------------------------------------------------

    def _reference_time(self, batch_ts: NDArray[np.float64]) -> float:
        if self.clock is not None:
            return self.clock()
        finite = batch_ts[np.isfinite(batch_ts)]
        candidates = [self.latest, float(finite.max()) if len(finite) else float("nan")]
        return float(np.nanmax(candidates)) if not all(np.isnan(candidates)) else 0.0

    def validate(self, batch: ReadingBatch) -> tuple[NDArray[np.bool_], list[Rejection]]:
        """Which records are accepted, and the index and reason of each rejected one."""
        return self.validator.validate(batch, self._reference_time(batch.ts), self.last_ts)

    def ingest(self, batch: ReadingBatch) -> IngestResult:
        """Validate a batch, process its valid records and report both."""
        accepted, rejections = self.validate(batch)
        if accepted.all():
            sensor, ts, value = batch.sensor, batch.ts, batch.value
        else:
            sensor, ts, value = batch.sensor[accepted], batch.ts[accepted], batch.value[accepted]
        outcomes: list[Outcome] = []
        if len(sensor):
            if np.bincount(sensor, minlength=1).max() <= 1:
                rounds: list[Any] = [None]
            else:
                rounds = list(_round_bounds(sensor, ts))
            for positions in rounds:
                if positions is None:
                    s, t, v = sensor, ts, value
                else:
                    s, t, v = sensor[positions], ts[positions], value[positions]
                for ev in self.evaluators:
                    outcome = ev.step(s, t, v)
                    if outcome is not None:
                        outcomes.append(outcome)
                self.last_ts[s] = t
            self.latest = float(np.nanmax([self.latest, float(ts.max())]))
        changes = self._changes(outcomes)
        now = self.clock() if self.clock is not None else self.latest
        if not np.isnan(now):
            changes.extend(self._changes(self._tick(now)))
        return IngestResult(int(accepted.sum()), rejections, changes, accepted)

    def process(self, batch: ReadingBatch) -> list[WarningChange]:
        """The warning changes caused by a batch (invalid records are skipped)."""
        return self.ingest(batch).changes

    def tick(self, now: float | None = None) -> list[WarningChange]:
        """Judge the time-driven rules (staleness) at `now` (default: the engine's clock)."""
        if now is None:
            now = self.clock() if self.clock is not None else self.latest
        return self._changes(self._tick(now))

    def _tick(self, now: float) -> list[Outcome]:
        outcomes = []
        for ev in self.timed:
            outcome = ev.tick(now, self.last_ts)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    # --- changes ---------------------------------------------------------------------------------

    def _changes(self, outcomes: list[Outcome]) -> list[WarningChange]:
        out: list[WarningChange] = []
        for outcome in outcomes:
            ev, m = outcome.evaluator, outcome.moves
            spec = ev.spec
            for i in range(len(m)):
                old, new = WarningLevel(int(m.old[i])), WarningLevel(int(m.new[i]))
                subject = ev.subject_ids[int(m.rows[i])]
                raised = float(m.raised_ts[i])
                at = ev.event_at
                value, threshold = float(m.signal[i]), float(m.threshold[i])
                change = WarningChange(
                    warning_id=warning_id(spec.id, subject, raised),
                    rule=spec.id,
                    rule_type=spec.type,
                    subject=subject,
                    subject_kind=ev.subject_kind,
                    kind=ChangeKind.of(old, new),
                    level=new,
                    previous=old,
                    ts=float(m.ts[i]),
                    raised_ts=raised,
                    value=None if np.isnan(value) else value,
                    threshold=None if np.isnan(threshold) else threshold,
                    cause=ev.cause(outcome, i),
                    predicted=ev.predicted,
                    anomaly=ev.anomaly,
                    needs_confirmation=ev.needs_confirmation,
                    event_type=spec.event_type,
                    event_at=at,
                    creates_event=at is not None and new >= at > old,
                )
                out.append(change)
        out.sort(key=lambda c: (c.ts, self.order[c.rule], c.subject))
        for change in out:
            key = (change.rule, change.subject)
            if change.kind is ChangeKind.RAISED:
                self._active[key] = [change]
            elif change.kind is ChangeKind.CLEARED:
                self._active.pop(key, None)
            else:
                self._active.setdefault(key, []).append(change)
        return out

    def active(self) -> list[ActiveWarning]:
        """Warnings raised and not yet cleared, each with its history, in raise order."""
        out = [
            ActiveWarning(h[0].warning_id, rule, subject, h[-1].level, tuple(h))
            for (rule, subject), h in self._active.items()
        ]
        return sorted(out, key=lambda w: (w.history[0].ts, self.order[w.rule], w.subject))

    # --- checkpoints -----------------------------------------------------------------------------

    @staticmethod
    def _compute_fingerprint(rules: Sequence[AnyRule], areas: Sequence[AreaSpec]) -> str:
        doc = [r.model_dump(mode="json", by_alias=True) for r in rules]
        doc += [a.model_dump(mode="json") for a in areas]
        return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]

    def checkpoint(self) -> bytes:
        """All state as bytes; `restore` on an engine of the same sensors and rules resumes it."""
        arrays: dict[str, NDArray[Any]] = {"engine.last_ts": self.last_ts}
        for k, ev in enumerate(self.evaluators):
            for name, array in ev.state().items():
                arrays[f"rule{k}.{name}"] = array
        meta = {
            "sensors": self.sensors.fingerprint(),
            "rules": self._fingerprint,
            "latest": None if np.isnan(self.latest) else self.latest,
            "active": [[c.to_dict() for c in h] for h in self._active.values()],
        }
        return pack(meta, arrays)

    def restore(self, blob: bytes) -> None:
        """Replace this engine's state by a checkpoint's."""
        meta, arrays = unpack(blob)
        if meta["sensors"] != self.sensors.fingerprint() or meta["rules"] != self._fingerprint:
            raise ValueError("checkpoint is from a different set of sensors or rules")
        last_ts = arrays["engine.last_ts"]
        if last_ts.shape != self.last_ts.shape:
            raise ValueError("checkpoint does not fit this engine")
        for k, ev in enumerate(self.evaluators):
            prefix = f"rule{k}."
            ev.load_state({n[len(prefix) :]: a for n, a in arrays.items() if n.startswith(prefix)})
        self.last_ts = last_ts.copy()
        self.latest = float("nan") if meta["latest"] is None else float(meta["latest"])
        self._active = {}
        for history in meta["active"]:
            changes = [WarningChange.from_dict(c) for c in history]
            self._active[(changes[0].rule, changes[0].subject)] = changes
