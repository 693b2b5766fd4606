"""The level machine shared by every rule type: hold, hysteresis and edge detection, in arrays.

A rule has L levels (columns, lowest colour first) and n subjects (rows). Each evaluation gives a
signal per (subject, level) — the same value for every level, or one per level when levels use
different windows. Per level:

- *entry*: above → signal ≥ threshold; below → signal < threshold;
- *hold* (`for`): entry must have held for N consecutive evaluations and/or a duration, counted
  from the first evaluation of the unbroken run;
- *retain* (hysteresis): a level already reached stays while above → signal ≥ clear threshold,
  below → signal < clear threshold (clear = threshold ∓ hysteresis unless given).

The new level is the highest held level, or — if higher — the highest level at or below the
current one that is still retained. Only subjects whose level changed are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int32]
LevelArray = NDArray[np.int8]
_MAX_COUNT = 1 << 30


@dataclass(frozen=True)
class Moves:
    """The subjects whose level changed in one evaluation (all arrays aligned)."""

    rows: IntArray
    """Subject positions in the rule (local index)."""
    old: LevelArray
    new: LevelArray
    ts: FloatArray
    raised_ts: FloatArray
    """When the warning (this raise, or the cleared one) was raised."""
    column: IntArray
    """Level column that explains the change (the new level's, or the old one's on a clear)."""
    signal: FloatArray
    threshold: FloatArray
    count: IntArray
    """Consecutive evaluations that met the explaining level's entry condition."""
    positions: IntArray
    """Position of each moved subject in the evaluated arrays (to fetch its inputs)."""

    def __len__(self) -> int:
        return len(self.rows)


class LevelMachine:
    """Per-subject level state of one rule: current level, hold counters, run starts."""

    def __init__(
        self,
        levels: LevelArray,
        above: bool,
        entry: FloatArray,
        clear: FloatArray,
        hold_readings: IntArray,
        hold_seconds: FloatArray,
    ) -> None:
        n, width = entry.shape
        self.levels = levels
        self.above = above
        self.entry = entry
        self.clear = clear
        self.hold_readings = hold_readings
        self.hold_seconds = hold_seconds
        self.level = np.zeros(n, dtype=np.int8)
        self.count = np.zeros((n, width), dtype=np.int32)
        self.since = np.full((n, width), np.nan)
        self.raised = np.full(n, np.nan)
        self.timed = bool((hold_seconds > 0).any())
        self.counted = self.timed or bool((hold_readings > 1).any())

    def __len__(self) -> int:
        return len(self.level)

    def state(self) -> dict[str, NDArray[Any]]:
        return {
            "level": self.level,
            "count": self.count,
            "since": self.since,
            "raised": self.raised,
        }

    def load_state(self, arrays: dict[str, NDArray[Any]]) -> None:
        for name in ("level", "count", "since", "raised"):
            current = getattr(self, name)
            loaded = arrays[name]
            if loaded.shape != current.shape or loaded.dtype != current.dtype:
                raise ValueError(f"checkpoint array {name!r} does not fit this rule")
            setattr(self, name, loaded.copy())

    def update(self, rows: IntArray, ts: FloatArray, signal: FloatArray) -> Moves | None:
        """Evaluate `signal` (k × L) for subjects `rows` (distinct) at times `ts` (k)."""
        n = len(rows)
        full = n == len(self.level) and (n < 2 or bool((rows[1:] > rows[:-1]).all()))
        at: IntArray | slice = slice(None) if full else rows  # slices avoid copies
        entry_t, clear_t = self.entry[at], self.clear[at]
        with np.errstate(invalid="ignore"):
            if self.above:
                enter, keep = signal >= entry_t, signal >= clear_t
            else:
                enter, keep = signal < entry_t, signal < clear_t
        if self.counted:
            count = np.where(enter, np.minimum(self.count[at] + 1, _MAX_COUNT), 0)
            count = count.astype(np.int32)
            self.count[at] = count
            held = enter & (count >= self.hold_readings)
        else:
            count = enter.astype(np.int32)
            held = enter
        if self.timed:
            t = ts[:, None]
            since = np.where(enter & (count == 1), t, self.since[at])
            self.since[at] = since
            held &= (t - since) >= self.hold_seconds
        lv = self.levels
        reached = np.where(held, lv, 0).max(axis=1)
        current = self.level[at]
        kept = np.where(keep & (lv <= current[:, None]), lv, 0).max(axis=1)
        new = np.maximum(reached, kept).astype(np.int8)
        changed = np.flatnonzero(new != current)
        if len(changed) == 0:
            return None
        moved = rows[changed]
        old, nw = current[changed], new[changed]
        self.level[moved] = nw
        raised = self.raised[moved]
        raised = np.where(old == 0, ts[changed], raised)
        self.raised[moved] = np.where(nw == 0, np.nan, raised)
        explain = np.where(nw > 0, nw, old)
        column = np.searchsorted(lv, explain).astype(np.int32)
        return Moves(
            rows=moved.astype(np.int32),
            old=old,
            new=nw,
            ts=ts[changed],
            raised_ts=raised,
            column=column,
            signal=signal[changed, column],
            threshold=entry_t[changed, column],
            count=count[changed, column],
            positions=changed.astype(np.int32),
        )
