"""The demo city's rule library, from published standards (each rule cites its `source`).

`write_rules(out, seed)` writes one YAML file per theme into `out/rules/`. Where a standard gives
no number for a level (e.g. the "approaching" blue level of a gauge), the value is a documented
demo choice, said so in its `source`; docs/rules.md explains each.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from cityloop.city.generate.writer import write_yaml
from cityloop.engine.rules.load import RULES_DIR

ALL_TYPES = [
    "rainfall", "water_level", "dissolved_oxygen", "pm25", "crowd_count", "traffic_speed",
    "hydrant_pressure", "slope_displacement", "gas_lel", "manhole_level",
]  # fmt: skip

CMA = (
    "China Meteorological Administration, 气象灾害预警信号发布与传播办法 (CMA Order No. 16, 2007), "
    "annex 气象灾害预警信号及防御指南: rainstorm signals blue 12 h ≥ 50 mm, yellow 6 h ≥ 50 mm, "
    "orange 3 h ≥ 50 mm, red 3 h ≥ 100 mm; applied to observed accumulations."
)
GB3838 = (
    "GB 3838-2002 地表水环境质量标准, Table 1: dissolved oxygen class III ≥ 5 mg/L, "
    "class IV ≥ 3, class V ≥ 2. Below class III for 3 consecutive readings → yellow; below class "
    "IV → orange; below class V (劣V类) → red."
)
HJ633 = (
    "HJ 633-2012 环境空气质量指数（AQI）技术规定（试行）: IAQI of PM2.5 by the breakpoints of "
    "Table 1 and eq. (1), rounded up; categories 轻度污染 101–150 → blue, 中度污染 151–200 → "
    "yellow, 重度污染 201–300 → orange, 严重污染 > 300 → red; on the 1 h mean concentration."
)
FLOOD = (
    "Warning stage 警戒水位 and guaranteed stage 保证水位 of each gauge (GB/T 22482-2008 "
    "水文情报预报规范); four colours after the Ministry of Water Resources' 水情预警发布管理办法"
    "（试行） (2013): yellow above the warning stage, red at the guaranteed stage. Blue "
    "(within 0.5 m of the warning stage) and orange (halfway to the guaranteed stage) are demo "
    "choices."
)
HOLT = (
    "Holt's linear trend (Holt 1957; irregular intervals after Wright 1986) projected 1 h ahead "
    "against the gauge's warning and guaranteed stages (GB/T 22482-2008); predicted, so a person "
    "confirms."
)
MAD = (
    "Robust z-score with the median absolute deviation (Hampel 1974; Leys et al. 2013, who "
    "recommend a cut-off of 2.5–3.5 for outliers; 6 is used here to flag only gross jumps)."
)
CROWD = (
    "Crowd density in persons/m²: Fruin (1971), Pedestrian Planning and Design — walkway level of "
    "service F above about 2 persons/m²; G. K. Still (2014), Introduction to Crowd Science — "
    "above 4 persons/m² crowd dynamics can develop, above 5 persons/m² crush risk; Guide to "
    "Safety at Sports Grounds (Green Guide, 6th ed., 2018) — standing areas at most 4.7 "
    "persons/m². Blue 2, yellow 3, orange 4, red 5."
)
CROWD_FORECAST = (
    "Holt's linear trend (Holt 1957; irregular intervals after Wright 1986) of each camera's "
    "count projected 30 min ahead against the density thresholds above (Fruin 1971; Still 2014) "
    "times the camera's share of its area (param view_m2 = area m² / cameras in the area): a "
    "crossing is warned before it happens (seed 004 §4.1); predicted, so a person confirms."
)
HYDRANT = (
    "GB 50974-2014 消防给水及消火栓系统技术规范 §7.2.8: a municipal network with hydrants works "
    "at ≥ 0.14 MPa, and ≥ 0.10 MPa from ground level during fire fighting → yellow below 0.14, "
    "orange below 0.10; red below 0.05 MPa (no usable pressure) and blue at 70 % of the "
    "hydrant's nominal pressure are demo choices."
)
SLOPE = (
    "DZ/T 0221-2006 崩塌、滑坡、泥石流监测规范 requires alert criteria on displacement rate set "
    "per slope; the thresholds (0.2 / 0.5 / 1 / 2 mm/h ≈ 5 / 12 / 24 / 48 mm/day, over at least "
    "1 h) follow the creep-stage approach (Saito 1965; Xu Qiang et al. 2009, improved tangent "
    "angle) and are demo defaults to be calibrated per site."
)
GAS = (
    "GB/T 50493-2019 石油化工可燃气体和有毒气体检测报警设计标准 §5.5: first-level alarm at "
    "≤ 25 %LEL, second-level alarm at ≤ 50 %LEL → orange 25, red 50; blue 5 and yellow 10 "
    "%LEL are early-warning demo choices for underground spaces (manholes, pipe galleries)."
)
MANHOLE = (
    "GB 50014-2021 室外排水设计标准 §5.2: sewers are designed at most 0.55–0.75 full, storm drains "
    "full, so water rising up the shaft means surcharge. Levels as fractions of the manhole depth "
    "(param depth_m) are demo choices: blue 0.6, yellow 0.8, orange 0.9, red 1.0 (at the cover, "
    "overflowing)."
)
STALE = (
    "Device health (seed 004 §5.2, '重建设、轻运维'): a sensor silent for 3 expected intervals is "
    "offline (yellow, a DV01 event to its owner); 12 intervals → orange."
)


def _rule(rule_id: str, rule_type: str, zh: str, en: str, source: str, **rest: Any) -> Any:
    return {"id": rule_id, "type": rule_type, "name_zh": zh, "name_en": en, "source": source} | rest


def _hold(readings: int) -> dict[str, int]:
    return {"readings": readings}


LIBRARY: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "rainstorm.yaml",
        "Rainstorm warning signals on observed rainfall accumulations.\nSource: " + CMA,
        [
            _rule(
                "rainstorm-observed",
                "rolling",
                "暴雨预警（实况累计雨量）",
                "Rainstorm warning (observed accumulation)",
                CMA,
                sensor_types=["rainfall"],
                event_type="ND01",
                event_at="yellow",
                agg="sum",
                bucket="5m",
                hysteresis=5.0,
                levels={
                    "blue": {"value": 50.0, "window": "12h"},
                    "yellow": {"value": 50.0, "window": "6h"},
                    "orange": {"value": 50.0, "window": "3h"},
                    "red": {"value": 100.0, "window": "3h"},
                },
            ),
        ],
    ),
    (
        "water_quality.yaml",
        "Surface water dissolved oxygen.\nSource: " + GB3838 + "\nAnomaly: " + MAD,
        [
            _rule(
                "dissolved-oxygen-gb3838",
                "threshold",
                "溶解氧低于地表水III类",
                "Dissolved oxygen below class III",
                GB3838,
                sensor_types=["dissolved_oxygen"],
                event_type="AC10",
                event_at="yellow",
                direction="below",
                hysteresis=0.2,
                levels={
                    "yellow": {"value": 5.0, "for": _hold(3)},
                    "orange": {"value": 3.0, "for": _hold(3)},
                    "red": {"value": 2.0, "for": _hold(3)},
                },
            ),
            _rule(
                "dissolved-oxygen-anomaly",
                "anomaly",
                "溶解氧读数异常",
                "Dissolved oxygen anomaly",
                MAD,
                sensor_types=["dissolved_oxygen"],
                event_type="AC10",
                event_at="yellow",
                confirm=True,
                window=24,
                min_scale=0.1,
                levels={"yellow": {"value": 6.0}},
            ),
        ],
    ),
    (
        "air.yaml",
        "Fine particulate matter as an individual air quality index.\nSource: " + HJ633,
        [
            _rule(
                "pm25-aqi",
                "rolling",
                "PM2.5空气质量分指数",
                "PM2.5 individual AQI",
                HJ633,
                sensor_types=["pm25"],
                event_type="AC11",
                event_at="orange",
                agg="mean",
                bucket="5m",
                window="1h",
                transform="iaqi_pm25",
                hysteresis=5.0,
                levels={
                    "blue": {"value": 101.0},
                    "yellow": {"value": 151.0},
                    "orange": {"value": 201.0},
                    "red": {"value": 301.0},
                },
            ),
        ],
    ),
    (
        "flood.yaml",
        "River stages against each gauge's warning and guaranteed stages.\nSource: " + FLOOD,
        [
            _rule(
                "water-level-stage",
                "threshold",
                "河道水位超警",
                "River stage above warning",
                FLOOD,
                sensor_types=["water_level"],
                event_type="ND02",
                event_at="yellow",
                hysteresis=0.1,
                levels={
                    "blue": {"value": {"param": "warning_level", "offset": -0.5}, "for": _hold(2)},
                    "yellow": {"value": {"param": "warning_level"}, "for": _hold(2)},
                    "orange": {
                        "value": {
                            "param": "warning_level",
                            "toward": "guarantee_level",
                            "fraction": 0.5,
                        },
                        "for": _hold(2),
                    },
                    "red": {"value": {"param": "guarantee_level"}, "for": _hold(2)},
                },
            ),
            _rule(
                "water-level-forecast",
                "forecast",
                "河道水位预测超警",
                "River stage forecast to exceed warning",
                HOLT,
                sensor_types=["water_level"],
                event_type="ND02",
                event_at="yellow",
                confirm=True,
                horizon="1h",
                alpha=0.5,
                beta=0.3,
                min_readings=4,
                levels={
                    "yellow": {"value": {"param": "warning_level"}},
                    "red": {"value": {"param": "guarantee_level"}},
                },
            ),
        ],
    ),
    (
        "crowd.yaml",
        "Crowd density of key areas (areas.yaml).\nSource: " + CROWD,
        [
            _rule(
                "crowd-density",
                "area",
                "重点区域人群密度",
                "Crowd density of key areas",
                CROWD,
                sensor_types=["crowd_count"],
                event_type="SS01",
                event_at="yellow",
                agg="density",
                hysteresis=0.2,
                levels={
                    "blue": {"value": 2.0, "for": _hold(2)},
                    "yellow": {"value": 3.0, "for": _hold(2)},
                    "orange": {"value": 4.0, "for": _hold(2)},
                    "red": {"value": 5.0},
                },
            ),
            _rule(
                "crowd-density-forecast",
                "forecast",
                "重点区域人群密度预测超限",
                "Crowd density forecast to cross a threshold",
                CROWD_FORECAST,
                sensor_types=["crowd_count"],
                event_type="SS01",
                event_at="yellow",
                confirm=True,
                horizon="30m",
                alpha=0.5,
                beta=0.3,
                min_readings=5,
                levels={
                    "blue": {"value": {"param": "view_m2", "scale": 2.0}},
                    "yellow": {"value": {"param": "view_m2", "scale": 3.0}},
                    "orange": {"value": {"param": "view_m2", "scale": 4.0}},
                },
            ),
        ],
    ),
    (
        "hydrant.yaml",
        "Municipal fire hydrant pressure.\nSource: " + HYDRANT,
        [
            _rule(
                "hydrant-pressure",
                "threshold",
                "消火栓压力不足",
                "Hydrant pressure too low",
                HYDRANT,
                sensor_types=["hydrant_pressure"],
                event_type="UM17",
                event_at="yellow",
                direction="below",
                hysteresis=0.01,
                levels={
                    "blue": {"value": {"param": "nominal_mpa", "scale": 0.7}, "for": _hold(2)},
                    "yellow": {"value": 0.14, "for": _hold(2)},
                    "orange": {"value": 0.10, "for": _hold(2)},
                    "red": {"value": 0.05, "for": _hold(2)},
                },
            ),
        ],
    ),
    (
        "slope.yaml",
        "Slope displacement rate (geological hazards).\nSource: " + SLOPE,
        [
            _rule(
                "slope-displacement-rate",
                "rate",
                "边坡位移速率",
                "Slope displacement rate",
                SLOPE,
                sensor_types=["slope_displacement"],
                event_type="ND03",
                event_at="yellow",
                per="1h",
                span="1h",
                hysteresis=0.05,
                levels={
                    "blue": {"value": 0.2, "for": _hold(2)},
                    "yellow": {"value": 0.5, "for": _hold(2)},
                    "orange": {"value": 1.0},
                    "red": {"value": 2.0},
                },
            ),
        ],
    ),
    (
        "gas.yaml",
        "Combustible gas in underground spaces, % of the lower explosive limit.\nSource: " + GAS,
        [
            _rule(
                "gas-lel",
                "threshold",
                "可燃气体浓度",
                "Combustible gas concentration",
                GAS,
                sensor_types=["gas_lel"],
                event_type="AC03",
                event_at="yellow",
                hysteresis=1.0,
                levels={
                    "blue": {"value": 5.0, "for": _hold(2)},
                    "yellow": {"value": 10.0, "for": _hold(2)},
                    "orange": {"value": 25.0},
                    "red": {"value": 50.0},
                },
            ),
        ],
    ),
    (
        "drainage.yaml",
        "Water level in drainage manholes.\nSource: " + MANHOLE,
        [
            _rule(
                "manhole-level",
                "threshold",
                "窨井水位",
                "Manhole water level",
                MANHOLE,
                sensor_types=["manhole_level"],
                event_type="UM16",
                event_at="yellow",
                hysteresis=0.05,
                levels={
                    "blue": {"value": {"param": "depth_m", "scale": 0.6}, "for": _hold(2)},
                    "yellow": {"value": {"param": "depth_m", "scale": 0.8}, "for": _hold(2)},
                    "orange": {"value": {"param": "depth_m", "scale": 0.9}},
                    "red": {"value": {"param": "depth_m", "scale": 1.0}},
                },
            ),
        ],
    ),
    (
        "devices.yaml",
        "Device health: sensors that stop reporting.\nSource: " + STALE,
        [
            _rule(
                "sensor-offline",
                "staleness",
                "感知设备离线",
                "Sensor offline",
                STALE,
                sensor_types=ALL_TYPES,
                event_type="DV01",
                event_at="yellow",
                levels={"yellow": {"value": 3.0}, "orange": {"value": 12.0}},
            ),
        ],
    ),
]


def library_documents() -> list[tuple[str, str, dict[str, Any]]]:
    """(file name, header comment, document) of every rule file of the demo library."""
    return [(name, header, {"rules": rules}) for name, header, rules in LIBRARY]


def write_rules(out: Path, seed: int) -> None:
    """Write the demo rule library into `out/rules/` (the same bytes for every seed)."""
    folder = Path(out) / RULES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, header, document in library_documents():
        wrapped = "\n".join(
            textwrap.fill(line, width=98, break_on_hyphens=False) for line in header.splitlines()
        )
        write_yaml(folder / name, document, wrapped)
