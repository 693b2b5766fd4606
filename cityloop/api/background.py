"""The server's background worker: outbox relay, deadline supervision, notification delivery,
and keeping SQLite's write-ahead log short (checkpoints off the requests' path).

Its state is all in the database, so a restart loses nothing: the next round picks up every
message not yet published and every deadline that came due meanwhile. When several processes
serve one database, only the holder of its leader lock (`cityloop.adapters.sql.leader`) works;
the others take over within a second of its death.
"""

from __future__ import annotations

import logging
import threading

from cityloop.adapters.sql.engine import checkpoint
from cityloop.bootstrap import Container

log = logging.getLogger(__name__)


class BackgroundWorker:
    RELAY_EVERY_S = 0.25
    #: How often a process that is not the leader checks whether the leader has gone.
    FOLLOWER_WAIT_S = 1.0

    def __init__(self, container: Container) -> None:
        self.container = container
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cityloop-background", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.container.leader.release()

    def _run(self) -> None:
        interval = self.container.settings.supervision_interval_s
        # On a stepped clock time stands still between steps, and each step does the rounds.
        stepped = self.container.settings.clock_stepped
        waited = interval  # supervise on the first round
        reconciled = False
        while not self._stop.is_set():
            try:
                if not self.container.leader.try_hold():
                    # Another process serving this database does the background work.
                    self._stop.wait(self.FOLLOWER_WAIT_S)
                    continue
                if not reconciled:  # what a crash cut off between a warning and its event
                    self.container.telemetry.reconcile()
                    reconciled = True
                self.container.bus.relay(wait=False)  # skipped while another process relays
                checkpoint(self.container.engine)
                if waited >= interval and not stepped:
                    self.container.tick()
                    waited = 0.0
            except Exception:
                log.exception("background round failed; trying again")
            self._stop.wait(self.RELAY_EVERY_S)
            waited += self.RELAY_EVERY_S
