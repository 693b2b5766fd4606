"""Demand analysis over reports: hot spots, rising trends, repeated places, priorities.

A report is one demand signal (a hotline call, an app report, a grid patrol's finding); its place
is its event's grid / territory, its type the report's type, else its event's type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from scipy.spatial import cKDTree

from cityloop.evaluation.frames import Frames, Ints, Strs

EARTH_M = 6_371_000.0


def report_types(frames: Frames) -> Strs:
    rp, ev = frames.reports, frames.events
    fallback = np.where(rp.event >= 0, ev.type_code[np.maximum(rp.event, 0)], "")
    return np.where(rp.type_code != "", rp.type_code, fallback)


def report_place(frames: Frames, level: str) -> Strs:
    """The grid / street / district code of each report (its event's), ``""`` if none."""
    rp, ev = frames.reports, frames.events
    column = {"grid": ev.grid, "street": ev.street, "district": ev.district}[level]
    if len(ev) == 0:
        return np.full(len(rp), "", dtype=object)
    return np.where(rp.event >= 0, column[np.maximum(rp.event, 0)], "")


@dataclass
class Hotspot:
    grid: str
    reports: int
    z: float | None
    p_value: float
    above_2_sigma: bool
    poisson_flag: bool


def hotspots(
    counts_by_grid: dict[str, int], alpha: float = 0.01
) -> tuple[dict[str, float], list[Hotspot]]:
    """Grids whose count stands out among all the grids given (zeros included).

    Two flags: ``above_2_sigma`` (count > mean + 2σ of the grid counts) and ``poisson_flag``
    (P(X ≥ count) under Poisson(mean) below ``alpha`` / number of grids, Bonferroni).
    """
    codes = list(counts_by_grid)
    counts = np.array([counts_by_grid[c] for c in codes], dtype=np.float64)
    if len(counts) == 0:
        return {"grids": 0, "mean": 0.0, "std": 0.0}, []
    mean, std = float(counts.mean()), float(counts.std())
    p = stats.poisson.sf(counts - 1, mean) if mean > 0 else np.ones_like(counts)
    out = [
        Hotspot(
            grid=code,
            reports=int(n),
            z=None if std == 0 else round((n - mean) / std, 3),
            p_value=float(pv),
            above_2_sigma=bool(n > mean + 2 * std),
            poisson_flag=bool(pv < alpha / len(codes)),
        )
        for code, n, pv in zip(codes, counts, p, strict=True)
        if n > 0
    ]
    out.sort(key=lambda h: (-h.reports, h.grid))
    return {"grids": len(codes), "mean": round(mean, 4), "std": round(std, 4)}, out


@dataclass
class Trend:
    type_code: str
    territory: str
    current: int
    previous: int
    change: float | None
    p_value: float
    rising: bool


def rate_test(
    current: int, previous: int, t_current: float = 1.0, t_previous: float = 1.0
) -> float:
    """One-sided p-value that the current Poisson rate exceeds the previous one.

    Conditional on the total n = current + previous, under equal rates ``current`` is
    Binomial(n, t_current / (t_current + t_previous)) (the conditional binomial test).
    """
    n = current + previous
    if n == 0:
        return 1.0
    share = t_current / (t_current + t_previous)
    return float(stats.binomtest(current, n, share, alternative="greater").pvalue)


def trends(
    types: Strs,
    places: Strs,
    received: np.ndarray,
    start: float,
    end: float,
    alpha: float = 0.05,
) -> list[Trend]:
    """Per (type, territory): reports in ``[start, end)`` against the period of the same length
    just before it, with the conditional binomial test; rising when p < alpha."""
    length = end - start
    cur = (received >= start) & (received < end)
    prev = (received >= start - length) & (received < start)
    keep = (cur | prev) & (types != "") & (places != "")
    pairs: dict[tuple[str, str], list[int]] = {}
    for t, p, c in zip(types[keep], places[keep], cur[keep], strict=True):
        pairs.setdefault((str(t), str(p)), [0, 0])[0 if c else 1] += 1
    out = []
    for (t, p), (c, q) in pairs.items():
        pv = rate_test(c, q)
        change = None if q == 0 else round((c - q) / q, 4)
        out.append(Trend(t, p, c, q, change, round(pv, 6), bool(pv < alpha and c > q)))
    out.sort(key=lambda x: (x.p_value, -x.current, x.type_code, x.territory))
    return out


@dataclass
class RepeatedPlace:
    type_code: str
    reports: int
    lon: float
    lat: float
    radius_m: float
    report_indexes: list[int] = field(default_factory=list)


def _metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Equirectangular projection to metres around the points' mean latitude (fine at city
    scale)."""
    lat0 = np.radians(np.nanmean(lat)) if len(lat) else 0.0
    x = np.radians(lon) * np.cos(lat0) * EARTH_M
    y = np.radians(lat) * EARTH_M
    return np.column_stack([x, y])


def repeated_places(
    types: Strs, lon: np.ndarray, lat: np.ndarray, min_reports: int = 3, radius_m: float = 100.0
) -> list[RepeatedPlace]:
    """Places with ≥ ``min_reports`` reports of one type within ``radius_m`` of a report.

    Greedy: the report with most same-type neighbours within the radius seeds a cluster of those
    neighbours; they are removed and the search repeats while a seed has enough neighbours.
    """
    out: list[RepeatedPlace] = []
    ok = ~np.isnan(lon) & ~np.isnan(lat) & (types != "")
    for t in sorted({str(x) for x in types[ok]}):
        idx: Ints = np.flatnonzero(ok & (types == t))
        pts = _metres(lon[idx], lat[idx])
        tree = cKDTree(pts)
        alive = np.ones(len(idx), dtype=bool)
        neighbours = tree.query_ball_point(pts, r=radius_m)
        while True:
            sizes = [int(alive[n].sum()) if alive[i] else 0 for i, n in enumerate(neighbours)]
            best = int(np.argmax(sizes)) if sizes else 0
            if not sizes or sizes[best] < min_reports:
                break
            members = [j for j in neighbours[best] if alive[j]]
            alive[members] = False
            out.append(
                RepeatedPlace(
                    type_code=t,
                    reports=len(members),
                    lon=round(float(lon[idx[best]]), 6),
                    lat=round(float(lat[idx[best]]), 6),
                    radius_m=radius_m,
                    report_indexes=sorted(int(idx[j]) for j in members),
                )
            )
    out.sort(key=lambda r: (-r.reports, r.type_code))
    return out


@dataclass
class Priority:
    type_code: str
    territory: str
    reports: int
    previous: int
    change: float | None
    p_value: float
    rising: bool
    ratings: int
    low_rating_share: float | None
    score: float
    why: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PRIORITY_FORMULA = (
    "priority = reports × (1 + 1·[rising, p < α]) × (1 + share of ratings ≤ 2 for that type "
    "and territory)"
)


def priorities(
    trend_rows: list[Trend], low_by: dict[tuple[str, str], tuple[int, int]]
) -> list[Priority]:
    """The priority list: how many, how fast growing (with p-value), how dissatisfied.

    ``low_by[(type, territory)]`` = (ratings, ratings ≤ 2) of that type's events there.
    """
    out = []
    for tr in trend_rows:
        if tr.current == 0:
            continue
        n_rt, n_low = low_by.get((tr.type_code, tr.territory), (0, 0))
        low = None if n_rt == 0 else round(n_low / n_rt, 4)
        score = tr.current * (2.0 if tr.rising else 1.0) * (1 + (low or 0.0))
        growth = "new this period" if tr.change is None else f"{tr.change:+.0%} vs previous"
        why = (
            f"{tr.current} reports ({tr.previous} the period before, {growth}, p={tr.p_value:.3g}"
            f"{', rising' if tr.rising else ''}); "
            + ("no ratings" if low is None else f"{n_low} of {n_rt} ratings ≤ 2 ({low:.0%})")
        )
        out.append(
            Priority(
                tr.type_code,
                tr.territory,
                tr.current,
                tr.previous,
                tr.change,
                tr.p_value,
                tr.rising,
                n_rt,
                low,
                round(score, 3),
                why,
            )
        )
    out.sort(key=lambda p: (-p.score, p.type_code))
    return out
