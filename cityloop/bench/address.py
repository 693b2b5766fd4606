"""Benchmark of address matching on realistic hotline-style texts (throughput and hit rate).

Queries are drawn from the city's own address table, seeded: house numbers in Chinese (with
digits or Chinese numerals) and English (abbreviated, lower-case, with typos), places by full
name, "the market over on X Road", addresses with their district, each wrapped in the kind of
words a citizen adds around them; and 10% texts without any address. A query is a hit when the
match has the expected name and precision (same-named roads in different districts count as the
same name unless the district is given, where the code must match too), and a text without an
address is a hit when nothing matches.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from cityloop.city.model import City
from cityloop.dispatch.address import AddressMatcher
from cityloop.dispatch.address.gazetteer import Gazetteer

_ZH_BEFORE = ("", "我在", "市民反映", "地点：", "请尽快处理，", "今天早上路过")
_ZH_AFTER = ("", "附近看到井盖没了", "门口垃圾堆了三天", "有人占道经营", "路灯不亮", "噪音扰民")
_EN_BEFORE = ("", "broken streetlight near ", "rubbish piled up at ", "pothole outside ")
_EN_AFTER = ("", " please fix", ", been like this for days", " - water leaking")
_NO_ADDRESS = (
    "今天天气不错，没有什么问题",
    "楼上邻居装修噪音太大",
    "我想咨询一下社保政策",
    "the bus was late again this morning",
    "please call me back about my complaint",
    "人民群众反映问题很多",
)
_ABBREVIATIONS = {"Road": "Rd", "Avenue": "Ave", "Street": "St", "Lane": "Ln"}
_KIND_WORDS = {"market": "菜市场", "school": "学校", "hospital": "医院", "park": "公园"}
_CN_DIGITS = "零一二三四五六七八九"

Query = tuple[str, str | None, str, str | None]
"""(text, expected name or None, expected precision, expected code or None)."""


def chinese_numeral(n: int) -> str:
    """128 → 一百二十八 (for 1 ≤ n ≤ 9999)."""
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit:
            out += ("零" if zero and out else "") + _CN_DIGITS[digit] + unit
            zero = False
        elif out:
            zero = True
    return out.removeprefix("一") if out.startswith("一十") else out


def _typo(word: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(1, len(word) - 2))
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _english_road(name: str, rng: np.random.Generator, typo: bool) -> str:
    words = name.split()
    if typo and len(words[0]) >= 5:
        words[0] = _typo(words[0], rng)
    if rng.random() < 0.5:
        words[-1] = _ABBREVIATIONS.get(words[-1], words[-1])
    text = " ".join(words)
    return text.lower() if rng.random() < 0.4 else text


def _pick(options: tuple[str, ...], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def make_queries(gaz: Gazetteer, n: int, seed: int = 0) -> list[Query]:
    """`n` seeded hotline-style queries with what each should match."""
    rng = np.random.default_rng(seed)
    houses = [i for i, k in enumerate(gaz.kinds) if k == "house"]
    places = [i for i, k in enumerate(gaz.kinds) if k not in ("house", "road")]
    roads_with = [(r, p) for r, ps in gaz.places_by_road.items() for p in ps]
    roads_with = [(r, p) for r, p in roads_with if gaz.kinds[p] in _KIND_WORDS]
    road_of = {h: r for r, numbers in gaz.houses.items() for h in numbers.values()}
    out: list[Query] = []
    for _ in range(n):
        form = int(rng.integers(10))
        h = houses[int(rng.integers(len(houses)))]
        road, number = road_of[h], gaz.names_zh[h].removeprefix(gaz.names_zh[road_of[h]])
        number = number.removesuffix("号")
        before, after = _pick(_ZH_BEFORE, rng), _pick(_ZH_AFTER, rng)
        if form == 0:
            out.append((_pick(_NO_ADDRESS, rng), None, "", None))
        elif form in (1, 2):
            out.append((f"{before}{gaz.names_zh[h]}{after}", gaz.names_zh[h], "house", None))
        elif form == 3:
            numeral = chinese_numeral(int(number))
            text = f"{before}{gaz.names_zh[road]}{numeral}号{after}"
            out.append((text, gaz.names_zh[h], "house", None))
        elif form in (4, 5):
            road_en = _english_road(gaz.names_en[road], rng, typo=form == 5)
            text = f"{_pick(_EN_BEFORE, rng)}{number} {road_en}{_pick(_EN_AFTER, rng)}"
            out.append((text, gaz.names_zh[h], "house", None))
        elif form == 6:
            p = places[int(rng.integers(len(places)))]
            text = f"{before}{gaz.names_zh[p]}{after}"
            if rng.random() < 0.5:
                text = f"{_pick(_EN_BEFORE, rng)}{gaz.names_en[p]}{_pick(_EN_AFTER, rng)}"
            out.append((text, gaz.names_zh[p], "place", None))
        elif form == 7:
            r, p = roads_with[int(rng.integers(len(roads_with)))]
            text = f"{gaz.names_zh[r]}那边的{_KIND_WORDS[gaz.kinds[p]]}{after}"
            out.append((text, f"kind:{gaz.kinds[p]}", "place", None))
        elif form == 8:
            district = gaz.district[h]
            name = gaz.jurisdiction_names[district][0] if district else ""
            out.append((f"{name}{gaz.names_zh[h]}{after}", gaz.names_zh[h], "house", gaz.codes[h]))
        else:
            text = f"{before}{gaz.names_zh[road]}{after}"
            out.append((text, gaz.names_zh[road], "road", None))
    return out


def bench_address_matching(city: City, n: int = 5000, seed: int = 0) -> dict[str, Any]:
    """Match `n` realistic queries one by one; report matches per second and the hit rate."""
    matcher = AddressMatcher(city)
    t0 = time.perf_counter()
    gaz = matcher.gazetteer
    load_s = time.perf_counter() - t0
    queries = make_queries(gaz, n, seed)
    t0 = time.perf_counter()
    results = [matcher.match(text) for text, *_ in queries]
    elapsed = time.perf_counter() - t0
    hits = 0
    for (_text, name, precision, code), found in zip(queries, results, strict=True):
        if name is None:
            hits += found is None
        elif found is not None and found.precision == precision:
            if name.startswith("kind:"):
                hits += gaz.kinds[gaz.codes.index(found.code)] == name.removeprefix("kind:")
            else:
                hits += found.label == name and (code is None or found.code == code)
    return {
        "bench": "address",
        "queries": n,
        "matches_per_s": round(n / elapsed),
        "hit_rate": round(hits / n, 4),
        "matched_share": round(sum(r is not None for r in results) / n, 4),
        "gazetteer_rows": len(gaz),
        "load_s": round(load_s, 3),
    }
