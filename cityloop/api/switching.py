"""How long a thread holds the GIL before the interpreter hands it to another one.

A CityLoop server runs two busy Python threads: the event loop (HTTP parsing, validation,
classification, the response) and the store's writer thread (one SQLite transaction per batch
of reports). SQLite releases the GIL around each call into the library, so the writer gives it
up and takes it back dozens of times per batch; with CPython's default switch interval (5 ms)
the loop, waiting for it, is then made to hand it back after every slice, and the two threads
convoy: each hand-off costs a wake-up of the other core, and neither runs long enough to finish
a piece of work. A longer interval lets each thread run its stretch: in the intake bench on two
cores (6,000 reports, one server worker, runs alternated) 20 ms took 675–693 reports/s to
753–890 with p99 70–77 ms, 50 ms and 200 ms gained less, and 0.5 ms lost (562–604).

The interval bounds only how long a CPU-bound thread may keep others waiting; a thread that
blocks (I/O, SQLite, a lock) hands the GIL over at once whatever the setting.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def switch_interval(
    ms: float,
    *,
    get: Callable[[], float] = sys.getswitchinterval,
    set_: Callable[[float], None] = sys.setswitchinterval,
) -> Iterator[None]:
    """Hold the interpreter's switch interval at ``ms`` milliseconds, then restore it."""
    before = get()
    set_(ms / 1000.0)
    try:
        yield
    finally:
        set_(before)
