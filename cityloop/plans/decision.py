"""Decision support (explainable): exposure, nearest resources and a comparison of a plan's levels.

Pure computation with NumPy on the city's address table (`addresses.csv`) and resource registry
(`resources.csv`). Every figure carries a `how` saying how it was computed:

- **Exposed sites**: the places of the address table of kind `school`, `hospital` and
  `elderly_home` whose great-circle (haversine) distance to the point is at most the radius. A
  kind the city's table lacks is reported as such (count null, said in the output), never
  invented.
- **Population (estimate)**: the demo city has no population data. Residential addresses within
  the radius are counted: each house number stands for `HOUSEHOLDS_PER_HOUSE_NUMBER` households and
  each residential compound for `HOUSEHOLDS_PER_COMPOUND` more, each household of
  `PERSONS_PER_HOUSEHOLD` persons. All three are assumptions, stated in the output.
- **Nearest resources**: available resources (registry status `available` and not held by an
  active activation), quickest first by the city's travel model (`cityloop.plans.travel`: the
  fastest path over the road graph when the city has `roads.geojson`, else the straight line at
  `URBAN_SPEED_KMH`); ETA = that travel time.
- **Courses of action**: each response level IV → I of the plan; the units its tasks need (per
  type, the summed counts) are matched to the nearest available units of that type. Parts:
  `mean_eta_min` (mean ETA of the matched units), `share_within_30min` (units within
  `ETA_TARGET_MIN` ÷ units needed), `coverage` (share of exposed sites within
  `TEAM_COVER_RADIUS_M` of a dispatched team or vehicle, placed greedily at exposed sites) and
  `score = 0.4·timeliness + 0.3·share_within_30min + 0.3·coverage`, with
  `timeliness = max(0, 1 − mean_eta_min / ETA_TARGET_MIN)` (0 when no unit is available).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from cityloop.dispatch.address.schema import ADDRESSES_FILE, read_address_rows
from cityloop.plans.resources import RESOURCE_TYPES, ResourceRegistry, haversine_m
from cityloop.plans.schema import PlanFile
from cityloop.plans.travel import StraightLine, TravelModel

#: Travel speed assumed for every resource in town (km/h), great-circle distance.
URBAN_SPEED_KMH = 30.0
#: Arrival target for `share_within_30min` and `timeliness` (minutes).
ETA_TARGET_MIN = 30.0
#: A dispatched team or vehicle covers the exposed sites within this distance of where it works.
TEAM_COVER_RADIUS_M = 500.0
#: Population estimate (assumptions, no population data in the city).
PERSONS_PER_HOUSEHOLD = 2.5
HOUSEHOLDS_PER_HOUSE_NUMBER = 4
HOUSEHOLDS_PER_COMPOUND = 100
#: Key site kinds looked for, and those the address table may lack.
SITE_KINDS = ("school", "hospital", "elderly_home")
SCORE_WEIGHTS = {"timeliness": 0.4, "share_within_30min": 0.3, "coverage": 0.3}
LEVEL_ORDER = ("IV", "III", "II", "I")
HAVERSINE = "great-circle (haversine) distance on a sphere of radius 6,371,008.8 m"

FORMULA = (
    "score = 0.4 × timeliness + 0.3 × share_within_30min + 0.3 × coverage, where timeliness = "
    "max(0, 1 − mean_eta_min / 30) (0 when no needed unit is available); higher is better"
)


def eta_min(distance_m: float) -> float:
    """Minutes to cover `distance_m` in a straight line at `URBAN_SPEED_KMH`."""
    return distance_m / (URBAN_SPEED_KMH * 1000.0 / 60.0)


@dataclass(frozen=True)
class Places:
    """The address table's columns needed here."""

    codes: list[str]
    kinds: np.ndarray[Any, Any]
    names_zh: list[str]
    names_en: list[str]
    lon: np.ndarray[Any, Any]
    lat: np.ndarray[Any, Any]


@lru_cache(maxsize=4)
def load_places(root: Path) -> Places:
    path = root / ADDRESSES_FILE
    if not path.exists():
        empty = np.zeros(0)
        return Places([], np.array([], dtype=str), [], [], empty, empty)
    header, rows = read_address_rows(path)
    col = {name: k for k, name in enumerate(header)}

    def column(name: str) -> list[str]:
        return [r[col[name]] for r in rows]

    return Places(
        codes=column("code"),
        kinds=np.array(column("kind")),
        names_zh=column("name_zh"),
        names_en=column("name_en"),
        lon=np.array(column("lon"), dtype=np.float64),
        lat=np.array(column("lat"), dtype=np.float64),
    )


def _exposure(places: Places, lon: float, lat: float, radius_m: float) -> dict[str, Any]:
    dist = haversine_m(lon, lat, places.lon, places.lat) if places.codes else np.zeros(0)
    inside = dist <= radius_m
    sites: dict[str, Any] = {}
    site_rows: list[tuple[float, float]] = []
    present = set(places.kinds.tolist())
    for kind in SITE_KINDS:
        if kind not in present:
            sites[kind] = {
                "count": None,
                "items": [],
                "how": f"the city's address table has no places of kind '{kind}': not reported",
            }
            continue
        idx = np.flatnonzero(inside & (places.kinds == kind))
        idx = idx[np.argsort(dist[idx], kind="stable")]
        sites[kind] = {
            "count": int(idx.size),
            "items": [
                {
                    "code": places.codes[i],
                    "name_zh": places.names_zh[i],
                    "name_en": places.names_en[i],
                    "lon": float(places.lon[i]),
                    "lat": float(places.lat[i]),
                    "distance_m": round(float(dist[i]), 1),
                }
                for i in idx
            ],
            "how": f"address-table places of kind '{kind}' within {radius_m:g} m ({HAVERSINE}), "
            "nearest first",
        }
        site_rows += [(float(places.lon[i]), float(places.lat[i])) for i in idx]
    houses = int(np.count_nonzero(inside & (places.kinds == "house")))
    compounds = int(np.count_nonzero(inside & (places.kinds == "compound")))
    households = houses * HOUSEHOLDS_PER_HOUSE_NUMBER + compounds * HOUSEHOLDS_PER_COMPOUND
    population = {
        "estimate": round(households * PERSONS_PER_HOUSEHOLD),
        "is_estimate": True,
        "house_numbers": houses,
        "compounds": compounds,
        "households": households,
        "how": (
            f"ESTIMATE (the city has no population data): ({houses} house numbers × "
            f"{HOUSEHOLDS_PER_HOUSE_NUMBER} households + {compounds} residential compounds × "
            f"{HOUSEHOLDS_PER_COMPOUND} households) × {PERSONS_PER_HOUSEHOLD} persons per "
            f"household, counting address-table rows within {radius_m:g} m. Assumptions: "
            f"{HOUSEHOLDS_PER_HOUSE_NUMBER} households behind each house number, "
            f"{HOUSEHOLDS_PER_COMPOUND} per compound, {PERSONS_PER_HOUSEHOLD} persons per "
            "household (about Chongqing's average household size)"
        ),
    }
    return {"sites": sites, "population": population, "_site_points": site_rows}


def _unit(registry: ResourceRegistry, i: int, distance: float, minutes: float) -> dict[str, Any]:
    r = registry.rows[i]
    return {
        "id": r.id,
        "name_zh": r.name_zh,
        "name_en": r.name_en,
        "type": r.type,
        "category": r.category,
        "department": r.department,
        "distance_m": round(distance, 1),
        "eta_min": round(minutes, 2),
    }


class _Nearest:
    """Available resources by type, sorted by travel time to the point."""

    def __init__(
        self,
        registry: ResourceRegistry,
        lon: float,
        lat: float,
        held: set[str],
        travel: TravelModel,
    ):
        self.registry = registry
        rows = registry.rows
        self.by_type: dict[str, list[tuple[int, float, float]]] = {}
        if not rows:
            return
        lons, lats = [r.lon for r in rows], [r.lat for r in rows]
        dist = haversine_m(lon, lat, lons, lats)
        minutes = travel.minutes(lon, lat, lons, lats)
        for i in np.argsort(minutes, kind="stable"):
            r = rows[int(i)]
            if r.status == "available" and r.id not in held:
                self.by_type.setdefault(r.type, []).append(
                    (int(i), float(dist[i]), float(minutes[i]))
                )

    def take(self, type: str, n: int) -> list[dict[str, Any]]:
        return [_unit(self.registry, i, d, m) for i, d, m in self.by_type.get(type, [])[:n]]


def _coverage(sites: list[tuple[float, float]], teams: int) -> tuple[float, int]:
    """Greedy maximum coverage: each team in turn works at the exposed site covering the most
    still-uncovered sites within `TEAM_COVER_RADIUS_M`. Returns (share covered, sites covered)."""
    if not sites:
        return 1.0, 0
    lons = np.array([s[0] for s in sites])
    lats = np.array([s[1] for s in sites])
    near = np.stack([haversine_m(x, y, lons, lats) <= TEAM_COVER_RADIUS_M for x, y in sites])
    covered = np.zeros(len(sites), dtype=bool)
    for _ in range(teams):
        gains = (near & ~covered).sum(axis=1)
        best = int(np.argmax(gains))
        if gains[best] == 0:
            break
        covered |= near[best]
    n = int(covered.sum())
    return n / len(sites), n


def _course(
    plan: PlanFile, grade: str, nearest: _Nearest, sites: list[Any], travel: TravelModel
) -> dict[str, Any]:
    spec = plan.level(grade)
    assert spec is not None
    needed: dict[str, int] = {}
    for task in spec.tasks:
        for need in task.resources:
            needed[need.type] = needed.get(need.type, 0) + need.count
    units: list[dict[str, Any]] = []
    per_type = []
    for type, count in sorted(needed.items()):
        got = nearest.take(type, count)
        units += got
        per_type.append({"type": type, "needed": count, "available": len(got), "units": got})
    total = sum(needed.values())
    etas = [u["eta_min"] for u in units]
    mean_eta = float(np.mean(etas)) if etas else None
    within = sum(e <= ETA_TARGET_MIN for e in etas)
    share = within / total if total else 1.0
    teams = sum(RESOURCE_TYPES.get(u["type"]) in ("team", "vehicle") for u in units)
    coverage, covered = _coverage(sites, teams)
    timeliness = max(0.0, 1.0 - mean_eta / ETA_TARGET_MIN) if mean_eta is not None else 0.0
    w = SCORE_WEIGHTS
    score = (
        w["timeliness"] * timeliness + w["share_within_30min"] * share + w["coverage"] * coverage
    )
    return {
        "level": grade,
        "departments": sorted({t.department for t in spec.tasks}),
        "tasks": [t.id for t in spec.tasks],
        "units_needed": total,
        "resources": per_type,
        "mean_eta_min": round(mean_eta, 2) if mean_eta is not None else None,
        "share_within_30min": round(share, 4),
        "teams_dispatched": teams,
        "sites_covered": covered,
        "coverage": round(coverage, 4),
        "timeliness": round(timeliness, 4),
        "score": round(score, 4),
        "how": {
            "resources": "per needed type, the summed counts of the level's tasks, matched to "
            "the nearest available units of that type (fewer when fewer are available)",
            "mean_eta_min": f"mean of the matched units' ETA ({travel.how})",
            "share_within_30min": f"{within} units with ETA ≤ {ETA_TARGET_MIN:g} min / "
            f"{total} units needed",
            "coverage": f"{covered} of {len(sites)} exposed sites within "
            f"{TEAM_COVER_RADIUS_M:g} m of one of the {teams} dispatched teams and vehicles, "
            "each placed in turn at the exposed site covering the most uncovered sites "
            "(greedy maximum coverage; 1 when there is no exposed site)",
            "score": FORMULA,
        },
    }


def decision_support(
    *,
    lon: float,
    lat: float,
    radius_m: float,
    places: Places,
    registry: ResourceRegistry,
    held: set[str],
    plan: PlanFile | None,
    travel: TravelModel | None = None,
) -> dict[str, Any]:
    """Exposure around (lon, lat), the nearest available resources and the plan's levels
    compared; see the module's docstring for every method."""
    exposure = _exposure(places, lon, lat, radius_m)
    site_points = exposure.pop("_site_points")
    travel = travel or StraightLine(URBAN_SPEED_KMH)
    nearest = _Nearest(registry, lon, lat, held, travel)
    resources = {t: nearest.take(t, 3) for t in sorted(nearest.by_type)}
    courses = (
        [_course(plan, g, nearest, site_points, travel) for g in LEVEL_ORDER if plan.level(g)]
        if plan is not None
        else []
    )
    best = max(courses, key=lambda c: c["score"], default=None)
    return {
        "point": {"lon": lon, "lat": lat},
        "radius_m": radius_m,
        **exposure,
        "nearest_resources": {
            "by_type": resources,
            "travel": travel.kind,
            "how": "the 3 quickest-to-arrive available resources of each type (registry status "
            f"'available', not held by an active plan activation); distance_m: {HAVERSINE}; "
            f"eta_min: {travel.how}",
        },
        "plan_id": plan.id if plan is not None else None,
        "courses_of_action": courses,
        "best_level": best["level"] if best is not None else None,
        "how": {
            "courses_of_action": "each response level IV → I of the plan triggered by the "
            "event type, its task set scored by " + FORMULA,
            "best_level": "the level with the highest score (the first on a tie); advice only: "
            "the conditions and the authority of the level decide an activation",
        },
    }
