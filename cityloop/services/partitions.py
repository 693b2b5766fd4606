"""Telemetry partitions judged by workers: restore, process a run of bus messages, checkpoint.

A worker owns some partitions (districts). For each it keeps an engine over just that
partition's sensors, restored from the partition's last checkpoint, and feeds it the bus
messages that follow the checkpoint's stream sequence. The warning changes of a run of messages
and the checkpoint after them are stored in **one transaction**, so a change is stored exactly
when the checkpoint that follows it is: a worker that takes over replays only messages whose
changes were never stored, and a replay produces no duplicate and loses none. A partition with
no changes is checkpointed every `checkpoint_interval_s` so that replays stay short.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from cityloop.domain.clock import Clock
from cityloop.engine.areas import AreaSpec
from cityloop.engine.batch import ReadingBatch
from cityloop.engine.decode import DecodeError, decode_columnar_json
from cityloop.engine.engine import Engine
from cityloop.engine.partition import Partitioning
from cityloop.engine.rules.base import AnyRule
from cityloop.engine.warnings import WarningChange
from cityloop.services.ports import ConcurrencyError, UnitOfWork
from cityloop.services.telemetry import TelemetryService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SavedCheckpoint:
    seq: int
    """Stream sequence of the last message folded into `data`."""
    data: bytes


class CheckpointStore(Protocol):
    def load(self, partition: str) -> SavedCheckpoint | None: ...

    def save(
        self,
        uow: UnitOfWork,
        partition: str,
        expected_seq: int | None,
        seq: int,
        data: bytes,
        owner: str,
        at: datetime,
    ) -> None: ...


class PartitionLost(Exception):
    """Another worker stored this partition's results meanwhile: drop it and restore."""


@dataclass
class _Owned:
    engine: Engine
    saved_seq: int | None
    seq: int
    saved_at: float


class PartitionProcessor:
    def __init__(
        self,
        telemetry: TelemetryService,
        partitioning: Partitioning,
        rules: Sequence[AnyRule],
        areas: Sequence[AreaSpec],
        store: CheckpointStore,
        clock: Clock,
        owner: str,
        checkpoint_interval_s: float = 5.0,
    ) -> None:
        self.telemetry = telemetry
        self.partitioning = partitioning
        self.rules = list(rules)
        self.areas = list(areas)
        self.store = store
        self.clock = clock
        self.owner = owner
        self.checkpoint_interval_s = checkpoint_interval_s
        self.owned: dict[str, _Owned] = {}
        #: partition → city-wide sensor position of each of its engine's sensors
        self._to_city: dict[str, np.ndarray[Any, Any]] = {}

    def open(self, name: str) -> int:
        """Take partition `name`: restore its engine; return the stream sequence it has seen."""
        engine = self.partitioning.engine(
            name, self.rules, self.areas, clock=lambda: self.clock.now().timestamp()
        )
        saved = self.store.load(name)
        if saved is not None:
            engine.restore(saved.data)
        seq = saved.seq if saved is not None else 0
        self.owned[name] = _Owned(engine, None if saved is None else seq, seq, time.monotonic())
        log.info("partition %s restored at stream sequence %d", name, seq)
        # a previous owner killed between storing changes and following them up (events made,
        # regraded) left that undone, and its checkpoint means no replay will redo it
        self.telemetry.reconcile(name)
        return seq

    def close(self, name: str) -> None:
        """Hand partition `name` back, checkpointing what it saw since its last save."""
        if name in self.owned:
            with contextlib.suppress(PartitionLost):  # then the new owner has it all anyway
                self._store(name, [], force=True)
            self.owned.pop(name, None)

    def drop(self, name: str) -> None:
        """Forget partition `name` without saving (its lease is lost)."""
        self.owned.pop(name, None)

    def process(self, name: str, messages: Sequence[tuple[int, bytes]]) -> int:
        """Judge a run of messages (stream sequence, columnar JSON); return warning changes.

        The changes of each message are stored (with the checkpoint at that message) before
        the next message is judged, as the in-process path stores each batch's: a warning that
        reaches its event level gets its event even if a later message of the run clears it.
        """
        part = self.owned[name]
        count = 0
        for seq, payload in messages:
            if seq <= part.seq:
                continue  # already folded in (a redelivery)
            changes: list[WarningChange] = []
            try:
                batch = decode_columnar_json(payload, part.engine.sensors)
            except DecodeError as exc:
                log.warning("partition %s: message %d is not readings: %s", name, seq, exc)
            else:
                result = part.engine.ingest(batch)
                changes = result.changes
                if result.mask is not None:
                    self._heard(name, batch, result.mask)
            part.seq = seq
            if changes:
                self._store(name, changes)
                count += len(changes)
        self._store(name, [])
        return count

    def _heard(self, name: str, batch: ReadingBatch, accepted: np.ndarray[Any, Any]) -> None:
        """Let this process's vital signs follow the partition's water-quality stations, which
        source tracing asks whether they report normally (the other sensors' vital signs are
        not read in a worker, so they are left out: no cost per reading for them). The
        partition engine's sensors are a subset of the city's: positions are mapped first."""
        vitals = self.telemetry.vitals
        if vitals is None or not self.telemetry.available:
            return
        to_city = self._to_city.get(name)
        if to_city is None:
            tracer = self.telemetry.tracer
            ids = list(self.owned[name].engine.sensors.ids)
            to_city = self.telemetry.engine.sensors.lookup(ids)
            traced = [tracer is not None and i in tracer.stations.index for i in ids]
            to_city = self._to_city[name] = np.where(traced, to_city, -1)
        if not (to_city >= 0).any():
            return
        city = np.where(batch.sensor >= 0, to_city[batch.sensor], -1)
        vitals.update(ReadingBatch(city, batch.ts, batch.value), accepted & (city >= 0))

    def tick(self, name: str) -> int:
        """Judge the time-driven rules (stale sensors) of partition `name` now."""
        part = self.owned[name]
        changes = part.engine.tick(self.clock.now().timestamp())
        self._store(name, changes)
        return len(changes)

    def _store(self, name: str, changes: list[WarningChange], force: bool = False) -> None:
        part = self.owned[name]
        due = time.monotonic() - part.saved_at >= self.checkpoint_interval_s
        if not changes and part.seq == part.saved_seq:
            return
        if not changes and not due and not force:
            return
        data, seq, expected = part.engine.checkpoint(), part.seq, part.saved_seq

        def save(uow: UnitOfWork) -> None:
            self.store.save(uow, name, expected, seq, data, self.owner, self.clock.now())

        try:
            self.telemetry.apply(changes, before_commit=save)
        except ConcurrencyError as exc:
            self.owned.pop(name, None)
            raise PartitionLost(name) from exc
        part.saved_seq, part.saved_at = seq, time.monotonic()
