"""The demo city's departments, event classes, event types and responsibility list.

Exactly the vocabulary of `TAXONOMY.md`; keywords feed the later text classifier.
"""

from __future__ import annotations

from typing import Any

# code, 中文, English, category (seed 002 §3(3)2)
DEPARTMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("EMB", "应急管理局", "Emergency Management Bureau", "emergency_response"),
    ("PSB", "公安局", "Public Security Bureau", "emergency_response"),
    ("TPOL", "交巡警总队", "Traffic Police", "emergency_response"),
    ("TRANS", "交通运输委员会", "Transport Commission", "operational_support"),
    ("URBAN", "城市管理局", "Urban Management Bureau", "operational_support"),
    ("ENV", "生态环境局", "Ecology and Environment Bureau", "operational_support"),
    ("WATER", "水利局", "Water Resources Bureau", "emergency_response"),
    (
        "HOUSING",
        "住房和城乡建设委员会",
        "Housing and Urban-Rural Development Commission",
        "operational_support",
    ),
    ("PLAN", "规划和自然资源局", "Planning and Natural Resources Bureau", "emergency_response"),
    ("HEALTH", "卫生健康委员会", "Health Commission", "emergency_response"),
    ("MARKET", "市场监督管理局", "Market Regulation Administration", "linked_cooperation"),
    ("FIRE", "消防救援总队", "Fire and Rescue Corps", "emergency_response"),
    ("METEO", "气象局", "Meteorological Bureau", "operational_support"),
    ("CIVIL", "民政局", "Civil Affairs Bureau", "linked_cooperation"),
    (
        "HRSS",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
        "linked_cooperation",
    ),
    ("EDU", "教育委员会", "Education Commission", "linked_cooperation"),
    ("JUSTICE", "司法局", "Justice Bureau", "linked_cooperation"),
    ("CULTOUR", "文化和旅游发展委员会", "Culture and Tourism Commission", "linked_cooperation"),
    ("GREEN", "林业局（园林绿化）", "Forestry and Greening Bureau", "operational_support"),
    ("WATERCO", "水务集团", "Water Supply and Drainage Group", "operational_support"),
    ("GASCO", "燃气集团", "Gas Group", "operational_support"),
    ("POWERCO", "供电公司", "Power Supply Company", "operational_support"),
    ("DATA", "大数据应用发展管理局", "Big Data Development Bureau", "operational_support"),
)

_EMERGENCY = {"IV": (10, 240), "III": (5, 120), "II": (3, 60), "I": (1, 30)}
_EVERYDAY = {"IV": (30, 1440), "III": (15, 480), "II": (10, 240), "I": (5, 120)}

# code → (中文, English, {severity: (accept, dispose)})
CLASSES: dict[str, tuple[str, str, dict[str, tuple[int, int]]]] = {
    "natural": ("自然灾害", "Natural disaster", _EMERGENCY),
    "accident": ("事故灾难", "Accident", _EMERGENCY),
    "health": ("公共卫生", "Public health", _EMERGENCY),
    "social": ("社会安全", "Social security", _EMERGENCY),
    "urban": ("城市管理", "Urban management", _EVERYDAY),
    "livelihood": ("民生服务", "Livelihood services", _EVERYDAY),
    "device": ("感知设备", "Sensing devices", {"IV": (60, 2880)}),
}

# code, class, 中文, English, board, lead, co (space-separated), keywords_zh, keywords_en
# (keywords separated by "|")
# fmt: off
TYPES: tuple[tuple[str, str, str, str, str, str, str, str, str], ...] = (
    ("ND01", "natural", "暴雨内涝", "Rainstorm waterlogging", "SR", "URBAN", "WATERCO TPOL EMB",
     "内涝|积水|淹水|暴雨|路面被淹",
     "waterlogging|flooded street|standing water|rainstorm|flooding"),
    ("ND02", "natural", "山洪", "Flash flood", "SR", "WATER", "EMB METEO",
     "山洪|洪水|河水暴涨|溪沟涨水", "flash flood|torrent|river rising|stream overflow"),
    ("ND03", "natural", "地质灾害（滑坡、崩塌、地面塌陷）",
     "Geological hazard (landslide, collapse, subsidence)", "SR", "PLAN", "EMB HOUSING",
     "滑坡|崩塌|塌陷|地裂缝|落石", "landslide|collapse|subsidence|sinkhole|rockfall"),
    ("ND04", "natural", "森林火灾", "Forest fire", "SR", "EMB", "FIRE GREEN",
     "山火|森林火灾|林区起火|烧山", "forest fire|wildfire|hill fire|woodland burning"),
    ("ND05", "natural", "大风冰雹灾害", "Gale or hail damage", "SR", "EMB", "METEO URBAN",
     "大风|冰雹|狂风|吹倒|雹灾", "gale|hail|strong wind|windstorm|blown down"),
    ("ND06", "natural", "地震", "Earthquake", "SR", "EMB", "HOUSING FIRE",
     "地震|震感|余震|房屋震裂", "earthquake|tremor|aftershock|quake"),
    ("AC01", "accident", "火灾", "Building fire", "SR", "FIRE", "EMB PSB",
     "着火|火灾|冒烟|起火|火情", "fire|smoke|burning|on fire|blaze"),
    ("AC02", "accident", "道路交通事故", "Road traffic accident", "SR", "TPOL", "HEALTH",
     "车祸|交通事故|追尾|撞车|翻车", "car crash|traffic accident|collision|rear-end|overturned"),
    ("AC03", "accident", "燃气泄漏", "Gas leak", "SR", "GASCO", "FIRE EMB",
     "燃气泄漏|天然气|煤气味|漏气", "gas leak|smell of gas|natural gas|leaking pipe"),
    ("AC04", "accident", "危险化学品泄漏", "Hazardous chemical leak", "SR", "EMB", "FIRE ENV",
     "危化品|化学品泄漏|刺鼻气味|槽罐车",
     "hazardous chemical|chemical spill|toxic fumes|tanker leak"),
    ("AC05", "accident", "建筑施工安全事故", "Construction site accident", "SR", "HOUSING", "EMB",
     "工地|脚手架|塔吊|施工事故|坠落", "construction site|scaffolding|crane|site accident|fell"),
    ("AC06", "accident", "电梯困人", "Elevator entrapment", "SR", "MARKET", "FIRE",
     "电梯困人|电梯故障|被困电梯|电梯停运",
     "elevator stuck|trapped in lift|elevator entrapment|lift broken"),
    ("AC07", "accident", "桥梁隧道结构隐患", "Bridge or tunnel structural hazard", "SR", "TRANS",
     "URBAN", "桥梁裂缝|隧道渗水|桥墩|结构隐患",
     "bridge crack|tunnel leak|pier|structural damage"),
    ("AC08", "accident", "供水管道爆裂", "Water main burst", "LS", "WATERCO", "URBAN TPOL",
     "爆管|水管爆裂|自来水喷涌|管道破裂", "water main burst|pipe burst|water gushing|broken main"),
    ("AC09", "accident", "大面积停电", "Large power outage", "LS", "POWERCO", "EMB",
     "停电|断电|大面积停电|没电", "power outage|blackout|power cut|no electricity"),
    ("AC10", "accident", "水污染事件", "Water pollution incident", "SR", "ENV", "WATER WATERCO",
     "水污染|河水变色|死鱼|排污|油污",
     "water pollution|discoloured river|dead fish|discharge|oil slick"),
    ("AC11", "accident", "重污染天气", "Heavy air pollution episode", "SR", "ENV", "METEO HEALTH",
     "雾霾|重污染|空气质量差|PM2.5", "smog|heavy pollution|poor air quality|PM2.5"),
    ("PH01", "health", "传染病疫情", "Infectious disease cluster", "SR", "HEALTH", "CIVIL",
     "传染病|疫情|发热|聚集性病例", "infectious disease|outbreak|fever|cluster of cases"),
    ("PH02", "health", "食品安全事件", "Food safety incident", "SR", "MARKET", "HEALTH",
     "食物中毒|食品安全|变质|拉肚子", "food poisoning|food safety|spoiled food|diarrhoea"),
    ("PH03", "health", "饮用水水质异常", "Drinking water quality problem", "LS", "HEALTH",
     "WATERCO", "自来水发黄|水有异味|水质浑浊|饮用水",
     "yellow tap water|water smells|cloudy water|drinking water"),
    ("SS01", "social", "人群聚集踩踏风险", "Crowd crush risk", "SR", "PSB", "CULTOUR TRANS",
     "人员密集|踩踏|人群拥挤|人流过大", "crowd crush|overcrowding|stampede|dense crowd"),
    ("SS02", "social", "群体性聚集", "Mass gathering or protest", "SR", "PSB", "JUSTICE",
     "聚集|上访|拉横幅|围堵", "mass gathering|protest|banner|blockade|petition"),
    ("SS03", "social", "治安警情", "Public order incident", "SR", "PSB", "",
     "打架|斗殴|盗窃|抢劫|治安", "fight|brawl|theft|robbery|public order"),
    ("SS04", "social", "邻里纠纷", "Neighbour dispute", "SR", "JUSTICE", "PSB",
     "邻里纠纷|吵架|矛盾|调解", "neighbour dispute|quarrel|conflict|mediation"),
    ("SS05", "social", "拖欠工资", "Wage arrears", "ED", "HRSS", "HOUSING",
     "拖欠工资|讨薪|欠薪|农民工工资", "unpaid wages|wage arrears|owed salary|migrant workers pay"),
    ("SS06", "social", "公租房违规转租", "Illegal subletting of public rental housing", "SR",
     "HOUSING", "", "公租房|转租|违规出租|转借",
     "public rental housing|sublet|illegal subletting|rented out"),
    ("UM01", "urban", "占道经营", "Street vending on the roadway", "LS", "URBAN", "",
     "占道经营|摆摊|流动摊贩|占用人行道", "street vending|stall|hawker|blocking sidewalk"),
    ("UM02", "urban", "垃圾未清运", "Uncollected rubbish", "LS", "URBAN", "",
     "垃圾|垃圾堆积|没人清运|垃圾桶满",
     "rubbish|garbage|not collected|overflowing bin|trash pile"),
    ("UM03", "urban", "违法建设", "Illegal construction", "SR", "URBAN", "PLAN",
     "违建|违章建筑|私搭乱建|加盖",
     "illegal construction|unauthorised building|extension|illegal structure"),
    ("UM04", "urban", "渣土车违规", "Muck truck violation (spillage, overload)", "SR", "URBAN",
     "TPOL", "渣土车|抛洒|超载|泥土洒落", "muck truck|spillage|overloaded truck|dirt on road"),
    ("UM05", "urban", "施工噪声扰民", "Construction noise", "LS", "ENV", "URBAN",
     "施工噪音|夜间施工|打桩|机器轰鸣", "construction noise|night work|piling|machinery noise"),
    ("UM06", "urban", "社会生活噪声扰民", "Social-life noise (night market, square dancing)", "LS",
     "URBAN", "PSB", "噪音|广场舞|夜市|音响太吵|扰民",
     "noise|square dancing|night market|loud music|disturbance"),
    ("UM07", "urban", "井盖缺失破损", "Missing or broken manhole cover", "SR", "URBAN", "",
     "井盖|井盖缺失|井盖破损|窨井", "manhole cover|missing cover|broken cover|open manhole"),
    ("UM08", "urban", "道路破损", "Damaged road surface, potholes", "LS", "URBAN", "TRANS",
     "坑洼|路面破损|道路塌陷|坑|路面开裂",
     "pothole|damaged road|road surface crack|broken pavement"),
    ("UM09", "urban", "路灯故障", "Streetlight failure", "LS", "URBAN", "",
     "路灯不亮|路灯坏了|路灯故障|照明", "streetlight out|lamp broken|street lamp|dark street"),
    ("UM10", "urban", "护栏损坏", "Damaged railing or guardrail", "SR", "URBAN", "",
     "护栏|栏杆损坏|隔离栏|防护栏", "railing|guardrail|broken barrier|fence damaged"),
    ("UM11", "urban", "违规停车占用消防通道", "Illegal parking, blocked fire lane", "SR", "TPOL",
     "FIRE", "乱停车|消防通道|违停|堵塞通道",
     "illegal parking|fire lane|blocked|parked car blocking"),
    ("UM12", "urban", "交通信号灯故障", "Traffic signal failure", "SR", "TPOL", "",
     "红绿灯|信号灯|红绿灯不亮|信号故障", "traffic light|signal failure|lights out|signal broken"),
    ("UM13", "urban", "道路拥堵", "Traffic congestion", "LS", "TPOL", "TRANS",
     "堵车|拥堵|交通堵塞|车流缓慢", "traffic jam|congestion|gridlock|slow traffic"),
    ("UM14", "urban", "树木倒伏", "Fallen tree", "SR", "GREEN", "URBAN", "树倒了|倒伏|断枝|行道树",
     "fallen tree|tree down|broken branch|street tree"),
    ("UM15", "urban", "户外广告招牌隐患", "Unsafe billboard or shop sign", "SR", "URBAN", "",
     "招牌|广告牌|松动|摇晃|坠落", "billboard|shop sign|loose sign|swaying|falling sign"),
    ("UM16", "urban", "排水管网堵塞污水外溢", "Blocked drain, sewage overflow", "LS", "WATERCO",
     "URBAN", "下水道堵塞|污水外溢|化粪池|返水|臭水",
     "blocked drain|sewage overflow|sewer backflow|drain smell"),
    ("UM17", "urban", "消防设施损坏", "Damaged fire facility (hydrant, pressure)", "SR", "FIRE",
     "WATERCO", "消火栓|消防栓|灭火器|水压不足", "hydrant|fire hydrant|extinguisher|low pressure"),
    ("UM18", "urban", "餐饮油烟扰民", "Restaurant fumes", "LS", "ENV", "URBAN",
     "油烟|餐馆|烧烤|排烟|异味", "cooking fumes|restaurant|barbecue|smoke|kitchen exhaust"),
    ("UM19", "urban", "犬只扰民流浪动物", "Dogs or stray animals", "LS", "PSB", "URBAN",
     "狗|犬只|流浪狗|流浪猫|咬人", "dog barking|stray dog|stray cat|dog bite"),
    ("LS01", "livelihood", "停水", "Water outage", "LS", "WATERCO", "", "停水|没水|水压低|断水",
     "water outage|no water|low water pressure|water cut"),
    ("LS02", "livelihood", "物业纠纷", "Property management dispute", "LS", "HOUSING", "JUSTICE",
     "物业|物业费|物管|小区管理",
     "property management|management fee|estate manager|housing estate"),
    ("LS03", "livelihood", "老旧小区加装电梯", "Lift installation in an old compound", "LS",
     "HOUSING", "", "加装电梯|老旧小区|旧楼电梯|电梯改造",
     "lift installation|old compound|old building|lift retrofit|lift"),
    ("LS04", "livelihood", "独居老人帮扶", "Help for an elderly person living alone", "LS",
     "CIVIL", "HEALTH", "独居老人|空巢老人|老人无人照顾|孤寡老人",
     "elderly living alone|lonely elderly|old person needs help|senior alone"),
    ("DV01", "device", "感知设备离线故障", "Sensing device offline or faulty", "SR", "DATA", "",
     "设备离线|传感器故障|监测设备|数据中断",
     "device offline|sensor fault|monitoring device|data gap"),
)
# fmt: on

# Realistic local arrangements: district-specific responsibility overrides.
OVERRIDES: dict[str, list[dict[str, Any]]] = {
    # The old core district runs its own drainage maintenance team under URBAN.
    "UM16": [{"district": "YZ01", "level": "street", "lead": "URBAN", "co": ["WATERCO"]}],
    # The outer, mountainous district: street-level geological hazards go to the emergency bureau
    # station in the township first.
    "ND03": [{"district": "YZ09", "level": "street", "lead": "EMB", "co": ["PLAN"]}],
    # Forest fires in the outer district are led by the greening bureau's forest rangers at street
    # level.
    "ND04": [{"district": "YZ08", "level": "street", "lead": "GREEN", "co": ["FIRE", "EMB"]}],
}


def departments_document() -> dict[str, Any]:
    return {
        "departments": [
            {"code": c, "name_zh": zh, "name_en": en, "category": cat}
            for c, zh, en, cat in DEPARTMENTS
        ]
    }


def _limits(limits: dict[str, tuple[int, int]]) -> dict[str, Any]:
    return {sev: {"accept_minutes": a, "dispose_minutes": d} for sev, (a, d) in limits.items()}


#: Types whose reports join an open event nearby under another rule than the platform's 200 m:
#: a sensing device's fault is that device's own case (its owner fixes that device), however
#: close another faulty device is.
MERGE_RADIUS_M = {"DV01": 0.0}


def event_types_document() -> dict[str, Any]:
    classes = {
        code: {"name_zh": zh, "name_en": en, "time_limits": _limits(limits)}
        for code, (zh, en, limits) in CLASSES.items()
    }
    types = []
    for code, cls, zh, en, board, _lead, _co, kzh, ken in TYPES:
        types.append(
            {
                "code": code,
                "class": cls,
                "name_zh": zh,
                "name_en": en,
                "board": board,
                "default_severity": "IV",
                "keywords_zh": _keywords(kzh),
                "keywords_en": _keywords(ken),
                **({"merge_radius_m": MERGE_RADIUS_M[code]} if code in MERGE_RADIUS_M else {}),
            }
        )
    return {"classes": classes, "types": types}


def responsibilities_document() -> dict[str, Any]:
    types: dict[str, Any] = {}
    for code, _cls, _zh, _en, _board, lead, co, _kzh, _ken in TYPES:
        entry = {"lead": lead, "co": co.split()}
        types[code] = {level: dict(entry) for level in ("street", "district", "city")}
        if code in OVERRIDES:
            types[code]["overrides"] = OVERRIDES[code]
    return {
        "handling_level_by_severity": {
            "IV": "street",
            "III": "district",
            "II": "city",
            "I": "city",
        },
        "types": types,
    }


def _keywords(text: str) -> list[str]:
    return [k for k in text.split("|") if k]
