"""What a report shows, read from the database for one territory and period.

Every figure comes from the evaluation module (scorecards, trends, hot spots, priorities,
emerging complaints) over the same reads as the API, so the report and the API agree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from cityloop.adapters.sql.views_emerging import load_uncertain_reports
from cityloop.adapters.sql.views_evaluation import Scope, load_frames
from cityloop.city import City
from cityloop.dispatch.classify.corpus import corpus_path, read_corpus
from cityloop.domain.territory import Level
from cityloop.evaluation.demand import (
    hotspots,
    priorities,
    report_place,
    report_types,
    trends,
)
from cityloop.evaluation.disclosure import public_figures
from cityloop.evaluation.emerging import emerging
from cityloop.evaluation.frames import Frames
from cityloop.evaluation.scorecard import LOW, Scorecard, scorecards

PERIODS = {"week": timedelta(days=7), "month": timedelta(days=30)}
CHILD_LEVEL = {"city": "district", "district": "street"}


@dataclass
class ReportData:
    code: str
    name_zh: str
    name_en: str
    level: str
    period: str
    start: datetime
    end: datetime
    summary: dict[str, Any]
    days: list[str]
    current_per_day: list[int]
    previous_per_day: list[int]
    by_type: list[dict[str, Any]]
    departments: list[Scorecard]
    children: list[tuple[str, str, Scorecard]]  # (code, name, card)
    child_level: str | None
    hotspot_summary: dict[str, Any]
    hotspots: list[dict[str, Any]]
    grid_counts: dict[str, int]
    grid_flagged: set[str]
    priorities: list[dict[str, Any]]
    emerging: list[dict[str, Any]] = field(default_factory=list)


def _as_one_group(frames: Frames, code: str) -> Frames:
    """The frames with every event in one group ``code`` (the district column), so that a
    scorecard of the whole territory can be computed whatever its level."""
    ev = frames.events
    one = np.full(len(ev), code, dtype=object)
    return dataclasses.replace(frames, events=dataclasses.replace(ev, district=one))


def _type_name(city: City, code: str) -> str:
    etype = city.event_types.get(code)
    return f"{etype.name_zh} {etype.name_en}" if etype else code


def gather(
    engine: Engine, city: City, territory: str, period: str, end: datetime, progress: Any = None
) -> ReportData:
    """Everything the report shows; ``progress(step)`` is called after each part."""
    place = city.jurisdictions.get(territory)
    if place is None or place.level not in (Level.CITY, Level.DISTRICT, Level.STREET):
        raise ValueError(f"no city, district or street with the code {territory!r}")
    step = progress or (lambda _name: None)
    length = PERIODS[period]
    start = end - length
    level = place.level.value
    scope = Scope(level, place.code)
    frames = load_frames(engine, start - length, end, scope)
    s, e = start.timestamp(), end.timestamp()
    step("read")

    whole = scorecards(_as_one_group(frames, place.code), "district", s, e)
    summary = public_figures(whole[0] if whole else None)
    departments = scorecards(frames, "department", s, e)
    child_level = CHILD_LEVEL.get(level)
    children: list[tuple[str, str, Scorecard]] = []
    if child_level:
        for card in scorecards(frames, child_level, s, e):
            j = city.jurisdictions.get(card.key)
            children.append((card.key, j.name_zh if j else card.key, card))
    step("scorecards")

    received = frames.reports.received
    n_days = length.days
    day = 86_400.0
    cur = received[(received >= s) & (received < e)]
    prev = received[(received >= s - length.total_seconds()) & (received < s)]
    current_per_day = np.bincount(((cur - s) // day).astype(np.int64), minlength=n_days)[:n_days]
    previous_per_day = np.bincount(
        ((prev - (s - length.total_seconds())) // day).astype(np.int64), minlength=n_days
    )[:n_days]
    days = [(start + timedelta(days=i)).strftime("%m-%d") for i in range(n_days)]

    types = report_types(frames)
    here = np.full(len(types), place.code, dtype=object)
    trend_rows = trends(types, here, received, s, e)
    by_type = [
        {
            "type_code": tr.type_code,
            "name": _type_name(city, tr.type_code),
            "current": tr.current,
            "previous": tr.previous,
            "p_value": tr.p_value,
            "rising": tr.rising,
        }
        for tr in sorted(trend_rows, key=lambda x: (-x.current, x.type_code))
    ]
    ev, rt = frames.events, frames.ratings
    in_period = (ev.created >= s) & (ev.created < e)
    low: dict[tuple[str, str], tuple[int, int]] = {}
    for i, score in zip(rt.event, rt.score, strict=True):
        if in_period[i]:
            n, k = low.get((str(ev.type_code[i]), place.code), (0, 0))
            low[(str(ev.type_code[i]), place.code)] = (n + 1, k + int(score <= LOW))
    prio = [
        {**p.as_dict(), "name": _type_name(city, p.type_code)}
        for p in priorities(trend_rows, low)[:10]
    ]
    step("trends")

    grids = report_place(frames, "grid")
    current_reports = (received >= s) & (received < e) & (grids != "")
    universe = [
        c for c in city.descendants(place.code) if city.jurisdictions[c].level is Level.GRID
    ]
    counts = dict.fromkeys(universe, 0)
    for g in grids[current_reports]:
        counts[str(g)] = counts.get(str(g), 0) + 1
    hs_summary, spots = hotspots(counts)
    flagged = {h.grid for h in spots if h.poisson_flag or h.above_2_sigma}
    spot_rows = [
        {
            "grid": h.grid,
            "name": city.jurisdictions[h.grid].name_zh if h.grid in city.jurisdictions else "",
            "reports": h.reports,
            "z": h.z,
            "p_value": h.p_value,
            "flagged": h.grid in flagged,
        }
        for h in spots[:10]
    ]
    step("hot spots")

    uncertain = load_uncertain_reports(engine, start - length, end, scope)
    path = corpus_path(city.root)
    background = [r.text for r in read_corpus(path)] if path.exists() else []
    _, clusters = emerging(
        uncertain.text,
        uncertain.received,
        uncertain.street,
        uncertain.lon,
        uncertain.lat,
        uncertain.suggested,
        s,
        e,
        names=uncertain.names,
        background=background,
    )
    step("emerging")
    return ReportData(
        code=place.code,
        name_zh=place.name_zh,
        name_en=place.name_en,
        level=level,
        period=period,
        start=start,
        end=end,
        summary=summary,
        days=days,
        current_per_day=[int(x) for x in current_per_day],
        previous_per_day=[int(x) for x in previous_per_day],
        by_type=by_type,
        departments=departments,
        children=children,
        child_level=child_level,
        hotspot_summary=hs_summary,
        hotspots=spot_rows,
        grid_counts=counts,
        grid_flagged=flagged,
        priorities=prio,
        emerging=[c.as_dict() for c in clusters[:5]],
    )
