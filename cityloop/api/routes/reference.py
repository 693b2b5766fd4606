"""The city's reference data: jurisdictions, locating, departments, event types. Public."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Query

from cityloop.api.deps import ContainerDep, LangDep
from cityloop.api.schemas import (
    ChainOut,
    DepartmentOut,
    EventTypeOut,
    JurisdictionOut,
    LocateBatchOut,
    LocateIn,
    TreeNode,
)
from cityloop.api.views import name_in
from cityloop.city.model import City, Jurisdiction
from cityloop.domain.access import NotFound
from cityloop.domain.territory import JurisdictionChain, Level

router = APIRouter(tags=["reference"])

OUTSIDE = "outside jurisdiction"


def _jurisdiction_out(j: Jurisdiction, lang: str, geometry: bool) -> JurisdictionOut:
    geo: dict[str, Any] | None = None
    if geometry:
        geo = shapely.geometry.mapping(j.geometry)
    return JurisdictionOut(
        code=j.code,
        parent_code=j.parent_code,
        level=j.level.value,
        name=name_in(lang, j.name_zh, j.name_en),
        name_zh=j.name_zh,
        name_en=j.name_en,
        children=list(j.children),
        geometry=geo,
    )


@router.get("/jurisdictions", response_model=list[JurisdictionOut])
def list_jurisdictions(
    container: ContainerDep,
    lang: LangDep,
    level: Level | None = None,
    parent: str | None = None,
    geometry: bool = False,
) -> list[JurisdictionOut]:
    """Jurisdictions, filtered by level and/or parent code; geometry on request."""
    out = []
    for j in container.city.jurisdictions.values():
        if level is not None and j.level is not level:
            continue
        if parent is not None and j.parent_code != parent:
            continue
        out.append(_jurisdiction_out(j, lang, geometry))
    return out


@router.get("/jurisdictions/tree", response_model=TreeNode)
def jurisdiction_tree(
    container: ContainerDep,
    lang: LangDep,
    depth: Annotated[Level, Query(description="deepest level to include")] = Level.STREET,
    root: str | None = None,
) -> TreeNode:
    """The territory as a nested tree, down to ``depth`` (street by default)."""
    city = container.city
    start = city.jurisdiction_at(root) if root else city.city_jurisdiction
    return _tree(city, start, lang, depth)


def _tree(city: City, j: Jurisdiction, lang: str, depth: Level) -> TreeNode:
    children = []
    if j.level.depth < depth.depth:
        children = [_tree(city, city.jurisdictions[c], lang, depth) for c in j.children]
    return TreeNode(
        code=j.code,
        level=j.level.value,
        name=name_in(lang, j.name_zh, j.name_en),
        children=children,
    )


@router.get("/jurisdictions/{code}", response_model=JurisdictionOut)
def get_jurisdiction(
    code: str, container: ContainerDep, lang: LangDep, geometry: bool = True
) -> JurisdictionOut:
    j = container.city.jurisdictions.get(code)
    if j is None:
        raise NotFound(f"no jurisdiction with code '{code}'")
    return _jurisdiction_out(j, lang, geometry)


def _chain_out(chain: JurisdictionChain | None) -> ChainOut:
    if chain is None:
        return ChainOut(inside=False, detail=OUTSIDE)
    return ChainOut(inside=True, **chain.as_dict())


@router.get("/locate", response_model=ChainOut)
def locate(
    container: ContainerDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> ChainOut:
    """The chain of jurisdiction codes a point lies in, or an explicit "outside" answer."""
    return _chain_out(container.city.locator.locate(lon, lat))


@router.post("/locate", response_model=LocateBatchOut)
def locate_many(body: LocateIn, container: ContainerDep) -> LocateBatchOut:
    """Locate many points at once (vectorised)."""
    pts = np.asarray(body.points, dtype=np.float64)
    batch = container.city.locator.locate_many(pts[:, 0], pts[:, 1])
    return LocateBatchOut(
        results=[_chain_out(batch.chain(i)) for i in range(len(body.points))],
    )


@router.get("/departments", response_model=list[DepartmentOut])
def departments(container: ContainerDep, lang: LangDep) -> list[DepartmentOut]:
    return [
        DepartmentOut(
            code=d.code,
            name=name_in(lang, d.name_zh, d.name_en),
            name_zh=d.name_zh,
            name_en=d.name_en,
            category=str(d.category),
        )
        for d in container.city.departments.values()
    ]


@router.get("/event-types", response_model=list[EventTypeOut])
def event_types(container: ContainerDep, lang: LangDep) -> list[EventTypeOut]:
    return [
        EventTypeOut(
            code=t.code,
            class_code=t.class_code,
            name=name_in(lang, t.name_zh, t.name_en),
            name_zh=t.name_zh,
            name_en=t.name_en,
            board=str(t.board),
            default_severity=t.default_severity.value,
        )
        for t in container.city.event_types.values()
    ]
