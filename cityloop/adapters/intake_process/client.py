"""A server process's side of the intake process: its reports go there to be stored.

Reports are sent as they come — those that reach the event loop in one turn are classified
together (one vectorised pass), located, and sent as one batch — with any number of batches on
the way, so that the intake process stores one while the server parses the next requests and
answers the last ones; a receiver thread takes the answers, which come back in the order the
batches were sent, and hands each to its request. A report that cannot be prepared gets its
error at once and is not sent.

If the intake process cannot be reached, or stops, this process stores its reports itself from
then on (said once in the log). The reports the intake process had when it stopped get
`StoreUnavailable` (503): they may or may not have been stored.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections import deque
from multiprocessing.connection import Client, Connection

from cityloop.adapters.intake_process.protocol import AUTHKEY_ENV, SOCKET_ENV, Batch
from cityloop.domain.clock import Clock
from cityloop.services.intake import (
    AnswerView,
    IncomingReport,
    IntakeOutcome,
    Prepared,
    RenderedOutcome,
)
from cityloop.services.intake_batch import IntakeBatcher, each_or_error, settle
from cityloop.services.ports import StoreUnavailable

log = logging.getLogger(__name__)

STOPPED = (
    "the intake process stopped while it had this report, which may or may not have been "
    "stored; send it again (a repeated report joins the event the first one made)"
)

_Answer = IntakeOutcome | RenderedOutcome
_Futures = list["asyncio.Future[_Answer]"]
_Pending = list[tuple[IncomingReport, AnswerView | None, "asyncio.Future[_Answer]"]]
_InFlight = tuple[asyncio.AbstractEventLoop, _Futures]


class IntakeClient:
    """The intake process as a `RemoteStore` of the intake batcher; ``fallback`` stores a
    report in this process (used once the intake process is out of reach)."""

    def __init__(
        self,
        address: str,
        authkey: bytes,
        clock: Clock,
        fallback: IntakeBatcher,
    ) -> None:
        self.address = address
        self.authkey = authkey
        self.clock = clock
        self.fallback = fallback
        self._conn: Connection | None = None
        self._available = True
        self._pending: _Pending = []
        self._scheduled = False
        self._in_flight: deque[_InFlight] = deque()
        self._lock = threading.Lock()  # the in-flight queue and the connection's state

    @property
    def available(self) -> bool:
        return self._available

    def put(
        self, incoming: IncomingReport, view: AnswerView | None = None
    ) -> asyncio.Future[_Answer]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Answer] = loop.create_future()
        self._pending.append((incoming, view, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._send, loop)
        return future

    def _send(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop: prepare what came in this turn and send it."""
        self._scheduled = False
        batch, self._pending = self._pending, []
        conn = self._connection()
        if conn is None:
            self._store_here(batch)
            return
        prepare = self.fallback.pipeline.prepare_many
        prepared = each_or_error(prepare, [incoming for incoming, _, _ in batch])
        sent: _Pending = []
        ready: list[Prepared] = []
        refused: _Futures = []
        errors: list[_Answer | BaseException] = []
        for (incoming, view, future), p in zip(batch, prepared, strict=True):
            if isinstance(p, BaseException):
                refused.append(future)
                errors.append(p)
            else:
                sent.append((incoming, view, future))
                ready.append(p)
        if refused:
            settle(refused, errors)
        if not sent:
            return
        entry: _InFlight = (loop, [future for _, _, future in sent])
        with self._lock:
            self._in_flight.append(entry)
        try:
            conn.send(Batch(self.clock.now(), ready, [view for _, view, _ in sent]))
        except OSError as exc:  # it did not get this batch: store it here
            with self._lock:
                unsent = entry in self._in_flight
                if unsent:
                    self._in_flight.remove(entry)
            self._give_up(exc)
            if unsent:
                self._store_here(sent)

    def _store_here(self, batch: _Pending) -> None:
        for incoming, _, future in batch:
            _forward(self.fallback.put_here(incoming), future)

    def _connection(self) -> Connection | None:
        if not self._available:
            return None
        if self._conn is None:
            try:
                conn = Client(self.address, "AF_UNIX", authkey=self.authkey)
            except Exception as exc:
                self._give_up(exc)
                return None
            self._conn = conn
            threading.Thread(
                target=self._receive, args=(conn,), name="cityloop-intake-answers", daemon=True
            ).start()
        return self._conn

    def _receive(self, conn: Connection) -> None:
        """In the receiver thread: hand each answer to the requests of its batch."""
        while True:
            try:
                answer: list[_Answer | BaseException] = conn.recv()
            except Exception as exc:  # it stopped (or this process is closing the connection)
                self._give_up(exc)
                return
            with self._lock:
                entry = self._in_flight.popleft() if self._in_flight else None
            if entry is None or len(answer) != len(entry[1]):
                self._give_up(RuntimeError("an answer that matches no batch sent"))
                if entry is not None:
                    _fail(*entry)
                return
            loop, futures = entry
            loop.call_soon_threadsafe(settle, futures, answer)

    def _give_up(self, why: BaseException) -> None:
        with self._lock:
            if not self._available:
                return
            self._available = False
            lost = list(self._in_flight)
            self._in_flight.clear()
            conn, self._conn = self._conn, None
        log.error(
            "the intake process at %s is out of reach (%s: %s); this process stores its "
            "reports itself from now on",
            self.address,
            type(why).__name__,
            why,
        )
        for entry in lost:
            _fail(*entry)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._available = False
            conn, self._conn = self._conn, None
        if conn is not None:
            _hang_up(conn)
            conn.close()


def _hang_up(conn: Connection) -> None:
    """Shut the socket down both ways, so that the intake process sees this end go at once
    (closing alone waits for the receiver thread's blocked read, which only the peer ends)."""
    try:
        with socket.socket(fileno=os.dup(conn.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed, or never connected
        pass


def _fail(loop: asyncio.AbstractEventLoop, futures: _Futures) -> None:
    errors: list[_Answer | BaseException] = [StoreUnavailable(STOPPED) for _ in futures]
    loop.call_soon_threadsafe(settle, futures, errors)


def _forward(source: asyncio.Future[IntakeOutcome], target: asyncio.Future[_Answer]) -> None:
    def copy(done: asyncio.Future[IntakeOutcome]) -> None:
        error = done.exception()
        outcome: _Answer | BaseException = done.result() if error is None else error
        settle([target], [outcome])

    source.add_done_callback(copy)


def store_through_intake_process(
    batcher: IntakeBatcher, clock: Clock, address: str, authkey: bytes
) -> IntakeClient:
    """From now on ``batcher`` stores through the intake process at ``address``."""
    client = IntakeClient(address, authkey, clock, batcher)
    batcher.store_through(client)
    return client


def store_through_environ(batcher: IntakeBatcher, clock: Clock) -> IntakeClient | None:
    """As ``store_through_intake_process``, where the environment names an intake process
    (a server worker started by `cityloop serve --workers N`)."""
    address, key = os.environ.get(SOCKET_ENV), os.environ.get(AUTHKEY_ENV)
    if not address or not key:
        return None
    return store_through_intake_process(batcher, clock, address, bytes.fromhex(key))
