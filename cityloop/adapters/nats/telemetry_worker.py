"""`cityloop worker telemetry`: judge the readings of the partitions this worker leases.

One loop renews the leases (`leases.py`); the other pulls each owned partition's messages from
the telemetry stream, starting after the sequence of the partition's checkpoint, and hands them
to the `PartitionProcessor`, which stores warnings and checkpoint in one transaction. Engine
work runs in a thread so that lease renewals never wait for a long batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import time
from collections.abc import Sequence

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from cityloop.adapters.nats.leases import PartitionLeases, Rebalance
from cityloop.adapters.nats.names import BusNames
from cityloop.adapters.nats.setup import ensure_streams, lease_bucket
from cityloop.services.partitions import PartitionLost, PartitionProcessor

log = logging.getLogger(__name__)

FETCH_BATCH = 256
FETCH_WAIT_S = 0.05


def worker_name() -> str:
    raw = f"{socket.gethostname()}-{os.getpid()}"
    return re.sub(r"[^A-Za-z0-9_-]", "_", raw)


class TelemetryWorker:
    def __init__(
        self,
        url: str,
        names: BusNames,
        processor: PartitionProcessor,
        partitions: Sequence[str],
        lease_s: float,
        tick_s: float,
    ) -> None:
        self.url = url
        self.names = names
        self.processor = processor
        self.partitions = list(partitions)
        self.lease_s = lease_s
        self.tick_s = tick_s
        self._rebalances: list[Rebalance] = []
        self._subs: dict[str, JetStreamContext.PullSubscription] = {}

    async def run(self, stop: asyncio.Event) -> None:
        nc = await nats.connect(self.url, name=f"cityloop-telemetry-{self.processor.owner}")
        js = nc.jetstream()
        await ensure_streams(js, self.names)
        leases = PartitionLeases(
            await lease_bucket(js, self.names, self.lease_s), self.processor.owner, self.partitions
        )
        await leases.round(acquire=False)  # be counted before taking a share
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self.lease_s / 3)
        renewing = asyncio.create_task(self._renew(leases, stop))
        ticked = time.monotonic()
        try:
            while not stop.is_set():
                await self._rebalance(js, leases)
                busy = await self._step(leases)
                if time.monotonic() - ticked >= self.tick_s:
                    for name in list(self._subs):
                        await self._guard(leases, name, self.processor.tick, name)
                    ticked = time.monotonic()
                if not busy:
                    await asyncio.sleep(FETCH_WAIT_S)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            for name in list(self._subs):
                await self._close(leases, name)
            await leases.leave()
            await nc.drain()

    async def _renew(self, leases: PartitionLeases, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self._rebalances.append(await leases.round())
            except Exception:
                log.exception("renewing leases failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.lease_s / 3)

    async def _rebalance(self, js: JetStreamContext, leases: PartitionLeases) -> None:
        while self._rebalances:
            change = self._rebalances.pop(0)
            for name in change.lost:
                log.warning("lease on partition %s lost", name)
                await self._forget(name)
            for name in change.surplus:
                if name in self._subs:
                    log.info("handing partition %s back (over this worker's share)", name)
                    await self._close(leases, name)
            for name in change.acquired:
                if name in leases.held and name not in self._subs:
                    await self._open(js, name)

    async def _open(self, js: JetStreamContext, name: str) -> None:
        seq = await asyncio.to_thread(self.processor.open, name)
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE if seq else DeliverPolicy.ALL,
            opt_start_seq=seq + 1 if seq else None,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=max(30.0, 5 * self.lease_s),
        )
        self._subs[name] = await js.pull_subscribe(
            self.names.telemetry(name), stream=self.names.telemetry_stream, config=config
        )
        log.info("partition %s taken, reading after stream sequence %d", name, seq)

    async def _forget(self, name: str) -> None:
        sub = self._subs.pop(name, None)
        self.processor.drop(name)
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _close(self, leases: PartitionLeases, name: str) -> None:
        await asyncio.to_thread(self.processor.close, name)
        await self._forget(name)
        await leases.release(name)

    async def _guard(self, leases: PartitionLeases, name: str, fn: object, *args: object) -> int:
        assert callable(fn)
        try:
            return int(await asyncio.to_thread(fn, *args))
        except PartitionLost:
            log.warning("partition %s was stored by another worker; giving it back", name)
            await self._forget(name)
            await leases.release(name)
        return 0

    async def _step(self, leases: PartitionLeases) -> bool:
        busy = False
        for name, sub in list(self._subs.items()):
            try:
                msgs = await sub.fetch(FETCH_BATCH, timeout=FETCH_WAIT_S)
            except (NatsTimeout, TimeoutError):
                continue
            if not msgs:
                continue
            busy = True
            run = [(m.metadata.sequence.stream, m.data) for m in msgs]
            await self._guard(leases, name, self.processor.process, name, run)
        return busy
