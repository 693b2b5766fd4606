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
from typing import Generic, Protocol, TypeVar

from cityloop.services.intake import (
    AnswerView,
    IncomingReport,
    IntakeOutcome,
    IntakePipeline,
    RenderedOutcome,
)

log = logging.getLogger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")


def each_or_error(
    store: Callable[[list[In]], list[Out]], items: list[In]
) -> list[Out | BaseException]:
    """The batch's outcomes from ``store`` (or any step taken a batch at a time); if the
    batch fails, its items are taken one by one, so that each gets its own outcome or its own
    error."""
    try:
        return list(store(items))
    except Exception as exc:
        if len(items) == 1:
            return [exc]
        log.warning("a batch of %d items failed; taking them one by one", len(items))
        return [outcome for item in items for outcome in each_or_error(store, [item])]


def settle(futures: list[asyncio.Future[Out]], outcomes: list[Out | BaseException]) -> None:
    """On the loop: give each waiting request its outcome, or its error."""
    for future, outcome in zip(futures, outcomes, strict=True):
        if future.done():  # a client that went away cancelled its request
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


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
        stored = self._writer.submit(each_or_error, self.store, [item for item, _ in batch])

        def done(_: object) -> None:
            try:
                outcomes = stored.result()
            except BaseException as exc:  # the writer itself failed (shut down, say)
                outcomes = [exc] * len(batch)
            loop.call_soon_threadsafe(self._finish, loop, batch, outcomes)

        stored.add_done_callback(done)

    def _finish(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: list[tuple[In, asyncio.Future[Out]]],
        outcomes: list[Out | BaseException],
    ) -> None:
        settle([future for _, future in batch], outcomes)
        if self._pending:
            self._flush(loop)
        else:
            self._busy = False

    def stop(self) -> None:
        """Wait for the batch being stored, then stop the writer thread."""
        self._writer.shutdown(wait=True)


class RemoteStore(Protocol):
    """Another process that stores reports (the intake process), as this one sees it."""

    @property
    def available(self) -> bool:
        """False once it is out of reach (reports are then stored here)."""
        ...

    def put(
        self, incoming: IncomingReport, view: AnswerView | None = None
    ) -> asyncio.Future[IntakeOutcome | RenderedOutcome]:
        """Send ``incoming`` to be stored; the future has its outcome (or its error), written
        out as the answer for ``view`` when one is given and the other process can."""
        ...

    def close(self) -> None: ...


class IntakeBatcher:
    """The intake pipeline with group commit: the reports of one batch are classified
    together, located, and stored in one transaction, off the event loop — here, or by the
    intake process when one is attached (``store_through``)."""

    def __init__(self, pipeline: IntakePipeline, max_batch: int = 256) -> None:
        self.pipeline = pipeline
        self.group: LoopGroupCommit[IncomingReport, IntakeOutcome] = LoopGroupCommit(
            pipeline.submit_prepared_many, max_batch
        )
        self.remote: RemoteStore | None = None

    @property
    def stores_elsewhere(self) -> bool:
        """True while reports are stored by another process (the intake process)."""
        return self.remote is not None and self.remote.available

    def store_through(self, remote: RemoteStore) -> None:
        """From now on, reports are stored by ``remote`` while it is available."""
        self.remote = remote

    def put_here(self, incoming: IncomingReport) -> asyncio.Future[IntakeOutcome]:
        """Queue ``incoming`` for this process's next batch."""
        return self.group.put(incoming)

    async def submit(self, incoming: IncomingReport) -> IntakeOutcome:
        """Store ``incoming`` with the others of its batch; invalid input raises here."""
        out = await self.submit_for(incoming, None)
        if not isinstance(out, IntakeOutcome):  # only written out when a view was asked for
            raise TypeError("an answer written out that nobody asked for")
        return out

    async def submit_for(
        self, incoming: IncomingReport, view: AnswerView | None
    ) -> IntakeOutcome | RenderedOutcome:
        """`submit`; when the intake process stores the report, it also writes the answer for
        ``view`` (a `RenderedOutcome`), sparing this process the event's trip back."""
        if self.remote is not None and self.remote.available:
            return await self.remote.put(incoming, view)
        return await self.group.put(incoming)

    def stop(self) -> None:
        if self.remote is not None:
            self.remote.close()
        self.group.stop()
