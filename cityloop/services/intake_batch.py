"""Group commit for intake: many concurrent reports share one transaction.

Two forms. ``LoopGroupCommit`` (the HTTP intake routes): the reports that reach the event loop
in one turn are stored together in the loop's own thread — one transaction, and for intake one
vectorised classification pass for the batch — with no hand-off between threads, which under
load costs more than the work itself (every switch contends for the interpreter lock).
``GroupCommit``: request threads queue items and one writer thread stores what is queued (for
callers outside an event loop). Either way, if a batch fails its items are stored one by one,
so that one bad report cannot sink the others.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from cityloop.services.intake import IncomingReport, IntakeOutcome, IntakePipeline

log = logging.getLogger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")


class GroupCommit(Generic[In, Out]):
    """Queue items from many threads; one writer stores what is queued in one go."""

    def __init__(
        self,
        store: Callable[[list[In]], list[Out]],
        max_batch: int = 256,
        linger_s: float = 0.0,
    ) -> None:
        self.store = store
        self.max_batch = max_batch
        self.linger_s = linger_s
        self._queue: queue.Queue[tuple[In, Future[Out]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, item: In) -> Future[Out]:
        future: Future[Out] = Future()
        self._ensure_started()
        self._queue.put((item, future))
        return future

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="cityloop-intake-writer", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch: list[tuple[In, Future[Out]]] = [item]
            if self.linger_s and self._queue.empty():
                time.sleep(self.linger_s)  # let a burst gather: one commit for all of it
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._store(batch)
                    return
                batch.append(more)
            self._store(batch)

    def _store(self, batch: list[tuple[In, Future[Out]]]) -> None:
        try:
            outcomes = self.store([p for p, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            log.warning("a batch of %d reports failed; storing them one by one", len(batch))
            for one in batch:
                self._store([one])
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            future.set_result(outcome)


class LoopGroupCommit(Generic[In, Out]):
    """Group commit on the running event loop: what is put during one turn of the loop is
    stored in one call at the start of the next, in the loop's thread.

    Under load, requests pile up while a batch is being stored, so batches grow by themselves;
    with one request at a time this is a plain commit per request. Storing blocks the loop for
    the length of one transaction (milliseconds on SQLite), as a synchronous write would.
    """

    def __init__(self, store: Callable[[list[In]], list[Out]], max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[In, asyncio.Future[Out]]] = []
        self._scheduled = False

    def put(self, item: In) -> asyncio.Future[Out]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Out] = loop.create_future()
        self._pending.append((item, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), self.max_batch):
            self._store(pending[start : start + self.max_batch])

    def _store(self, batch: list[tuple[In, asyncio.Future[Out]]]) -> None:
        try:
            outcomes = self.store([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0][1].done():
                    batch[0][1].set_exception(exc)
                return
            log.warning("a batch of %d reports failed; storing them one by one", len(batch))
            for one in batch:
                self._store([one])
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():  # a client that went away cancelled its request
                future.set_result(outcome)


class IntakeBatcher:
    """The intake pipeline with group commit on the event loop: the reports of one turn are
    classified together, located, and stored in one transaction."""

    def __init__(self, pipeline: IntakePipeline, max_batch: int = 256) -> None:
        self.pipeline = pipeline
        self.group: LoopGroupCommit[IncomingReport, IntakeOutcome] = LoopGroupCommit(
            pipeline.submit_prepared_many, max_batch
        )

    async def submit(self, incoming: IncomingReport) -> IntakeOutcome:
        """Store ``incoming`` with the others of this turn; invalid input raises here."""
        return await self.group.put(incoming)

    def stop(self) -> None:
        """Nothing to stop: batches are stored in the loop's turns."""
