# ruff: noqa: E501
"""The demo city's plans (`plans/*.yaml`) and emergency resources (`resources.csv`).

Six plans, each with the four response levels IV → I: the conditions grow stricter (warning
colour, open events counted per district, event severity) and the tasks add up (a level's tasks
include those of the levels below, with shorter deadlines). Departments are the demo taxonomy's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cityloop.city.generate.writer import write_yaml
from cityloop.city.loader import load_city
from cityloop.domain.territory import Level
from cityloop.plans.loader import PLANS_DIR
from cityloop.plans.resources import HEADER, RESOURCES_FILE

GRADES = ("IV", "III", "II", "I")
#: Deadline factor per level: graver levels act faster.
_FACTOR = {"IV": 1.0, "III": 0.75, "II": 0.5, "I": 0.25}
_WARNING_AT = {"IV": "blue", "III": "yellow", "II": "orange", "I": "red"}


@dataclass(frozen=True)
class _Task:
    id: str
    department: str
    role: str
    zh: str
    en: str
    minutes: int
    from_level: str = "IV"
    resources: tuple[tuple[str, int], ...] = ()
    checks: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Plan:
    id: str
    zh: str
    en: str
    event_type: str
    rules: tuple[str, ...]
    counts: tuple[int, int, int, int]  # open events in one district for IV, III, II, I
    tasks: tuple[_Task, ...]
    headline: tuple[str, str]
    instruction: tuple[str, str]
    confirm: bool = True


T = _Task
PLANS = (
    _Plan(
        "rainstorm-waterlogging", "暴雨内涝应急预案", "Rainstorm waterlogging plan", "ND01",
        ("rainstorm-observed", "manhole-level"), (5, 10, 20, 40),
        (
            T("drain", "URBAN", "lead", "组织排水抢险，清疏积水点", "Drain the waterlogged points", 60,
              resources=(("drainage_pump_truck", 2), ("repair_crew", 1)),
              checks=(("积水点均有人值守", "Every waterlogged point is staffed"),)),
            T("sewer", "WATERCO", "support", "巡查排水管网，开启泵站", "Inspect sewers, run pumping stations", 60,
              resources=(("repair_crew", 1),)),
            T("traffic", "TPOL", "support", "积水路段交通管制与疏导", "Close and divert flooded roads", 30,
              from_level="III", resources=(("barriers", 20),),
              checks=(("下穿隧道已封闭", "Underpasses closed"),)),
            T("command", "EMB", "support", "启动联合值守，汇总灾情", "Open the joint command, collect damage", 30,
              from_level="III"),
            T("forecast", "METEO", "support", "每小时滚动发布雨情", "Issue hourly rainfall updates", 60,
              from_level="II"),
            T("rescue", "FIRE", "support", "转移被困人员", "Evacuate trapped people", 30, from_level="II",
              resources=(("rescue_team", 2),)),
            T("shelter", "CIVIL", "support", "开放避难场所，安置受灾群众", "Open shelters for the displaced", 120,
              from_level="I", resources=(("shelter", 2),)),
            T("schools", "EDU", "support", "学校停课并确认学生安全", "Suspend classes, account for pupils", 120,
              from_level="I"),
        ),
        ("{area}启动暴雨内涝{level}应急响应", "{area}: rainstorm waterlogging response level {level}"),
        ("避开积水路段和下穿隧道，不要涉水行车。", "Avoid flooded roads and underpasses; do not drive through water."),
    ),
    _Plan(
        "flash-flood", "山洪灾害应急预案", "Flash flood plan", "ND02",
        ("water-level-stage", "water-level-forecast", "rainstorm-observed"), (1, 3, 5, 10),
        (
            T("patrol", "WATER", "lead", "巡查河道水位，调度水库闸坝", "Patrol rivers, operate sluices", 60,
              resources=(("monitoring_team", 1),)),
            T("forecast", "METEO", "support", "发布短时临近预报", "Issue nowcasts", 60),
            T("evacuate", "EMB", "support", "组织危险区群众转移", "Evacuate the danger zones", 60,
              from_level="III", resources=(("rescue_team", 1),),
              checks=(("危险区人员清零", "Danger zones emptied"),)),
            T("rescue", "FIRE", "support", "水域救援待命", "Water rescue on standby", 30, from_level="II",
              resources=(("rescue_team", 2),)),
            T("shelter", "CIVIL", "support", "开放避难场所", "Open shelters", 120, from_level="II",
              resources=(("shelter", 2),)),
            T("roads", "TRANS", "support", "封闭沿河危险路段", "Close riverside roads at risk", 60,
              from_level="I", resources=(("barriers", 30),)),
            T("medical", "HEALTH", "support", "医疗救护队待命", "Medical teams on standby", 60,
              from_level="I", resources=(("medical_team", 2),)),
        ),
        ("{area}启动山洪灾害{level}应急响应", "{area}: flash flood response level {level}"),
        ("远离河道和山洪沟，听从转移指挥。", "Keep away from rivers and gullies; follow evacuation orders."),
    ),
    _Plan(
        "water-pollution", "突发水污染事件应急预案", "Water pollution incident plan", "AC10",
        ("dissolved-oxygen-gb3838", "dissolved-oxygen-anomaly"), (1, 2, 3, 5),
        (
            T("trace", "ENV", "lead", "现场监测，排查污染源", "Monitor on site, trace the source", 60,
              resources=(("monitoring_team", 1),),
              checks=(("上游排污口已排查", "Upstream outfalls inspected"),)),
            T("intake", "WATERCO", "support", "加密水厂取水口监测", "Monitor the waterworks intakes", 60),
            T("sluice", "WATER", "support", "调度闸坝，控制污染扩散", "Operate sluices to contain the plume", 60,
              from_level="III"),
            T("boom", "EMB", "support", "布设围油栏和吸附材料", "Lay booms and absorbents", 60,
              from_level="III", resources=(("absorbent_boom", 10),)),
            T("supply", "WATERCO", "support", "启用应急水源，送水到户", "Switch to reserve water, deliver water", 120,
              from_level="II", resources=(("water_tanker", 3),)),
            T("health", "HEALTH", "support", "饮用水卫生监测", "Test drinking water", 120, from_level="II"),
            T("enforce", "PSB", "support", "控制涉事企业和人员", "Secure the polluter and its staff", 120,
              from_level="I", resources=(("police_unit", 1),)),
        ),
        ("{area}启动突发水污染{level}应急响应", "{area}: water pollution response level {level}"),
        ("暂停饮用自来水，等待送水通知。", "Do not drink tap water until further notice; water will be delivered."),
    ),
    _Plan(
        "crowd-crush", "商圈人群聚集踩踏风险应急预案", "Crowd crush risk plan (commercial districts)", "SS01",
        ("crowd-density", "crowd-density-forecast"), (1, 2, 3, 5),
        (
            T("control", "PSB", "lead", "现场限流，单向通行", "Meter the crowd, one-way flow", 20,
              resources=(("police_unit", 2), ("barriers", 30)),
              checks=(("入口限流措施到位", "Entry metering in place"),)),
            T("venues", "CULTOUR", "support", "商圈场馆限流，停止促销活动", "Limit venue entry, stop promotions", 30),
            T("metro", "TRANS", "support", "地铁站跳站或限流", "Skip or meter metro stations", 30, from_level="III"),
            T("traffic", "TPOL", "support", "周边道路交通管制", "Control surrounding traffic", 30, from_level="III",
              resources=(("barriers", 20),)),
            T("medical", "HEALTH", "support", "医疗救护点前置", "Forward medical posts", 30, from_level="II",
              resources=(("ambulance", 3), ("medical_team", 1))),
            T("command", "EMB", "support", "现场指挥部统一调度", "Run the on-site command post", 30, from_level="II"),
            T("rescue", "FIRE", "support", "救援力量现场待命", "Rescue teams on standby", 20, from_level="I",
              resources=(("rescue_team", 2),)),
        ),
        ("{area}启动人群聚集{level}应急响应", "{area}: crowd safety response level {level}"),
        ("请勿前往该区域，现场人员听从指挥有序疏散。", "Stay away; people on site follow staff and leave in order."),
        confirm=False,
    ),
    _Plan(
        "gas-leak", "燃气泄漏事故应急预案", "Gas leak plan", "AC03",
        ("gas-lel",), (1, 2, 3, 5),
        (
            T("shutoff", "GASCO", "lead", "关阀断气，抢修管线", "Shut the valves, repair the main", 30,
              resources=(("repair_crew", 1), ("gas_detector", 4)),
              checks=(("上下游阀门已关闭", "Valves up- and downstream closed"),)),
            T("cordon", "FIRE", "support", "设立警戒区，消除火源", "Cordon off, remove ignition sources", 15,
              resources=(("fire_engine", 1),)),
            T("evacuate", "PSB", "support", "疏散警戒区内人员", "Evacuate the cordon", 20, from_level="III",
              resources=(("police_unit", 1),)),
            T("command", "EMB", "support", "现场协调与信息报送", "Coordinate and report", 30, from_level="III"),
            T("medical", "HEALTH", "support", "伤员救治", "Treat casualties", 30, from_level="II",
              resources=(("ambulance", 2),)),
            T("traffic", "TPOL", "support", "周边道路封闭", "Close nearby roads", 20, from_level="II",
              resources=(("barriers", 20),)),
            T("shelter", "CIVIL", "support", "临时安置疏散群众", "House the evacuated", 120, from_level="I",
              resources=(("shelter", 1),)),
        ),
        ("{area}启动燃气泄漏{level}应急响应", "{area}: gas leak response level {level}"),
        ("远离警戒区，勿开关电器、勿用明火。", "Keep out of the cordon; no switches, no open flames."),
        confirm=False,
    ),
    _Plan(
        "power-outage", "大面积停电事件应急预案", "Large power outage plan", "AC09",
        (), (1, 3, 5, 10),
        (
            T("restore", "POWERCO", "lead", "抢修线路，恢复供电", "Repair lines, restore power", 120,
              resources=(("repair_crew", 2), ("generator_truck", 1))),
            T("command", "EMB", "support", "汇总停电范围与影响", "Collect the outage's extent", 60),
            T("hospitals", "HEALTH", "support", "保障医院备用电源", "Secure hospitals' backup power", 60,
              from_level="III", resources=(("generator_truck", 2),)),
            T("signals", "TPOL", "support", "信号灯失灵路口人工疏导", "Direct traffic at dark signals", 30,
              from_level="III"),
            T("water", "WATERCO", "support", "保障二次供水泵房", "Keep booster pumps running", 60,
              from_level="II", resources=(("generator_truck", 1),)),
            T("elevators", "FIRE", "support", "电梯困人救援", "Free people trapped in lifts", 30,
              from_level="II", resources=(("rescue_team", 1),)),
            T("order", "PSB", "support", "加强治安巡逻", "Step up patrols", 60, from_level="I",
              resources=(("police_unit", 2),)),
        ),
        ("{area}启动大面积停电{level}应急响应", "{area}: power outage response level {level}"),
        ("减少外出，关闭大功率电器，注意用火安全。", "Stay in; switch off heavy appliances; take care with candles."),
    ),
)  # fmt: skip


def _conditions(plan: _Plan, grade: str, i: int) -> dict[str, Any]:
    anys: list[dict[str, Any]] = [
        {"count": {"event_type": plan.event_type, "at_least": plan.counts[i], "per": "district"}}
    ]
    if plan.rules:
        anys.insert(0, {"warning": {"level": _WARNING_AT[grade]}})
    if grade in ("II", "I"):
        anys.append({"severity": {"at_least": grade, "event_type": plan.event_type}})
    if grade == "I" and plan.rules:
        anys.append(
            {
                "all": [
                    {"warning": {"level": "orange"}},
                    {"count": {"event_type": plan.event_type, "at_least": plan.counts[2]}},
                ]
            }
        )
    return {"any": anys}


def _task(t: _Task, grade: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "department": t.department,
        "role": t.role,
        "action": {"zh": t.zh, "en": t.en},
        "deadline_minutes": max(5, int(t.minutes * _FACTOR[grade])),
    }
    if t.resources:
        mult = GRADES.index(grade) + 1
        out["resources"] = [{"type": k, "count": n * mult} for k, n in t.resources]
    if t.checks:
        out["checks"] = [{"zh": zh, "en": en} for zh, en in t.checks]
    return out


def plan_document(plan: _Plan) -> dict[str, Any]:
    levels = []
    for i, grade in enumerate(GRADES):
        tasks = [
            _task(t, grade) for t in plan.tasks if GRADES.index(t.from_level) <= GRADES.index(grade)
        ]
        levels.append(
            {
                "level": grade,
                "conditions": _conditions(plan, grade, i),
                "tasks": tasks,
                "message": {
                    "headline": {"zh": plan.headline[0], "en": plan.headline[1]},
                    "instruction": {"zh": plan.instruction[0], "en": plan.instruction[1]},
                },
            }
        )
    triggers: dict[str, Any] = {"event_types": [plan.event_type]}
    if plan.rules:
        triggers["warning_rules"] = list(plan.rules)
    return {
        "id": plan.id,
        "name": {"zh": plan.zh, "en": plan.en},
        "triggers": triggers,
        "confirm": plan.confirm,
        "levels": levels,
    }


#: (type, zh, en, department, capacity, per district)
_RESOURCES = (
    ("rescue_team", "综合应急救援队", "Emergency rescue team", "EMB", 30, 2),
    ("fire_team", "消防救援站", "Fire station crew", "FIRE", 25, 2),
    ("fire_engine", "消防车", "Fire engine", "FIRE", 6, 3),
    ("medical_team", "医疗救护队", "Medical team", "HEALTH", 12, 2),
    ("ambulance", "救护车", "Ambulance", "HEALTH", 3, 4),
    ("police_unit", "巡警大队", "Police patrol unit", "PSB", 20, 2),
    ("repair_crew", "市政抢修队", "Municipal repair crew", "URBAN", 15, 2),
    ("repair_crew", "燃气抢修队", "Gas repair crew", "GASCO", 10, 1),
    ("repair_crew", "电力抢修队", "Power repair crew", "POWERCO", 12, 1),
    ("monitoring_team", "环境监测队", "Environmental monitoring team", "ENV", 8, 1),
    ("drainage_pump_truck", "排涝泵车", "Drainage pump truck", "URBAN", 3000, 3),
    ("generator_truck", "应急发电车", "Generator truck", "POWERCO", 500, 2),
    ("water_tanker", "送水车", "Water tanker", "WATERCO", 10, 2),
    ("sandbags", "防汛沙袋储备点", "Sandbag depot", "WATER", 5000, 2),
    ("absorbent_boom", "吸油围栏储备", "Absorbent boom store", "ENV", 200, 1),
    ("barriers", "隔离护栏储备", "Barrier store", "TPOL", 300, 1),
    ("gas_detector", "可燃气体检测仪", "Gas detector kit", "GASCO", 20, 1),
    ("shelter", "应急避难场所", "Emergency shelter", "CIVIL", 2000, 3),
)


def resource_rows(out: Path, seed: int) -> list[dict[str, Any]]:
    city = load_city(out)
    rng = np.random.default_rng(seed + 5)
    districts = sorted(c for c, j in city.jurisdictions.items() if j.level is Level.DISTRICT)
    rows: list[dict[str, Any]] = []
    n = 0
    for code in districts:
        geom = city.jurisdictions[code].geometry
        minx, miny, maxx, maxy = geom.bounds
        name_zh, name_en = city.jurisdictions[code].name_zh, city.jurisdictions[code].name_en
        for kind, zh, en, dept, capacity, count in _RESOURCES:
            for k in range(count):
                while True:
                    x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                    if geom.contains(_point(x, y)):
                        break
                n += 1
                status = "available" if rng.random() > 0.1 else "assigned"
                rows.append(
                    {
                        "id": f"RS{n:04d}",
                        "name_zh": f"{name_zh}{zh}{k + 1}",
                        "name_en": f"{name_en} {en.lower()} {k + 1}",
                        "type": kind,
                        "department": dept,
                        "lon": f"{x:.5f}",
                        "lat": f"{y:.5f}",
                        "capacity": capacity,
                        "status": status,
                    }
                )
    return rows


def _point(x: float, y: float) -> Any:
    from shapely.geometry import Point

    return Point(x, y)


def write_plans(out: Path, seed: int) -> None:
    """Write the demo city's `plans/*.yaml` and `resources.csv` (same seed, same bytes)."""
    folder = Path(out) / PLANS_DIR
    folder.mkdir(exist_ok=True)
    for plan in PLANS:
        write_yaml(
            folder / f"{plan.id}.yaml",
            plan_document(plan),
            f"{plan.zh} — {plan.en}. Response levels IV (general) to I (extremely serious).\n"
            "Generated by `cityloop city generate`; see docs/configuration.md.",
        )
    with (Path(out) / RESOURCES_FILE).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(resource_rows(out, seed))
