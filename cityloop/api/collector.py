"""Keeping the garbage collector's full rounds short in a long-running server.

CPython's cyclic collector walks every tracked object in a full collection, with every thread
stopped. A server holds hundreds of thousands of long-lived objects: the city, the classifier
and the address table (frozen once they are loaded, in `Container.warm_up`), and then what the
first requests build — SQL statement caches, validators, per-route state. Walking those took
25–45 ms per full collection in the intake bench, a dozen times a run: the stall every request
in flight waits through, and so the p99.

`CollectorWatch` times each full collection (a callback of the `gc` module) and, when one took
longer than `slow_ms`, freezes what is tracked at the app's next check (`maybe_freeze`, every
half second): it then sits in
the permanent generation, which no collection walks, and the next full rounds take a few
milliseconds. Freezing also keeps whatever garbage cycles exist at that moment (refcounting
still frees everything else), so it happens at most once every `every_s` and `max_freezes`
times in a process's life: a bounded, one-time cost.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import Any

Callback = Callable[[str, dict[str, Any]], None]


class CollectorWatch:
    def __init__(
        self,
        slow_ms: float = 10.0,
        every_s: float = 60.0,
        max_freezes: int = 10,
        *,
        callbacks: list[Callback] | None = None,
        freeze: Callable[[], None] = gc.freeze,
        clock: Callable[[], float] = time.monotonic,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.slow_ms = slow_ms
        self.every_s = every_s
        self.max_freezes = max_freezes
        self.freezes = 0
        #: the longest full collection seen since the last freeze, in milliseconds
        self.slowest_ms = 0.0
        self._callbacks = gc.callbacks if callbacks is None else callbacks
        self._freeze = freeze
        self._clock = clock
        self._timer = timer
        self._started: float | None = None
        self._last_freeze: float | None = None
        self._lock = threading.Lock()

    def install(self) -> None:
        if self._on_collection not in self._callbacks:
            self._callbacks.append(self._on_collection)

    def uninstall(self) -> None:
        if self._on_collection in self._callbacks:
            self._callbacks.remove(self._on_collection)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        # Called by the collector itself: record only, never collect or freeze from here.
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = self._timer()
        elif self._started is not None:
            took = (self._timer() - self._started) * 1000.0
            self._started = None
            self.slowest_ms = max(self.slowest_ms, took)

    def maybe_freeze(self) -> bool:
        """Freeze what is tracked if a full collection was slow (and the limits allow)."""
        with self._lock:
            if self.slowest_ms <= self.slow_ms or self.freezes >= self.max_freezes:
                return False
            now = self._clock()
            if self._last_freeze is not None and now - self._last_freeze < self.every_s:
                return False
            self._freeze()
            self.freezes += 1
            self._last_freeze = now
            self.slowest_ms = 0.0
            return True
