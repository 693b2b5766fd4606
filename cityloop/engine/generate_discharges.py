"""Registered discharge points of the demo city, along its rivers.

`write_discharges(out, seed)` loads the generated city and writes `discharges.csv`: 240
enterprises and facilities with a discharge permit (factories, sewage treatment plants, livestock
farms, hospitals), each a short outfall (10–300 m) from a river segment inside the city, spread
by segment length. Permit numbers have the shape of China's national discharge permits: the
holder's unified social credit code (GB 32100-2015, with its check character), a 3-digit serial
and `P`. Same city and seed, same bytes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import shapely

from cityloop.city.loader import load_city
from cityloop.city.model import City
from cityloop.domain.territory import Level
from cityloop.engine.discharges import (
    DISCHARGES_FILE,
    DischargeKind,
    DischargeRow,
    write_discharge_rows,
)
from cityloop.engine.river_network import M_PER_DEG_LAT

COUNT = 240
KINDS = (DischargeKind.FACTORY, DischargeKind.FARM, DischargeKind.HOSPITAL,
         DischargeKind.SEWAGE_PLANT)  # fmt: skip
KIND_WEIGHTS = (0.55, 0.2, 0.12, 0.13)
BRANDS = (
    ("鑫达", "Xinda"), ("华源", "Huayuan"), ("长江", "Changjiang"), ("金山", "Jinshan"),
    ("宏远", "Hongyuan"), ("恒通", "Hengtong"), ("天成", "Tiancheng"), ("巴渝", "Bayu"),
    ("新创", "Xinchuang"), ("永兴", "Yongxing"), ("瑞丰", "Ruifeng"), ("德隆", "Delong"),
    ("嘉陵", "Jialing"), ("明珠", "Mingzhu"), ("国泰", "Guotai"), ("万福", "Wanfu"),
)  # fmt: skip
INDUSTRIES = (
    ("化工", "Chemical"), ("造纸", "Paper"), ("印染", "Dyeing"), ("电镀", "Electroplating"),
    ("食品", "Food"), ("制药", "Pharmaceutical"), ("酿造", "Brewing"), ("皮革", "Leather"),
    ("机械", "Machinery"), ("建材", "Building Materials"),
)  # fmt: skip
FARMS = (("生猪养殖场", "Pig Farm"), ("养鸡场", "Poultry Farm"), ("奶牛场", "Dairy Farm"),
         ("水产养殖场", "Fish Farm"))  # fmt: skip
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of a unified social credit code (GB 32100-2015: no I, O, S, V, Z)."""
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
HOLDER_TYPE = {
    DischargeKind.FACTORY: "91",  # registered by market regulation, an enterprise
    DischargeKind.SEWAGE_PLANT: "91",
    DischargeKind.FARM: "93",  # a farmers' specialised co-operative
    DischargeKind.HOSPITAL: "12",  # registered by the public-institution office
}


def credit_code(prefix: str, body: str) -> str:
    """`prefix` + `body` (17 characters together) + the GB 32100-2015 check character."""
    head = prefix + body
    total = sum(CODE_CHARS.index(c) * w for c, w in zip(head, CODE_WEIGHTS, strict=True))
    return head + CODE_CHARS[(31 - total % 31) % 31]


def _names(kind: DischargeKind, street: tuple[str, str], rng: np.random.Generator) -> list[str]:
    brand_zh, brand_en = BRANDS[int(rng.integers(len(BRANDS)))]
    if kind is DischargeKind.FACTORY:
        ind_zh, ind_en = INDUSTRIES[int(rng.integers(len(INDUSTRIES)))]
        return [f"渝州{brand_zh}{ind_zh}有限公司", f"Yuzhou {brand_en} {ind_en} Co., Ltd."]
    if kind is DischargeKind.FARM:
        farm_zh, farm_en = FARMS[int(rng.integers(len(FARMS)))]
        return [f"{street[0]}{brand_zh}{farm_zh}", f"{brand_en} {farm_en}, {street[1]}"]
    if kind is DischargeKind.HOSPITAL:
        return [f"{street[0]}社区卫生服务中心", f"{street[1]} Community Health Centre"]
    return [f"{street[0]}污水处理厂", f"{street[1]} Sewage Treatment Plant"]


def _unique(names: list[list[str]]) -> None:
    """Number repeated names in place: a second outfall of the same name gets "（2号排口）"."""
    seen: dict[str, int] = {}
    for pair in names:
        n = seen[pair[0]] = seen.get(pair[0], 0) + 1
        if n > 1:
            pair[0] += f"（{n}号排口）"
            pair[1] += f" (outfall {n})"


def discharge_rows(city: City, seed: int) -> list[DischargeRow]:
    """The demo discharge points of a generated city (deterministic)."""
    rng = np.random.default_rng(seed + 505)
    outline = city.city_jurisdiction.geometry
    shapely.prepare(outline)
    rivers = sorted(city.rivers.values(), key=lambda r: r.id)
    lengths = np.array([r.geometry.length for r in rivers])
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(outline.centroid.y))
    picks: list[tuple[int, float, float, DischargeKind]] = []
    while len(picks) < COUNT:
        k = int(rng.choice(len(rivers), p=lengths / lengths.sum()))
        line = rivers[k].geometry
        t = float(rng.uniform(0.02, 0.98)) * line.length
        a, b = line.interpolate(max(t - 1e-4, 0.0)), line.interpolate(t + 1e-4)
        dx, dy = (b.x - a.x) * m_per_deg_lon, (b.y - a.y) * M_PER_DEG_LAT
        norm = math.hypot(dx, dy) or 1.0
        offset = float(rng.uniform(10.0, 300.0)) * (1 if rng.uniform() < 0.5 else -1)
        p = line.interpolate(t)
        x = p.x - dy / norm * offset / m_per_deg_lon
        y = p.y + dx / norm * offset / M_PER_DEG_LAT
        kind = KINDS[int(rng.choice(len(KINDS), p=KIND_WEIGHTS))]
        if shapely.contains_xy(outline, x, y):
            picks.append((k, round(x, 6), round(y, 6), kind))
    xs = np.array([p[1] for p in picks])
    ys = np.array([p[2] for p in picks])
    located = city.locator.locate_many(xs, ys)
    streets, grids = located.codes(Level.STREET), located.codes(Level.GRID)
    names: list[list[str]] = []
    for j, (_, _, _, kind) in enumerate(picks):
        s = int(located.index(Level.STREET)[j])
        place = city.jurisdictions[streets[s]] if s >= 0 else city.city_jurisdiction
        names.append(_names(kind, (place.name_zh, place.name_en), rng))
    _unique(names)
    rows: list[DischargeRow] = []
    for j, (k, x, y, kind) in enumerate(picks):
        district = int(located.index(Level.DISTRICT)[j])
        body = "".join(CODE_CHARS[int(i)] for i in rng.integers(0, 31, size=7))
        code = credit_code(HOLDER_TYPE[kind], f"5001{district + 1:02d}MA{body}")
        g = int(located.index(Level.GRID)[j])
        rows.append(
            DischargeRow(
                id=f"PD{j + 1:04d}",
                name_zh=names[j][0],
                name_en=names[j][1],
                kind=kind,
                permit=f"{code}001P",
                river=rivers[k].id,
                lon=x,
                lat=y,
                department="ENV",
                grid=grids[g] if g >= 0 else None,
            )
        )
    return rows


def write_discharges(out: Path, seed: int) -> None:
    """Write `discharges.csv` of the demo city generated in `out`."""
    city = load_city(out)
    write_discharge_rows(Path(out) / DISCHARGES_FILE, discharge_rows(city, seed))
