"""Map layers the operations centre draws besides events: sensors by state, resources."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query

from cityloop.api.deps import ContainerDep, PrincipalDep
from cityloop.domain.errors import InvalidCommand

router = APIRouter(tags=["map"])

#: Above this many sensors in the viewport the answer is cells, not points.
MAX_POINTS = 1_500


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError as exc:
        raise InvalidCommand("bbox must be minlon,minlat,maxlon,maxlat (numbers)") from exc
    if len(parts) != 4 or parts[0] >= parts[2] or parts[1] >= parts[3]:
        raise InvalidCommand("bbox must be minlon,minlat,maxlon,maxlat with min < max")
    return parts[0], parts[1], parts[2], parts[3]


@router.get("/map/sensors")
def sensor_layer(
    container: ContainerDep,
    principal: PrincipalDep,
    bbox: str | None = None,
    cells: Annotated[int, Query(ge=4, le=200)] = 48,
) -> dict[str, Any]:
    """Sensors in your territory (and ``bbox``) by state: ``alarm`` (subject of an active
    warning), ``online`` (heard within 3 × its interval), ``offline`` (silent longer, or never
    heard). Points when there are at most 1,500, else a ``cells`` × ``cells`` grid of counts."""
    box = _bbox(bbox)
    if not container.telemetry.available:
        return {"total": 0, "points": [], "cells": [], "how": "this city has no sensors"}
    table = container.telemetry.engine.sensors
    lon, lat = np.asarray(table.lon), np.asarray(table.lat)
    keep = np.ones(len(table), dtype=bool)
    if box is not None:
        keep &= (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])
    if not principal.citywide:
        located = container.city.locator.locate_many(lon[keep], lat[keep])
        level = principal.jurisdiction_level
        codes = located.codes(level)
        index = np.asarray(located.index(level))
        mine = np.array([c == principal.jurisdiction for c in codes] + [False])
        inside = mine[np.where(index >= 0, index, len(codes))]
        sub = np.flatnonzero(keep)
        keep[:] = False
        keep[sub[inside]] = True
    now = container.clock.now().timestamp()
    heard = container.vitals.heard(now)
    online = heard if heard is not None else np.zeros(len(table), dtype=bool)
    with container.reader() as uow:
        active = uow.warnings.list(
            active=True, confirmation=None, district=None, street=None, limit=5_000
        )
    alarm = np.zeros(len(table), dtype=bool)
    for w in active:
        if w.subject in table.index:
            alarm[table.index[w.subject]] = True
    state = np.where(alarm, 2, np.where(online, 1, 0))
    names = ("offline", "online", "alarm")
    idx = np.flatnonzero(keep)
    out: dict[str, Any] = {
        "total": int(idx.size),
        "by_state": {n: int((state[idx] == k).sum()) for k, n in enumerate(names)},
        "how": "alarm: subject of an active warning; online: heard within 3 × its reporting "
        "interval; offline: otherwise",
    }
    if idx.size <= MAX_POINTS:
        out["points"] = [
            {
                "id": table.ids[i],
                "lon": float(lon[i]),
                "lat": float(lat[i]),
                "state": names[int(state[i])],
                "type": table.type_of(int(i)).value,
            }
            for i in idx
        ]
        out["cells"] = []
        return out
    x0, y0 = (box[0], box[1]) if box else (float(lon[idx].min()), float(lat[idx].min()))
    x1, y1 = (box[2], box[3]) if box else (float(lon[idx].max()), float(lat[idx].max()))
    cx = np.clip(((lon[idx] - x0) / max(x1 - x0, 1e-9) * cells).astype(int), 0, cells - 1)
    cy = np.clip(((lat[idx] - y0) / max(y1 - y0, 1e-9) * cells).astype(int), 0, cells - 1)
    key = cy * cells + cx
    grid: list[dict[str, Any]] = []
    for k in np.unique(key):
        members = idx[key == k]
        grid.append(
            {
                "lon": float(lon[members].mean()),
                "lat": float(lat[members].mean()),
                "count": int(members.size),
                "by_state": {n: int((state[members] == s).sum()) for s, n in enumerate(names)},
            }
        )
    out["cells"] = grid
    out["points"] = []
    return out


@router.get("/map/resources")
def resource_layer(container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Emergency resources of ``resources.csv`` in your territory, each with its place, type
    and availability (held by an active plan activation counts as ``assigned``)."""
    plans = container.plans
    rows = plans.registry.rows
    if not rows:
        return {"total": 0, "resources": []}
    held = plans.held()
    located = container.city.locator.locate_many([r.lon for r in rows], [r.lat for r in rows])
    out = []
    for i, r in enumerate(rows):
        chain = located.chain(i)
        if not (principal.covers(chain) if chain is not None else principal.citywide):
            continue
        out.append(
            {
                "id": r.id,
                "name_zh": r.name_zh,
                "name_en": r.name_en,
                "type": r.type,
                "category": r.category,
                "department": r.department,
                "lon": r.lon,
                "lat": r.lat,
                "capacity": r.capacity,
                "state": "assigned" if r.id in held else r.status,
            }
        )
    return {"total": len(out), "resources": out}
