"""Evaluation: scorecards, demand analysis (authenticated, scoped) and public disclosure.

Paths carry their full prefix: the router is included without one, since the disclosure page
lives outside ``/api/v1`` (no login).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query

from cityloop.adapters.sql.views_evaluation import Scope, load_frames
from cityloop.api.deps import ContainerDep, PrincipalDep
from cityloop.bootstrap import Container
from cityloop.domain.access import NotFound, Principal, Role
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.territory import Level
from cityloop.evaluation.composite import ScoreWeights, describe
from cityloop.evaluation.demand import (
    PRIORITY_FORMULA,
    hotspots,
    priorities,
    repeated_places,
    report_place,
    report_types,
    trends,
)
from cityloop.evaluation.disclosure import disclosure
from cityloop.evaluation.scorecard import LOW, scorecards

router = APIRouter(tags=["evaluation"])
API = "/api/v1"
PERIODS = {"week": timedelta(days=7), "month": timedelta(days=30), "quarter": timedelta(days=91)}
FromQ = Annotated[datetime | None, Query(alias="from", description="Start (inclusive)")]
ToQ = Annotated[datetime | None, Query(alias="to", description="End (exclusive); default now")]


def _window(
    container: Container, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    end = end or container.clock.now()
    start = start or end - PERIODS["month"]
    if start >= end:
        raise InvalidCommand("'from' must be before 'to'")
    return start, end


def _scope(container: Container, principal: Principal, territory: str | None = None) -> Scope:
    """The caller's scope, narrowed to ``territory`` when given (404 when outside it)."""
    department = principal.department if principal.role is Role.DEPARTMENT_HANDLER else None
    if territory is None:
        if principal.citywide:
            return Scope(department=department)
        return Scope(principal.jurisdiction_level.value, principal.jurisdiction, department)
    place = container.city.jurisdictions.get(territory)
    if place is None or not principal.covers(place.chain):
        raise NotFound("no such territory")
    return Scope(place.level.value, place.code, department)


@router.get(f"{API}/scorecards")
def get_scorecards(
    container: ContainerDep,
    principal: PrincipalDep,
    by: Annotated[str, Query(pattern="^(department|district|street)$")] = "department",
    start: FromQ = None,
    end: ToQ = None,
) -> dict[str, Any]:
    """Scorecards of the events created in ``[from, to)`` in your scope, ranked by the composite
    score; the formula, weights and each card's parts come with them."""
    start, end = _window(container, start, end)
    frames = load_frames(container.engine, start, end, _scope(container, principal))
    weights = ScoreWeights()
    cards = scorecards(frames, by, start.timestamp(), end.timestamp(), weights)
    return {
        "by": by,
        "from": start,
        "to": end,
        "score": describe(weights),
        "items": [c.as_dict() for c in cards],
    }


@router.get(f"{API}/demand/hotspots")
def get_hotspots(
    container: ContainerDep,
    principal: PrincipalDep,
    start: FromQ = None,
    end: ToQ = None,
    type_code: str | None = None,
    territory: str | None = None,
    min_reports: Annotated[int, Query(ge=2, le=100)] = 3,
    radius_m: Annotated[float, Query(gt=0, le=5000)] = 100.0,
) -> dict[str, Any]:
    """Reports per grid (all the territory's grids, zeros included), grids flagged above
    mean + 2σ or by a Poisson tail test, and places with repeated reports of one type."""
    start, end = _window(container, start, end)
    scope = _scope(container, principal, territory)
    frames = load_frames(container.engine, start, end, scope)
    types, grids = report_types(frames), report_place(frames, "grid")
    keep = grids != ""
    if type_code:
        keep &= types == type_code
    root = scope.code or container.city.city_jurisdiction.code
    universe = [
        c
        for c in container.city.descendants(root)
        if container.city.jurisdictions[c].level is Level.GRID
    ]
    counts = dict.fromkeys(universe, 0)
    for g in grids[keep]:
        counts[str(g)] = counts.get(str(g), 0) + 1
    summary, spots = hotspots(counts)
    rp = frames.reports
    repeats = repeated_places(
        np.where(keep, types, ""), rp.lon, rp.lat, min_reports=min_reports, radius_m=radius_m
    )
    return {
        "from": start,
        "to": end,
        "grids": summary,
        "method": "flag: count > mean + 2σ over all grids; or Poisson(mean) tail P(X ≥ n) "
        "< 0.01 / grids (Bonferroni)",
        "items": [asdict(h) for h in spots],
        "repeated_places": [
            {k: v for k, v in asdict(r).items() if k != "report_indexes"} for r in repeats
        ],
    }


@router.get(f"{API}/demand/trends")
def get_trends(
    container: ContainerDep,
    principal: PrincipalDep,
    by: Annotated[str, Query(pattern="^(district|street)$")] = "district",
    start: FromQ = None,
    end: ToQ = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
) -> dict[str, Any]:
    """Reports per (type, territory) in ``[from, to)`` against the period of the same length
    before it, with a one-sided conditional binomial test of the rates."""
    start, end = _window(container, start, end)
    frames = load_frames(container.engine, start - (end - start), end, _scope(container, principal))
    rows = trends(
        report_types(frames),
        report_place(frames, by),
        frames.reports.received,
        start.timestamp(),
        end.timestamp(),
        alpha,
    )
    return {
        "by": by,
        "from": start,
        "to": end,
        "method": "current ~ Binomial(current + previous, 1/2) under equal rates; "
        "one-sided p-value; rising when p < alpha and current > previous",
        "items": [asdict(r) for r in rows],
    }


@router.get(f"{API}/demand/priorities")
def get_priorities(
    container: ContainerDep,
    principal: PrincipalDep,
    territory: str | None = None,
    start: FromQ = None,
    end: ToQ = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
) -> dict[str, Any]:
    """The territory's priority list: each problem type with how many reports, how fast they
    grow (with p-value) and how dissatisfied the ratings are, and why it ranks where it does."""
    start, end = _window(container, start, end)
    scope = _scope(container, principal, territory)
    code = scope.code or container.city.city_jurisdiction.code
    frames = load_frames(container.engine, start - (end - start), end, scope)
    types = report_types(frames)
    places = np.full(len(types), code, dtype=object)
    rows = trends(types, places, frames.reports.received, start.timestamp(), end.timestamp(), alpha)
    ev, rt = frames.events, frames.ratings
    current = (ev.created >= start.timestamp()) & (ev.created < end.timestamp())
    low: dict[tuple[str, str], tuple[int, int]] = {}
    for e, s in zip(rt.event, rt.score, strict=True):
        if current[e]:
            n, k = low.get((str(ev.type_code[e]), code), (0, 0))
            low[(str(ev.type_code[e]), code)] = (n + 1, k + int(s <= LOW))
    return {
        "territory": code,
        "from": start,
        "to": end,
        "formula": PRIORITY_FORMULA,
        "items": [p.as_dict() for p in priorities(rows, low)],
    }


@router.get("/public/disclosure", tags=["public"])
def public_disclosure(
    container: ContainerDep,
    territory: str,
    period: Annotated[str, Query(pattern="^(week|month|quarter)$")] = "month",
) -> dict[str, Any]:
    """成效公示, no login: a district's or street's volumes, on-time rates, satisfaction, top
    problems and what was done, over the last week / 30 days / 91 days. Aggregates only."""
    place = container.city.jurisdictions.get(territory)
    if place is None or place.level not in (Level.DISTRICT, Level.STREET):
        raise NotFound("no such district or street")
    end = container.clock.now()
    start = end - PERIODS[period]
    frames = load_frames(container.engine, start, end, Scope(place.level.value, place.code))
    body = disclosure(
        frames,
        place.level.value,
        place.code,
        list(place.children),
        start.timestamp(),
        end.timestamp(),
    )
    names = container.city.event_types
    for p in body["top_problems"]:
        etype = names.get(p["type_code"])
        p["name_zh"] = etype.name_zh if etype else None
        p["name_en"] = etype.name_en if etype else None
    for street in body.get("streets", []):
        j = container.city.jurisdictions[street["code"]]
        street["name_zh"], street["name_en"] = j.name_zh, j.name_en
    return {
        "name_zh": place.name_zh,
        "name_en": place.name_en,
        "period": period,
        "from": start,
        "to": end,
        **body,
    }
