"""The intake process itself: `python -m cityloop.adapters.intake_process.server`.

`cityloop serve` starts it (see `launch`) with the server's settings in the environment and
the socket's path and key in `CITYLOOP_INTAKE_SOCKET` / `CITYLOOP_INTAKE_AUTHKEY`. It builds
the same application as a server process (without migrating: the server already has), loads
the locator (not the model nor the address table: the servers classify and locate), and only
then creates its socket, so that a server never sends to a process that is not ready. One
thread per connected server receives batches, which the servers have classified and located;
one store thread takes every batch waiting, from all servers, and stores them in one
transaction (one by one if that fails, so one bad report sinks no other), then answers each
server with its reports' outcomes. It stops when its standard input closes: when the server
that started it stops, or dies.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from multiprocessing.connection import Connection, Listener
from typing import Any

from cityloop.adapters.intake_process.protocol import AUTHKEY_ENV, SOCKET_ENV, Batch, portable
from cityloop.domain.clock import HandedClock
from cityloop.services.intake import (
    AnswerView,
    IntakeOutcome,
    IntakePipeline,
    Prepared,
    RenderedOutcome,
)
from cityloop.services.intake_batch import each_or_error

log = logging.getLogger(__name__)

#: A received batch: where to answer, the sender's time, the prepared reports, their readers.
_Work = tuple[Connection, datetime, list[Prepared], list[AnswerView | None]]
#: Writes a stored report's answer for its reader (the API's JSON).
Render = Callable[[IntakeOutcome, AnswerView], bytes]


class IntakeServer:
    """Receives batches from any number of connections and stores them together.

    Each connection's thread unpickles what it receives while the store thread stores the
    batches received before (mostly SQLite, which runs outside the interpreter lock); the
    store thread takes every batch waiting, from all connections, into one transaction.
    """

    def __init__(
        self,
        pipeline: IntakePipeline,
        clock: HandedClock | None = None,
        max_batch: int = 1024,
        render: Render | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.clock = clock
        self.max_batch = max_batch
        self.render = render
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._storing = threading.Thread(target=self._store_loop, name="intake-store")
        self._connections: list[Connection] = []

    def serve(self, listener: Listener) -> None:
        """Accept servers on ``listener`` and store what they send, in background threads."""
        self._storing.start()
        threading.Thread(
            target=self._accept, args=(listener,), name="intake-accept", daemon=True
        ).start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Store what has been received, answer it, then stop."""
        self._queue.put(None)
        self._storing.join(timeout_s)
        for conn in list(self._connections):
            conn.close()

    @property
    def connected(self) -> int:
        """How many server processes are connected now."""
        return len(self._connections)

    def _accept(self, listener: Listener) -> None:
        while True:
            try:
                conn = listener.accept()
            except OSError:  # the listener was closed: stopping
                return
            except Exception as exc:  # a peer without the key, or one that hung up at once
                log.warning("refused a connection to the intake process: %s", exc)
                continue
            self._connections.append(conn)
            threading.Thread(
                target=self._receive, args=(conn,), name="intake-receive", daemon=True
            ).start()

    def _receive(self, conn: Connection) -> None:
        try:
            self._receive_batches(conn)
        finally:  # that server is gone, or was cut off: forget its connection
            if conn in self._connections:
                self._connections.remove(conn)

    def _receive_batches(self, conn: Connection) -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the server process stopped
                return
            except Exception:
                log.exception("an unreadable message; closing that connection")
                conn.close()
                return
            if not isinstance(message, Batch):
                log.error("expected a batch of reports, got %s", type(message).__name__)
                conn.close()
                return
            self._queue.put((conn, message.now, message.reports, message.views))

    def _store_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            work, stopping = [first], False
            size = len(first[2])
            while size < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                work.append(more)
                size += len(more[2])
            try:
                self._store(work)
            except Exception as exc:  # this thread must go on: every report gets its answer
                log.exception("storing a batch failed outside the store itself")
                for conn, _, items, _ in work:
                    self._send(conn, [_unanswered(exc) for _ in items])
            if stopping:
                return

    def _store(self, work: list[_Work]) -> None:
        if self.clock is not None:
            self.clock.hand_over(max(now for _, now, _, _ in work))
        ready = [p for _, _, items, _ in work for p in items]
        store: Callable[[list[Prepared]], list[IntakeOutcome]] = self.pipeline.store_prepared
        outcomes = each_or_error(store, ready)  # each outcome, or that report's error
        answers = iter(outcomes)
        for conn, _, items, views in work:
            answer = [
                self._answer(next(answers), view) for _, view in zip(items, views, strict=True)
            ]
            if not self._send(conn, answer):  # it cannot be pickled: say so instead
                self._send(conn, [_unanswered(RuntimeError("unpicklable")) for _ in items])

    @staticmethod
    def _send(conn: Connection, answer: list[Any]) -> bool:
        """Send one batch's answer; False when it cannot be sent as it is (a server that went
        away is only logged: nobody waits for it any more)."""
        try:
            conn.send(answer)
        except OSError:
            log.warning("a server process went away before its answer was sent")
        except Exception:
            log.exception("an answer that could not be sent")
            return False
        return True

    def _answer(
        self, outcome: IntakeOutcome | BaseException, view: AnswerView | None
    ) -> IntakeOutcome | RenderedOutcome | BaseException:
        """What goes back for one report: its error, its answer written out for its reader,
        or (no reader, or the writing failed: the server then writes it) its outcome."""
        if isinstance(outcome, BaseException):
            return portable(outcome)
        if view is None or self.render is None:
            return outcome
        try:
            return RenderedOutcome(self.render(outcome, view))
        except Exception:
            log.exception("could not write the answer of report %s", outcome.report.ref)
            return outcome


def _unanswered(why: BaseException) -> BaseException:
    return RuntimeError(
        "the intake process took this report but could not send its answer back "
        f"({type(why).__name__}: {why}); it may have been stored: look for it before sending "
        "it again (a repeated report joins the event the first one made)"
    )


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s intake-process %(levelname)s %(message)s"
    )
    log.setLevel(logging.INFO)
    # Ctrl-C reaches the whole process group: the server decides when this process stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from cityloop.bootstrap import bootstrap
    from cityloop.settings import Settings

    address, authkey = os.environ[SOCKET_ENV], bytes.fromhex(os.environ[AUTHKEY_ENV])
    settings = Settings().model_copy(update={"seed_demo_users": False})
    clock = None
    if settings.clock_stepped or settings.clock_speed != 1.0:
        clock = HandedClock(0.0 if settings.clock_stepped else settings.clock_speed)
    container = bootstrap(settings, clock=clock, migrate=False)
    container.warm_up(follow_vital_signs=False, prepares=False)  # its reports come prepared
    from cityloop.api.routes.intake import answer_body

    def render(outcome: IntakeOutcome, view: AnswerView) -> bytes:
        return answer_body(container, outcome, view.principal, view.lang)

    server = IntakeServer(container.intake, clock, render=render)
    listener = Listener(address, "AF_UNIX", authkey=authkey)  # the socket appears: ready
    server.serve(listener)
    log.info("ready on %s (pid %d)", address, os.getpid())
    sys.stdin.buffer.read()  # until the server closes it (or dies)
    listener.close()
    server.stop()
    container.engine.dispose()
    log.info("stopped")


if __name__ == "__main__":
    main()
