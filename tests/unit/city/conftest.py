"""Fixtures of the city tests: a tiny hand-made city to break in every possible way.

The generated demo city (`demo_city_dir`, `demo_city`) comes from the session fixtures of
`tests/conftest.py`, so it is generated once per test run.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

# The tiny city: a 0.4° square split into two districts (west, east), one street and one
# community each, two grids per community (south, north).
X0, Y0, SIZE = 106.0, 29.0, 0.4


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(code: str, parent: str | None, level: str, geometry: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "parent_code": parent,
            "level": level,
            "name_zh": f"{code}区域",
            "name_en": f"Area {code}",
        },
        "geometry": geometry,
    }


class TinyCity:
    """The files of a small valid city as editable dicts; `write` puts them in a folder."""

    def __init__(self) -> None:
        mid, top, right = X0 + SIZE / 2, Y0 + SIZE, X0 + SIZE
        half = Y0 + SIZE / 2
        self.city: dict[str, Any] = {
            "code": "TC",
            "name_zh": "小城",
            "name_en": "Tiny City",
            "timezone": "Asia/Shanghai",
            "default_language": "en",
            "center": [X0 + SIZE / 2, Y0 + SIZE / 2],
        }
        features = [feature("TC", None, "city", box(X0, Y0, right, top))]
        for d, (x0, x1) in enumerate([(X0, mid), (mid, right)], start=1):
            dc = f"TC0{d}"
            features += [
                feature(dc, "TC", "district", box(x0, Y0, x1, top)),
                feature(f"{dc}S01", dc, "street", box(x0, Y0, x1, top)),
                feature(f"{dc}S01C01", f"{dc}S01", "community", box(x0, Y0, x1, top)),
                feature(f"{dc}S01C01G001", f"{dc}S01C01", "grid", box(x0, Y0, x1, half)),
                feature(f"{dc}S01C01G002", f"{dc}S01C01", "grid", box(x0, half, x1, top)),
            ]
        self.jurisdictions: dict[str, Any] = {"type": "FeatureCollection", "features": features}
        self.departments: dict[str, Any] = {
            "departments": [
                {"code": c, "name_zh": f"{c}局", "name_en": f"{c} Bureau", "category": cat}
                for c, cat in [
                    ("URBAN", "operational_support"),
                    ("PSB", "emergency_response"),
                    ("DATA", "operational_support"),
                    ("JUSTICE", "linked_cooperation"),
                    ("EDU", "linked_cooperation"),
                ]
            ]
        }
        limits = {"accept_minutes": 30, "dispose_minutes": 1440}
        self.event_types: dict[str, Any] = {
            "classes": {
                "urban": {
                    "name_zh": "城市管理",
                    "name_en": "Urban management",
                    "time_limits": {
                        "IV": limits,
                        "III": {"accept_minutes": 15, "dispose_minutes": 480},
                        "II": {"accept_minutes": 10, "dispose_minutes": 240},
                        "I": {"accept_minutes": 5, "dispose_minutes": 120},
                    },
                },
                "device": {
                    "name_zh": "感知设备",
                    "name_en": "Sensing devices",
                    "time_limits": {"IV": {"accept_minutes": 60, "dispose_minutes": 2880}},
                },
            },
            "types": [
                {
                    "code": "UM06",
                    "class": "urban",
                    "name_zh": "社会生活噪声扰民",
                    "name_en": "Social-life noise",
                    "board": "LS",
                    "keywords_zh": ["噪音", "广场舞"],
                    "keywords_en": ["noise", "square dancing"],
                    "time_limits": {"IV": {"accept_minutes": 20, "dispose_minutes": 600}},
                },
                {
                    "code": "UM09",
                    "class": "urban",
                    "name_zh": "路灯故障",
                    "name_en": "Streetlight failure",
                    "board": "LS",
                },
                {
                    "code": "DV01",
                    "class": "device",
                    "name_zh": "感知设备离线故障",
                    "name_en": "Sensing device offline",
                    "board": "SR",
                },
            ],
        }
        self.responsibilities: dict[str, Any] = {
            "handling_level_by_severity": {"IV": "street", "III": "district"},
            "types": {
                "UM06": {
                    "street": {"lead": "URBAN", "co": ["PSB"]},
                    "district": {"lead": "URBAN", "co": ["PSB"]},
                    "city": {"lead": "PSB", "co": ["URBAN"]},
                    "overrides": [
                        {"district": "TC02", "level": "street", "lead": "PSB", "co": ["JUSTICE"]}
                    ],
                },
                "UM09": {
                    "default": {"lead": "URBAN"},
                    "handling_level_by_severity": {"III": "street"},
                },
                "DV01": {"default": {"lead": "DATA"}},
            },
        }
        self.users: dict[str, Any] = {
            "users": [
                {
                    "username": "admin",
                    "password": "cityloop-demo",
                    "display_name": "Admin",
                    "role": "admin",
                    "jurisdiction": "TC",
                },
                {
                    "username": "urban_tc01",
                    "password": "cityloop-demo",
                    "display_name": "Urban TC01",
                    "role": "department_handler",
                    "jurisdiction": "TC01",
                    "department": "URBAN",
                },
            ]
        }

    def feature(self, code: str) -> dict[str, Any]:
        return next(f for f in self.jurisdictions["features"] if f["properties"]["code"] == code)

    def write(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        (root / "jurisdictions.geojson").write_text(json.dumps(self.jurisdictions), "utf-8")
        for name, data in [
            ("city.yaml", self.city),
            ("departments.yaml", self.departments),
            ("event_types.yaml", self.event_types),
            ("responsibilities.yaml", self.responsibilities),
            ("users.yaml", self.users),
        ]:
            (root / name).write_text(
                yaml.safe_dump(copy.deepcopy(data), allow_unicode=True), "utf-8"
            )
        return root


@pytest.fixture
def tiny() -> TinyCity:
    return TinyCity()
