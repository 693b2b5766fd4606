"""Scorecards per department, district or street over a period ``[start, end)``.

The cohort is the events *created* in the period; every figure is about those events, whatever
the date of the later steps. Each event belongs to one group: its lead unit (``department``) or
its district / street. Returns are the exception for departments: a return counts against the
unit that returned the event (the timeline line's unit), not the unit that ends up with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from cityloop.evaluation.composite import ScoreWeights, composite, rank
from cityloop.evaluation.frames import Floats, Frames, Ints, Strs

HOUR = 3600.0
LOW = 2  # a rating at or below this is "dissatisfied"


@dataclass
class AntiGaming:
    """Patterns that make figures look better than the service was; each counts against."""

    reopened_by_low_rating: int = 0
    """Closures reopened because the citizen rated them ≤ 2 (a reopen right after such a rate)."""
    bounced_returns: int = 0
    """Events returned more than once (bounced between units); for departments, per unit that
    returned such an event."""
    suspensions: int = 0
    """Suspend steps (挂起), which can be used to stop the clock."""
    suspended_hours: float = 0.0
    """Total time suspended: each suspend until the next resume, else until the period's end."""


@dataclass
class Scorecard:
    key: str
    received: int = 0
    accepted: int = 0
    accepted_on_time: int = 0
    accept_on_time_rate: float | None = None
    resolved: int = 0
    disposed_on_time: int = 0
    dispose_on_time_rate: float | None = None
    accept_hours_median: float | None = None
    accept_hours_p90: float | None = None
    dispose_hours_median: float | None = None
    dispose_hours_p90: float | None = None
    overdue: int = 0
    overdue_accept: int = 0
    overdue_dispose: int = 0
    escalated: int = 0
    returns: int = 0
    closed: int = 0
    reopened: int = 0
    reopen_rate: float | None = None
    reports: int = 0
    duplicate_reports: int = 0
    duplicate_report_rate: float | None = None
    verified: int = 0
    verification_rate: float | None = None
    ratings: int = 0
    rating_mean: float | None = None
    low_rating_share: float | None = None
    rated_events: int = 0
    rating_response_rate: float | None = None
    anti_gaming: AntiGaming = field(default_factory=AntiGaming)
    score: float | None = None
    score_parts: dict[str, float] = field(default_factory=dict)
    ranking_score: float | None = None
    rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else round(num / den, 4)


def _ffill_index(flag: np.ndarray, event: Ints) -> Ints:
    """For each row, the index of the latest row at or before it (same event) where ``flag``
    holds; -1 when there is none. Rows are sorted by event, then sequence."""
    n = len(flag)
    idx = np.where(flag, np.arange(n), -1)
    idx = np.maximum.accumulate(idx) if n else idx
    valid = idx >= 0
    same = np.zeros(n, dtype=bool)
    same[valid] = event[idx[valid]] == event[valid]
    return np.where(same, idx, -1)


def _bfill_index(flag: np.ndarray, event: Ints) -> Ints:
    """For each row, the index of the earliest row at or after it (same event) where ``flag``."""
    n = len(flag)
    idx = np.where(flag, np.arange(n), n)
    idx = np.minimum.accumulate(idx[::-1])[::-1] if n else idx
    valid = idx < n
    same = np.zeros(n, dtype=bool)
    same[valid] = event[idx[valid]] == event[valid]
    return np.where(same, idx, -1)


def _first_per_event(rows: Ints, event: Ints) -> Ints:
    """Of ``rows`` (sorted indexes), the first one of each event."""
    if len(rows) == 0:
        return rows
    _, first = np.unique(event[rows], return_index=True)
    return rows[first]


def _quantiles(values: Floats) -> tuple[float | None, float | None]:
    if len(values) == 0:
        return None, None
    q50, q90 = np.percentile(values, [50, 90])
    return round(float(q50) / HOUR, 3), round(float(q90) / HOUR, 3)


def scorecards(
    frames: Frames,
    by: str,
    start: float,
    end: float,
    weights: ScoreWeights | None = None,
) -> list[Scorecard]:
    """One scorecard per group, best composite score first (groups without a score last)."""
    weights = weights or ScoreWeights()
    ev, tl = frames.events, frames.timeline
    in_cohort = (ev.created >= start) & (ev.created < end)
    event_key: Strs = ev.key(by)
    keys = sorted({str(k) for k in event_key[in_cohort] if k})
    if by == "department":
        returners = tl.unit[(tl.action == "return") & in_cohort[tl.event]]
        keys = sorted(set(keys) | {str(u) for u in returners if u})
    cards = {k: Scorecard(key=k) for k in keys}
    if not cards:
        return []
    index = {k: i for i, k in enumerate(keys)}
    n_groups = len(keys)
    group_of_event = np.array([index.get(str(k), -1) for k in event_key], dtype=np.int64)

    row_in = in_cohort[tl.event] if len(tl) else np.zeros(0, dtype=bool)
    row_group = group_of_event[tl.event] if len(tl) else np.zeros(0, dtype=np.int64)
    act = tl.action

    def events_with(action_mask: np.ndarray) -> Ints:
        """Per group: how many cohort events have at least one such row."""
        rows = np.flatnonzero(action_mask & row_in)
        evs = np.unique(tl.event[rows])
        g = group_of_event[evs]
        return np.bincount(g[g >= 0], minlength=n_groups)

    def count_rows(action_mask: np.ndarray, group: Ints | None = None) -> Ints:
        g = (row_group if group is None else group)[action_mask & row_in]
        return np.bincount(g[g >= 0], minlength=n_groups)

    received = np.bincount(group_of_event[in_cohort & (group_of_event >= 0)], minlength=n_groups)

    # time to accept: first accept − the latest dispatch before it; on time: ≤ that accept_by
    last_dispatch = _ffill_index(act == "dispatch", tl.event)
    accepts = _first_per_event(np.flatnonzero((act == "accept") & row_in), tl.event)
    accepts = accepts[last_dispatch[accepts] >= 0]
    accept_wait = tl.at[accepts] - tl.at[last_dispatch[accepts]]
    accept_due = tl.accept_by[last_dispatch[accepts]]
    accept_ok = ~np.isnan(accept_due) & (tl.at[accepts] <= accept_due)
    # time to dispose: first resolve − the latest dispatch before it; on time from its payload
    resolves = _first_per_event(np.flatnonzero((act == "resolve") & row_in), tl.event)
    has_dispatch = last_dispatch[resolves] >= 0
    dispose_wait = tl.at[resolves[has_dispatch]] - tl.at[last_dispatch[resolves[has_dispatch]]]
    resolve_ok = tl.on_time[resolves] == 1.0

    overdue = act == "overdue"
    escalated = events_with((act == "escalate") | overdue)
    returns_group = row_group.copy()
    if by == "department" and len(tl):
        units, inverse = np.unique(tl.unit, return_inverse=True)
        unit_group = np.array([index.get(str(u), -1) for u in units], dtype=np.int64)
        returns_group = np.where(tl.unit != "", unit_group[inverse], row_group)
    is_return = act == "return"

    # anti-gaming 1: a reopen whose previous line (same event) is a rate ≤ LOW
    prev_same = np.zeros(len(tl), dtype=bool)
    prev_same[1:] = tl.event[1:] == tl.event[:-1]
    prev_low = np.zeros(len(tl), dtype=bool)
    prev_low[1:] = (act[:-1] == "rate") & (tl.score[:-1] <= LOW)
    low_reopen = (act == "reopen") & prev_same & prev_low
    # anti-gaming 2: events returned more than once, against each unit (or territory) returning
    n_returns = np.bincount(tl.event[is_return], minlength=len(ev)) if len(tl) else np.zeros(0)
    bounced_rows = np.flatnonzero(is_return & row_in & (n_returns[tl.event] > 1))
    pairs = {(int(tl.event[r]), int(returns_group[r])) for r in bounced_rows}
    bounced = np.bincount(
        np.array([g for _, g in pairs if g >= 0], dtype=np.int64), minlength=n_groups
    )
    # anti-gaming 3: suspensions and the time they held, until the next resume or ``end``
    is_suspend = act == "suspend"
    next_resume = _bfill_index(act == "resume", tl.event)
    s_rows = np.flatnonzero(is_suspend & row_in)
    until = np.where(next_resume[s_rows] >= 0, tl.at[np.maximum(next_resume[s_rows], 0)], end)
    held = np.clip(until - tl.at[s_rows], 0.0, None)
    s_group = row_group[s_rows]
    suspended = np.bincount(s_group[s_group >= 0], weights=held[s_group >= 0], minlength=n_groups)

    # reports: duplicates are those that joined an existing event (link_report lines)
    rp = frames.reports
    rp_group = np.where(rp.event >= 0, group_of_event[np.maximum(rp.event, 0)], -1)
    rp_in = (rp.event >= 0) & in_cohort[np.maximum(rp.event, 0)] & (rp_group >= 0)
    reports_n = np.bincount(rp_group[rp_in], minlength=n_groups)
    rt = frames.ratings
    rt_in = in_cohort[rt.event] & (group_of_event[rt.event] >= 0)
    rt_group = group_of_event[rt.event[rt_in]]
    rt_score = rt.score[rt_in]
    rated_events = np.unique(rt.event[rt_in])

    closed = events_with(act == "close")
    columns = {
        "received": received,
        "accepted": np.bincount(group_of_event[tl.event[accepts]], minlength=n_groups),
        "accepted_on_time": np.bincount(
            group_of_event[tl.event[accepts[accept_ok]]], minlength=n_groups
        ),
        "resolved": np.bincount(group_of_event[tl.event[resolves]], minlength=n_groups),
        "disposed_on_time": np.bincount(
            group_of_event[tl.event[resolves[resolve_ok]]], minlength=n_groups
        ),
        "overdue": events_with(overdue),
        "overdue_accept": events_with(overdue & (tl.phase == "accept")),
        "overdue_dispose": events_with(overdue & (tl.phase == "dispose")),
        "escalated": escalated,
        "returns": count_rows(is_return, returns_group),
        "closed": closed,
        "reopened": events_with(act == "reopen"),
        "reports": reports_n,
        "duplicate_reports": count_rows(act == "link_report"),
        "verified": events_with(act == "verify"),
        "ratings": np.bincount(rt_group, minlength=n_groups),
        "rated_events": np.bincount(group_of_event[rated_events], minlength=n_groups),
    }
    gaming = {
        "reopened_by_low_rating": count_rows(low_reopen),
        "bounced_returns": bounced,
        "suspensions": count_rows(is_suspend),
    }
    accept_group = group_of_event[tl.event[accepts]]
    dispose_group = group_of_event[tl.event[resolves[has_dispatch]]]
    for k, i in index.items():
        card = cards[k]
        for name, values in columns.items():
            setattr(card, name, int(values[i]))
        for name, values in gaming.items():
            setattr(card.anti_gaming, name, int(values[i]))
        card.anti_gaming.suspended_hours = round(float(suspended[i]) / HOUR, 3)
        card.accept_hours_median, card.accept_hours_p90 = _quantiles(accept_wait[accept_group == i])
        card.dispose_hours_median, card.dispose_hours_p90 = _quantiles(
            dispose_wait[dispose_group == i]
        )
        card.accept_on_time_rate = _ratio(card.accepted_on_time, card.accepted)
        card.dispose_on_time_rate = _ratio(card.disposed_on_time, card.resolved)
        card.reopen_rate = _ratio(card.reopened, card.closed)
        card.duplicate_report_rate = _ratio(card.duplicate_reports, card.reports)
        card.verification_rate = _ratio(card.verified, card.resolved)
        card.rating_response_rate = _ratio(card.rated_events, card.closed)
        scores = rt_score[rt_group == i]
        if len(scores):
            card.rating_mean = round(float(scores.mean()), 4)
            card.low_rating_share = round(float((scores <= LOW).mean()), 4)
        card.score, card.score_parts = composite(card, weights)
    return rank(list(cards.values()), weights.shrinkage_events)
