"""Group commit for intake: many concurrent reports share one transaction.

Request threads classify and locate their report themselves, then queue it; one writer thread
stores whatever is queued in a single transaction and answers each request. Under load this
turns hundreds of small commits into a few large ones; with one report queued it is just a
normal commit. If a batch fails, its reports are stored one by one so that one bad report
cannot sink the others.
"""

from __future__ import annotations

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


class IntakeBatcher:
    """The intake pipeline with group commit: classify and locate in the caller's thread, store
    in the writer's."""

    def __init__(self, pipeline: IntakePipeline, max_batch: int = 256) -> None:
        self.pipeline = pipeline
        self.group = GroupCommit(pipeline.store_prepared, max_batch)

    def submit(self, incoming: IncomingReport) -> Future[IntakeOutcome]:
        """Decide what needs no store now (errors raise here), then queue for storing."""
        return self.group.put(self.pipeline.prepare(incoming))

    def stop(self) -> None:
        self.group.stop()
