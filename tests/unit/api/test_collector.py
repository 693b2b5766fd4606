"""A slow full garbage collection leads to one freeze at the next round, within the limits."""

from __future__ import annotations

import gc
from typing import Any

from cityloop.api.collector import Callback, CollectorWatch


class Clocks:
    def __init__(self) -> None:
        self.now = 0.0  # seconds, for the limits
        self.perf = 0.0  # seconds, for timing collections


def watch(clocks: Clocks, freezes: list[float], **kw: Any) -> tuple[CollectorWatch, list[Callback]]:
    callbacks: list[Callback] = []
    w = CollectorWatch(
        callbacks=callbacks,
        freeze=lambda: freezes.append(clocks.now),
        clock=lambda: clocks.now,
        timer=lambda: clocks.perf,
        **kw,
    )
    w.install()
    return w, callbacks


def collect(callbacks: list[Callback], clocks: Clocks, generation: int, took_ms: float) -> None:
    for cb in callbacks:
        cb("start", {"generation": generation})
    clocks.perf += took_ms / 1000
    for cb in callbacks:
        cb("stop", {"generation": generation})


def test_a_slow_full_collection_freezes_once_and_fast_ones_do_not() -> None:
    clocks, freezes = Clocks(), []
    w, callbacks = watch(clocks, freezes, slow_ms=10)
    collect(callbacks, clocks, 2, 4.0)
    collect(callbacks, clocks, 0, 50.0)  # a young collection, however long, is not counted
    assert not w.maybe_freeze()
    collect(callbacks, clocks, 2, 30.0)
    assert w.slowest_ms == 30.0
    assert w.maybe_freeze()
    assert not w.maybe_freeze()  # nothing slow since
    assert freezes == [0.0]


def test_freezes_are_spaced_and_capped() -> None:
    clocks, freezes = Clocks(), []
    w, callbacks = watch(clocks, freezes, slow_ms=10, every_s=60, max_freezes=2)
    collect(callbacks, clocks, 2, 20.0)
    assert w.maybe_freeze()
    clocks.now = 30.0
    collect(callbacks, clocks, 2, 20.0)
    assert not w.maybe_freeze()  # too soon after the last one; it stays due
    clocks.now = 61.0
    assert w.maybe_freeze()
    clocks.now = 200.0
    collect(callbacks, clocks, 2, 20.0)
    assert not w.maybe_freeze()  # the cap: garbage cycles frozen along the way stay bounded
    assert freezes == [0.0, 61.0]
    assert w.freezes == 2


def test_it_hooks_into_the_collector_and_unhooks() -> None:
    w = CollectorWatch()
    w.install()
    w.install()
    try:
        assert gc.callbacks.count(w._on_collection) == 1
        gc.collect()
        assert w.slowest_ms > 0.0  # a full collection was timed
    finally:
        w.uninstall()
    assert w._on_collection not in gc.callbacks
