"""The operations dashboard's reads: counts, the clustered map, overdue and recent changes.

Each call answers within the caller's territory (and department, for a handler), like the
event lists; a jurisdiction outside it is 404.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response

from cityloop.adapters.sql import views_dashboard as v
from cityloop.adapters.sql import views_map
from cityloop.api.deps import ContainerDep, LangDep, PrincipalDep
from cityloop.api.views import name_in
from cityloop.bootstrap import Container
from cityloop.domain.access import NotFound, Principal
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.lifecycle import OPEN_STATES, State
from cityloop.domain.severity import Severity

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


def _json(body: dict[str, Any]) -> Response:
    """Serialised by orjson at once (datetimes as RFC 3339): these bodies are large and hot."""
    return Response(orjson.dumps(body), media_type="application/json")


STATE_LABELS: dict[str, tuple[str, str]] = {
    "reported": ("已上报", "reported"),
    "triaged": ("已分类", "triaged"),
    "dispatched": ("已派遣", "dispatched"),
    "accepted": ("已受理", "accepted"),
    "in_progress": ("处置中", "in progress"),
    "resolved": ("已处置", "resolved"),
    "verified": ("已核查", "verified"),
    "closed": ("已结案", "closed"),
    "returned": ("已退回", "returned"),
    "suspended": ("已挂起", "suspended"),
    "cancelled": ("已作废", "cancelled"),
    "merged": ("已合并", "merged"),
}
_UNKNOWN = ("未定", "none")


def _labels(container: Container, by: str, key: str | None) -> tuple[str, str]:
    if key is None:
        return ("未分类", "unclassified") if by == "type" else ("未定位", "not located")
    if by == "type":
        etype = container.city.event_types.get(key)
        return (etype.name_zh, etype.name_en) if etype else (key, key)
    if by in ("district", "street"):
        j = container.city.jurisdictions.get(key)
        return (j.name_zh, j.name_en) if j else (key, key)
    if by == "severity":
        sev = Severity(key)
        return sev.label_zh, sev.label_en
    return STATE_LABELS.get(key, _UNKNOWN)


def _jurisdiction(container: Container, principal: Principal, code: str | None) -> str | None:
    """The level of ``code`` once it is known to lie in the caller's territory."""
    if code is None:
        return None
    j = container.city.jurisdictions.get(code)
    if j is None or not principal.covers(j.chain):
        raise NotFound(f"no jurisdiction '{code}' in your territory")
    return j.level.value


@router.get("/counts", response_class=Response)
def counts(
    container: ContainerDep,
    principal: PrincipalDep,
    by: Annotated[str, Query(pattern="^(type|state|district|street|severity)$")] = "type",
    jurisdiction: str | None = None,
    open: bool | None = None,
) -> Response:
    """Events in your territory counted by type, state, district, street or severity;
    optionally inside one jurisdiction, and only open (``true``) or ended (``false``) ones."""
    level = _jurisdiction(container, principal, jurisdiction)
    counted = v.count_events(container.engine, principal, by, level, jurisdiction, open)
    groups = []
    for key, n in counted.groups:
        zh, en = _labels(container, by, key)
        groups.append({"key": key, "label_zh": zh, "label_en": en, "count": n})
    return _json(
        {
            "total": counted.total,
            "by": by,
            "jurisdiction": jurisdiction or principal.jurisdiction,
            "open": open,
            "groups": groups,
            "how": counted.how,
        }
    )


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise InvalidCommand("bbox must be four numbers: minlon,minlat,maxlon,maxlat") from None
    if len(parts) != 4:
        raise InvalidCommand("bbox must be four numbers: minlon,minlat,maxlon,maxlat")
    min_lon, min_lat, max_lon, max_lat = parts
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise InvalidCommand(
            "bbox needs -180 ≤ minlon < maxlon ≤ 180 and -90 ≤ minlat < maxlat ≤ 90"
        )
    return min_lon, min_lat, max_lon, max_lat


def _states(values: list[str] | None) -> tuple[str, ...]:
    wanted = [s for value in values or () for s in value.split(",") if s]
    if not wanted:
        return OPEN_STATES
    if wanted == ["all"]:
        return ()
    known = {s.value for s in State}
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise InvalidCommand(f"unknown state(s): {', '.join(unknown)}; known: {sorted(known)}")
    return tuple(dict.fromkeys(wanted))


@router.get("/map", response_class=Response)
def map_layer(
    container: ContainerDep,
    principal: PrincipalDep,
    bbox: str,
    zoom: Annotated[int, Query(ge=0, le=22)] = 12,
    layer: Annotated[str, Query(pattern="^(events|heat)$")] = "events",
    state: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """Events of your territory in a viewport, clustered on a grid whose cells shrink as you
    zoom in; single events as well when the viewport holds at most 500."""
    box = _bbox(bbox)
    states = _states(state)
    view = views_map.map_view(container.engine, principal, box, zoom, states)
    return _json(
        {
            "layer": layer,
            "zoom": zoom,
            "cell_deg": view.cell_deg,
            "states": list(states) or "all",
            "total": view.total,
            "cells": view.cells,
            "points": view.points if layer == "events" else [],
            "how": f"events per grid cell of {view.cell_deg:.5f}° (about 64 px at zoom {zoom}); "
            f"single events only when the viewport holds ≤ {v.MAX_POINTS}",
        }
    )


def _with_labels(
    container: Container, items: list[dict[str, Any]], lang: str
) -> list[dict[str, Any]]:
    for item in items:
        etype = container.city.event_types.get(item["type_code"] or "")
        item["type_name"] = name_in(lang, etype.name_zh, etype.name_en) if etype else None
        zh, en = STATE_LABELS.get(item["state"], _UNKNOWN)
        item["state_name"] = name_in(lang, zh, en)
    return items


@router.get("/overdue", response_class=Response)
def overdue(
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """督办: overdue (red) then nearly due (yellow) events of your territory, most overdue
    first, each with the deadline that runs and by how many seconds it is passed."""
    now = container.clock.now()
    items = v.overdue(container.engine, principal, now, limit)
    return _json({"at": now, "items": _with_labels(container, items, lang)})


@router.get("/stream-recent", response_class=Response)
def stream_recent(
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """The latest changed events of your territory, newest change first (the live stream's
    first paint)."""
    items = v.recent_changes(container.engine, principal, limit)
    return _json({"items": _with_labels(container, items, lang)})
