"""Group commit for intake: many concurrent reports share one transaction.

The reports that reach the event loop while the previous batch is being stored form the next
batch; one writer thread stores each batch — for intake one vectorised classification pass and
one transaction — while the loop goes on parsing requests and answering them. There is one
hand-off between threads per batch, not per request, and the loop never waits for the store:
SQLite's own work (and the classifier's sparse products) run outside the interpreter lock,
beside the loop's. If a batch fails its items are stored one by one, so that one bad report
cannot sink the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from cityloop.services.intake import IncomingReport, IntakeOutcome, IntakePipeline

log = logging.getLogger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")


class LoopGroupCommit(Generic[In, Out]):
    """Group commit for an event loop: items are gathered on the loop and stored in batches
    of at most ``max_batch`` on one writer thread, one batch at a time.

    With one request at a time this is a plain commit per request; under load, requests pile
    up while a batch is being stored, so batches grow by themselves.
    """

    def __init__(self, store: Callable[[list[In]], list[Out]], max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[In, asyncio.Future[Out]]] = []
        self._busy = False
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="cityloop-writer")

    def put(self, item: In) -> asyncio.Future[Out]:
        """Queue ``item`` for the next batch; the future has its outcome (or its error)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Out] = loop.create_future()
        self._pending.append((item, future))
        if not self._busy:
            self._busy = True
            loop.call_soon(self._flush, loop)
        return future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending[: self.max_batch]
        del self._pending[: self.max_batch]
        stored = self._writer.submit(self._store_all, [item for item, _ in batch])

        def done(_: object) -> None:
            try:
                outcomes = stored.result()
            except BaseException as exc:  # the writer itself failed (shut down, say)
                outcomes = [exc] * len(batch)
            loop.call_soon_threadsafe(self._finish, loop, batch, outcomes)

        stored.add_done_callback(done)

    def _store_all(self, items: list[In]) -> list[Out | BaseException]:
        """In the writer thread: the batch's outcomes, or each item's own error."""
        try:
            return list(self.store(items))
        except Exception as exc:
            if len(items) == 1:
                return [exc]
            log.warning("a batch of %d items failed; storing them one by one", len(items))
            return [outcome for item in items for outcome in self._store_all([item])]

    def _finish(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: list[tuple[In, asyncio.Future[Out]]],
        outcomes: list[Out | BaseException],
    ) -> None:
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # a client that went away cancelled its request
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        if self._pending:
            self._flush(loop)
        else:
            self._busy = False

    def stop(self) -> None:
        """Wait for the batch being stored, then stop the writer thread."""
        self._writer.shutdown(wait=True)


class IntakeBatcher:
    """The intake pipeline with group commit: the reports of one batch are classified
    together, located, and stored in one transaction, off the event loop."""

    def __init__(self, pipeline: IntakePipeline, max_batch: int = 256) -> None:
        self.pipeline = pipeline
        self.group: LoopGroupCommit[IncomingReport, IntakeOutcome] = LoopGroupCommit(
            pipeline.submit_prepared_many, max_batch
        )

    async def submit(self, incoming: IncomingReport) -> IntakeOutcome:
        """Store ``incoming`` with the others of its batch; invalid input raises here."""
        return await self.group.put(incoming)

    def stop(self) -> None:
        self.group.stop()
