"""Leases on telemetry partitions in a NATS key-value bucket.

Every worker keeps a key `member.<worker>` and one key `partition.<name>` per partition it
owns, each renewed every third of the lease time with compare-and-set on its revision. The
bucket's TTL is the lease time: the keys of a worker that stops renewing (killed, paused, cut
off) expire, and the other workers take its partitions. A worker owns at most its fair share
(partitions ÷ live workers, rounded up) and hands back the rest, so a new worker gets work and
the partitions of a dead one spread over the survivors.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from nats.js.errors import KeyWrongLastSequenceError, NoKeysError
from nats.js.kv import KeyValue

log = logging.getLogger(__name__)


@dataclass
class Rebalance:
    acquired: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    surplus: list[str] = field(default_factory=list)
    """Partitions held beyond the fair share: checkpoint them, then `release`."""


class PartitionLeases:
    def __init__(self, kv: KeyValue, worker: str, partitions: Sequence[str]) -> None:
        self.kv = kv
        self.worker = worker
        self.partitions = sorted(partitions)
        self.held: dict[str, int] = {}
        """Partition → revision of its lease key."""
        self._member: int | None = None

    async def _renew(self, key: str, revision: int | None) -> int | None:
        value = self.worker.encode()
        try:
            if revision is None:
                return await self.kv.create(key, value)
            return await self.kv.update(key, value, last=revision)
        except KeyWrongLastSequenceError:
            return None

    async def _members(self) -> int:
        try:
            keys = [k for k in await self.kv.keys() if k.startswith("member.")]
        except NoKeysError:
            return 1
        return max(1, len(keys))

    async def round(self, acquire: bool = True) -> Rebalance:
        """Renew what this worker holds, then take or give back partitions toward its share."""
        out = Rebalance()
        self._member = await self._renew(f"member.{self.worker}", self._member)
        if self._member is None:  # our membership expired and was taken: start again
            self._member = await self._renew(f"member.{self.worker}", None)
        for name, revision in list(self.held.items()):
            renewed = await self._renew(f"partition.{name}", revision)
            if renewed is None:
                del self.held[name]
                out.lost.append(name)
            else:
                self.held[name] = renewed
        share = math.ceil(len(self.partitions) / await self._members())
        if len(self.held) > share:
            out.surplus = sorted(self.held)[share:]
        elif acquire and len(self.held) < share:
            # Start the search at a place of our own, so that workers do not all race for
            # the same free partition.
            start = sum(self.worker.encode()) % len(self.partitions)
            order = self.partitions[start:] + self.partitions[:start]
            for name in order:
                if len(self.held) >= share:
                    break
                if name in self.held:
                    continue
                taken = await self._renew(f"partition.{name}", None)
                if taken is not None:
                    self.held[name] = taken
                    out.acquired.append(name)
        return out

    async def release(self, name: str) -> None:
        revision = self.held.pop(name, None)
        if revision is not None:
            try:
                await self.kv.delete(f"partition.{name}", last=revision)
            except Exception:  # it expires anyway
                log.warning("could not release partition %s; it will expire", name)

    async def leave(self) -> None:
        for name in list(self.held):
            await self.release(name)
        if self._member is not None:
            try:
                await self.kv.delete(f"member.{self.worker}", last=self._member)
            except Exception:
                log.warning("could not leave; membership will expire")
            self._member = None
