"""Public disclosure (成效公示): aggregates only, for anyone, with no personal data.

Only counts, rates and codes leave this module: never a title, description, address, note,
name, phone, e-mail, user name or id, since free text can carry personal data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cityloop.evaluation.frames import Frames
from cityloop.evaluation.scorecard import Scorecard, scorecards

PUBLIC_FIELDS = (
    "received",
    "resolved",
    "closed",
    "accept_on_time_rate",
    "dispose_on_time_rate",
    "dispose_hours_median",
    "ratings",
    "rating_mean",
    "low_rating_share",
    "rating_response_rate",
    "reopen_rate",
)


def public_figures(card: Scorecard | None) -> dict[str, Any]:
    if card is None:
        card = Scorecard(key="")
    return {name: getattr(card, name) for name in PUBLIC_FIELDS}


def top_problems(
    frames: Frames, level: str, code: str, start: float, end: float, limit: int = 5
) -> list[dict[str, Any]]:
    """The most frequent types among the territory's events of the period and what was done:
    how many were resolved, verified on site and rated by the reporter."""
    ev, tl = frames.events, frames.timeline
    mask = (ev.created >= start) & (ev.created < end) & (ev.key(level) == code)
    mask &= ev.type_code != ""
    types, counts = np.unique(ev.type_code[mask], return_counts=True)
    order = np.lexsort((types, -counts))[:limit]
    row_in = mask[tl.event] if len(tl) else np.zeros(0, dtype=bool)

    def done(action: str, type_code: str) -> int:
        rows = row_in & (tl.action == action)
        evs = np.unique(tl.event[rows])
        return int((ev.type_code[evs] == type_code).sum())

    return [
        {
            "type_code": str(types[i]),
            "events": int(counts[i]),
            "resolved": done("resolve", str(types[i])),
            "verified": done("verify", str(types[i])),
            "rated": done("rate", str(types[i])),
        }
        for i in order
    ]


def disclosure(
    frames: Frames, level: str, code: str, children: list[str], start: float, end: float
) -> dict[str, Any]:
    """The territory's figures, its top problems, and each child street's figures."""
    mine = {c.key: c for c in scorecards(frames, level, start, end)}
    result: dict[str, Any] = {
        "code": code,
        "level": level,
        **public_figures(mine.get(code)),
        "top_problems": top_problems(frames, level, code, start, end),
    }
    if level == "district":
        streets = {c.key: c for c in scorecards(frames, "street", start, end)}
        result["streets"] = [
            {"code": s, **public_figures(streets.get(s))} for s in sorted(children)
        ]
    return result
