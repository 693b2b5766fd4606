"""Load a validated city folder into a `City`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shapely.geometry import shape

from cityloop.city.check import inspect_folder
from cityloop.city.issues import ConfigIssue
from cityloop.city.model import (
    City,
    DemoUser,
    Department,
    EventClass,
    EventType,
    Jurisdiction,
    River,
)
from cityloop.city.read import ParsedFolder
from cityloop.city.schema import DEFAULT_HANDLING_LEVELS, JurisdictionsFile, TimeLimitSpec
from cityloop.domain.severity import Severity
from cityloop.domain.territory import JurisdictionChain

__all__ = ["CityConfigError", "load_city"]


class CityConfigError(Exception):
    """The city folder is invalid; `errors` lists every problem found."""

    def __init__(self, errors: list[ConfigIssue]) -> None:
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:50])
        more = f"\n  … and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"invalid city configuration ({len(errors)} errors):\n{shown}{more}")


def _limits(spec: dict[Severity, TimeLimitSpec]) -> dict[Severity, tuple[int, int]]:
    return {sev: (t.accept_minutes, t.dispose_minutes) for sev, t in spec.items()}


def _jurisdictions(collection: JurisdictionsFile, geoms: Any) -> dict[str, Jurisdiction]:
    props = [ft.properties for ft in collection.features]
    by_code = {pr.code: pr for pr in props}
    children: dict[str, list[str]] = {pr.code: [] for pr in props}
    for pr in props:
        if pr.parent_code is not None:
            children[pr.parent_code].append(pr.code)
    out = {}
    for pr, geom in zip(props, geoms, strict=True):
        path: dict[str, str] = {}
        node: str | None = pr.code
        while node is not None:
            path[by_code[node].level.value] = node
            node = by_code[node].parent_code
        out[pr.code] = Jurisdiction(
            code=pr.code,
            parent_code=pr.parent_code,
            level=pr.level,
            name_zh=pr.name_zh,
            name_en=pr.name_en,
            children=tuple(children[pr.code]),
            chain=JurisdictionChain(**path),
            geometry=geom,
        )
    return out


def _build(root: Path, p: ParsedFolder, geoms: Any) -> City:
    assert p.city is not None
    assert p.jurisdictions is not None
    assert p.departments is not None
    assert p.event_types is not None
    assert p.responsibilities is not None
    assert p.users is not None
    rivers = {}
    if p.rivers is not None:
        for ft in p.rivers.features:
            pr = ft.properties
            rivers[pr.id] = River(
                id=pr.id,
                name_zh=pr.name_zh,
                name_en=pr.name_en,
                downstream_id=pr.downstream_id,
                order=pr.order,
                geometry=shape(ft.geometry.model_dump()),
            )
    return City(
        code=p.city.code,
        name_zh=p.city.name_zh,
        name_en=p.city.name_en,
        timezone=p.city.timezone,
        default_language=p.city.default_language,
        root=root,
        center=p.city.center,
        jurisdictions=_jurisdictions(p.jurisdictions, geoms),
        departments={
            d.code: Department(d.code, d.name_zh, d.name_en, d.category)
            for d in p.departments.departments
        },
        event_classes={
            code: EventClass(code, c.name_zh, c.name_en, _limits(c.time_limits))
            for code, c in p.event_types.classes.items()
        },
        event_types={
            t.code: EventType(
                code=t.code,
                class_code=t.class_,
                name_zh=t.name_zh,
                name_en=t.name_en,
                board=t.board,
                default_severity=t.default_severity,
                keywords_zh=tuple(t.keywords_zh),
                keywords_en=tuple(t.keywords_en),
                time_limits=_limits(t.time_limits),
                merge_radius_m=t.merge_radius_m,
            )
            for t in p.event_types.types
        },
        users=[
            DemoUser(u.username, u.password, u.display_name, u.role, u.jurisdiction, u.department)
            for u in p.users.users
        ],
        rivers=rivers,
        responsibilities=dict(p.responsibilities.types),
        handling_levels={
            **DEFAULT_HANDLING_LEVELS,
            **p.responsibilities.handling_level_by_severity,
        },
    )


def load_city(path: Path) -> City:
    """Load the city folder at `path`; raise `CityConfigError` listing every problem if invalid."""
    root = Path(path).resolve()
    inspection = inspect_folder(root)
    if inspection.issues:
        raise CityConfigError(inspection.issues)
    return _build(root, inspection.parsed, inspection.geometries)
