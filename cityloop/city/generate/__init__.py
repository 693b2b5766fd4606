"""Generate the demo city Yuzhou (渝州, code YZ) as a city folder, deterministically."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import Progress

from cityloop.city.extras import extra_writers
from cityloop.city.generate.names import (
    DISTRICTS,
    PlaceNames,
    community_name,
    grid_name,
    street_name,
)
from cityloop.city.generate.rivers import build_rivers
from cityloop.city.generate.taxonomy import (
    departments_document,
    event_types_document,
    responsibilities_document,
)
from cityloop.city.generate.territory import Cell, build_territory
from cityloop.city.generate.writer import geojson_geometry, write_feature_collection, write_yaml
from cityloop.domain.territory import Level

__all__ = ["DEMO_PASSWORD", "generate_city"]

CITY_CODE = "YZ"
DEMO_PASSWORD = "cityloop-demo"
#: Departments with a city-level demo handler (besides PSB's `psb_yz`).
_CITY_HANDLERS = (
    ("URBAN", "城管"), ("ENV", "生态环境"), ("WATER", "水利"), ("WATERCO", "水务集团"),
    ("DATA", "大数据"), ("TPOL", "交巡警"), ("EMB", "应急管理"),
)  # fmt: skip
_STAGES = ("districts", "streets", "communities", "grids", "rivers", "files")


def _names(cells: list[Cell], rng: np.random.Generator) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    streets, communities = PlaceNames(rng), PlaceNames(rng)
    for cell in cells:
        if cell.level is Level.CITY:
            names[cell.code] = ("渝州市", "Yuzhou")
        elif cell.level is Level.DISTRICT:
            names[cell.code] = DISTRICTS[cell.ordinal - 1]
        elif cell.level is Level.STREET:
            names[cell.code] = street_name(streets.draw())
        elif cell.level is Level.COMMUNITY:
            names[cell.code] = community_name(communities.draw())
        else:
            names[cell.code] = grid_name(cell.ordinal)
    return names


def _users(cells: list[Cell]) -> dict[str, Any]:
    street1 = next(c.code for c in cells if c.level is Level.STREET and c.parent_code == "YZ01")
    street2 = next(c.code for c in cells if c.level is Level.STREET and c.parent_code == "YZ02")
    community = next(c.code for c in cells if c.parent_code == street1)
    grid = next(c.code for c in cells if c.parent_code == community)

    def user(
        name: str, display: str, role: str, where: str, dept: str | None = None
    ) -> dict[str, Any]:
        entry = {"username": name, "password": DEMO_PASSWORD, "display_name": display}
        entry |= {"role": role, "jurisdiction": where}
        return entry | ({"department": dept} if dept else {})

    return {
        "users": [
            user("admin", "系统管理员 Admin", "admin", CITY_CODE),
            user("city_op", "市级值班员 City operator", "city_operator", CITY_CODE),
            user("leader", "市领导 City leader", "leader", CITY_CODE),
            user("auditor", "审计员 Auditor", "auditor", CITY_CODE),
            user("data_admin", "数据管理员 Data admin", "data_admin", CITY_CODE),
            user("yz01_op", "江城区值班员 YZ01 operator", "district_operator", "YZ01"),
            user("yz02_op", "临江区值班员 YZ02 operator", "district_operator", "YZ02"),
            user(
                f"{street1.lower()}_op",
                f"街道值班员 {street1} operator",
                "street_operator",
                street1,
            ),
            user(
                f"{street2.lower()}_op",
                f"街道值班员 {street2} operator",
                "street_operator",
                street2,
            ),
            user("urban_yz01", "江城区城管 URBAN YZ01", "department_handler", "YZ01", "URBAN"),
            user("psb_yz", "市公安局 PSB", "department_handler", CITY_CODE, "PSB"),
            user(
                "waterco_yz02", "临江区水务 WATERCO YZ02", "department_handler", "YZ02", "WATERCO"
            ),
            user(f"grid_{grid.lower()}", f"网格员 {grid} grid worker", "grid_worker", grid),
            # City-level handlers of the units the simulation's scenarios work with.
            *(
                user(f"{dept.lower()}_yz", f"市{zh} {dept}", "department_handler", CITY_CODE, dept)
                for dept, zh in _CITY_HANDLERS
            ),
        ]
    }


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    if not enabled:
        yield lambda _stage: None
        return
    with Progress() as progress:
        total = len(_STAGES) + len(extra_writers())
        task = progress.add_task("Generating Yuzhou", total=total)

        def tick(stage: str) -> None:
            progress.update(task, advance=1, description=f"Generated {stage}")

        yield tick


def generate_city(out: Path, seed: int = 2026, progress: bool = False) -> None:
    """Write the demo city folder to `out` (created if needed); same seed, same bytes."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with _progress(progress) as tick:
        cells = build_territory(rng, CITY_CODE, tick)
        names = _names(cells, np.random.default_rng(seed + 1))
        rivers = build_rivers(cells[0].geometry, np.random.default_rng(seed + 2))
        tick("rivers")
        c = cells[0].geometry.centroid
        write_yaml(
            out / "city.yaml",
            {
                "code": CITY_CODE,
                "name_zh": "渝州市",
                "name_en": "Yuzhou",
                "timezone": "Asia/Shanghai",
                "default_language": "zh",
                "center": [round(c.x, 6), round(c.y, 6)],
            },
            "The demo city Yuzhou (fictional). Generated by `cityloop city generate`.",
        )
        write_feature_collection(
            out / "jurisdictions.geojson",
            [
                {
                    "type": "Feature",
                    "properties": {
                        "code": cell.code,
                        "parent_code": cell.parent_code,
                        "level": cell.level.value,
                        "name_zh": names[cell.code][0],
                        "name_en": names[cell.code][1],
                    },
                    "geometry": geojson_geometry(cell.geometry),
                }
                for cell in cells
            ],
        )
        write_feature_collection(
            out / "rivers.geojson",
            [
                {
                    "type": "Feature",
                    "properties": {
                        "id": s.id,
                        "name_zh": s.name_zh,
                        "name_en": s.name_en,
                        "downstream_id": s.downstream_id,
                        "order": s.order,
                    },
                    "geometry": geojson_geometry(s.geometry),
                }
                for s in rivers
            ],
        )
        write_yaml(
            out / "departments.yaml",
            departments_document(),
            "The 23 pooled city departments and their category.",
        )
        write_yaml(
            out / "event_types.yaml",
            event_types_document(),
            "Event classes (with default time limits) and the 50 event types of the demo city.",
        )
        write_yaml(
            out / "responsibilities.yaml",
            responsibilities_document(),
            "The responsibility list: lead and co-operating departments per handling level.",
        )
        write_yaml(
            out / "users.yaml",
            _users(cells),
            f"DEMO ACCOUNTS ONLY: every password is {DEMO_PASSWORD!r}, in plain text.\n"
            "Never use this file, or plaintext passwords, in production.",
        )
        tick("files")
        for stage, writer in extra_writers():
            writer(out, seed)
            tick(stage)
