"""The address table of a city, loaded once into columns and name indexes for the matcher.

Rows keep their file order; a row is referred to by its position. The indexes are plain dicts:

- `zh`: normalised Chinese name → references (full road names, road names without their suffix,
  place names, district/street/community names, place-kind words such as 菜市场);
- `en`: normalised English phrase (space-joined tokens) → references, likewise;
- `fuzzy`: every deletion (up to two letters) of each English road name → the names, for typos;
- `bigrams`: Chinese character bigram → the places whose name contains it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cityloop.city.model import City
from cityloop.dispatch.address.normalize import en_tokens, normalize
from cityloop.dispatch.address.schema import ADDRESSES_FILE, read_address_rows
from cityloop.domain.territory import Level

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Chinese road suffixes, longest first, and English ones.
ZH_ROAD_SUFFIXES: tuple[str, ...] = ("大道", "大街", "路", "街", "巷", "道", "弄")
EN_ROAD_SUFFIXES: frozenset[str] = frozenset(
    {"road", "avenue", "street", "lane", "boulevard", "way", "drive", "alley"}
)

#: Words naming a kind of place, in both languages.
KIND_WORDS_ZH: dict[str, str] = {
    "菜市场": "market", "农贸市场": "market", "市场": "market", "菜场": "market",
    "小学": "school", "中学": "school", "学校": "school", "幼儿园": "school",
    "医院": "hospital", "卫生院": "hospital", "诊所": "hospital",
    "公园": "park", "车站": "station", "地铁站": "station", "公交站": "station",
    "轻轨站": "station",
    "小区": "compound", "花园": "compound", "家园": "compound",
    "商场": "mall", "广场": "mall", "购物中心": "mall",
    "政府": "government", "办事处": "government", "街道办": "government", "大桥": "bridge",
}  # fmt: skip
KIND_WORDS_EN: dict[str, str] = {
    "market": "market", "school": "school", "kindergarten": "school", "hospital": "hospital",
    "clinic": "hospital", "park": "park", "station": "station", "stop": "station",
    "estate": "compound", "compound": "compound", "garden": "compound", "mall": "mall",
    "plaza": "mall", "government": "government", "office": "government", "bridge": "bridge",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ref:
    """What a name refers to: a row (`road`, `road_base`, `place`), a jurisdiction code
    (`district`, `street`, `community`) or a place kind (`kind`)."""

    what: str
    row: int = -1
    code: str = ""


def split_road_name(name_zh: str, name_en: str) -> tuple[str, str, str, str]:
    """(base_zh, suffix_zh, base_en, suffix_en) of a road name; suffixes may be empty."""
    suffix_zh = next((s for s in ZH_ROAD_SUFFIXES if name_zh.endswith(s)), "")
    base_zh = name_zh[: len(name_zh) - len(suffix_zh)] if len(name_zh) > len(suffix_zh) else ""
    tokens = en_tokens(normalize(name_en))
    suffix_en = tokens[-1] if len(tokens) > 1 and tokens[-1] in EN_ROAD_SUFFIXES else ""
    base_en = " ".join(tokens[:-1] if suffix_en else tokens)
    return base_zh, suffix_zh, base_en, suffix_en


def deletions(word: str, depth: int = 2) -> set[str]:
    """`word` and every string made by deleting up to `depth` of its letters."""
    out, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


@dataclass
class Gazetteer:
    codes: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    names_zh: list[str] = field(default_factory=list)
    names_en: list[str] = field(default_factory=list)
    grids: list[str] = field(default_factory=list)
    lon: FloatArray = field(default_factory=lambda: np.zeros(0))
    lat: FloatArray = field(default_factory=lambda: np.zeros(0))
    district: list[str | None] = field(default_factory=list)
    street: list[str | None] = field(default_factory=list)
    community: list[str | None] = field(default_factory=list)
    road_suffix_zh: dict[int, str] = field(default_factory=dict)
    road_suffix_en: dict[int, str] = field(default_factory=dict)
    row_of: dict[str, int] = field(default_factory=dict)
    houses: dict[int, dict[int, int]] = field(default_factory=dict)
    places_by_road: dict[int, list[int]] = field(default_factory=dict)
    zh: dict[str, list[Ref]] = field(default_factory=dict)
    zh_lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)
    en: dict[str, list[Ref]] = field(default_factory=dict)
    en_max_tokens: int = 1
    fuzzy: dict[str, set[str]] = field(default_factory=dict)
    bigrams: dict[str, list[int]] = field(default_factory=dict)
    bigram_count: dict[int, int] = field(default_factory=dict)
    jurisdiction_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    source: Path | None = None

    def __len__(self) -> int:
        return len(self.codes)

    def label(self, row: int, english: bool = False) -> str:
        return self.names_en[row] if english else self.names_zh[row]

    # --- building --------------------------------------------------------------------------------

    def _add(self, index: dict[str, list[Ref]], key: str, ref: Ref) -> None:
        if key and ref not in index.setdefault(key, []):
            index[key].append(ref)

    def _add_en(self, name: str, ref: Ref) -> None:
        tokens = en_tokens(normalize(name))
        if tokens:
            self._add(self.en, " ".join(tokens), ref)
            self.en_max_tokens = max(self.en_max_tokens, len(tokens))

    def _index_road(self, row: int) -> None:
        zh, en = self.names_zh[row], self.names_en[row]
        base_zh, suffix_zh, base_en, suffix_en = split_road_name(zh, en)
        self.road_suffix_zh[row], self.road_suffix_en[row] = suffix_zh, suffix_en
        self._add(self.zh, normalize(zh), Ref("road", row))
        self._add_en(en, Ref("road", row))
        if len(base_zh) >= 2:
            self._add(self.zh, normalize(base_zh), Ref("road_base", row))
        if base_en:
            self._add_en(base_en, Ref("road_base", row))
            if " " not in base_en and len(base_en) >= 4:
                for variant in deletions(base_en):
                    self.fuzzy.setdefault(variant, set()).add(base_en)

    def _index_place(self, row: int) -> None:
        key = normalize(self.names_zh[row])
        self._add(self.zh, key, Ref("place", row))
        self._add_en(self.names_en[row], Ref("place", row))
        grams = {key[i : i + 2] for i in range(len(key) - 1)}
        self.bigram_count[row] = len(grams)
        for gram in grams:
            self.bigrams.setdefault(gram, []).append(row)

    def _index_city(self, city: City) -> None:
        suffixes = {Level.DISTRICT: "区", Level.STREET: "街道", Level.COMMUNITY: "社区"}
        for j in city.jurisdictions.values():
            if j.level not in suffixes:
                continue
            ref = Ref(j.level.value, code=j.code)
            self.jurisdiction_names[j.code] = (j.name_zh, j.name_en)
            self._add(self.zh, normalize(j.name_zh), ref)
            self._add_en(j.name_en, ref)
            if j.level is Level.DISTRICT:
                base_zh = j.name_zh.removesuffix(suffixes[j.level])
                if len(base_zh) >= 2 and normalize(base_zh) not in self.zh:
                    self._add(self.zh, normalize(base_zh), ref)
                base_en = " ".join(en_tokens(normalize(j.name_en))[:-1])
                if base_en and base_en not in self.en:
                    self._add(self.en, base_en, ref)
        for word, kind in KIND_WORDS_ZH.items():
            self._add(self.zh, word, Ref("kind", code=kind))
        for word, kind in KIND_WORDS_EN.items():
            self._add(self.en, word, Ref("kind", code=kind))

    @classmethod
    def load(cls, city: City) -> Gazetteer:
        """The city's address table with its indexes (empty when the city has none)."""
        gaz = cls()
        path = city.root / ADDRESSES_FILE
        gaz._index_city(city)
        if not path.exists():
            gaz._finish()
            return gaz
        gaz.source = path
        header, rows = read_address_rows(path)
        col = {name: k for k, name in enumerate(header)}
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)

        def column(name: str) -> list[str]:
            return list(columns[col[name]])

        gaz.codes, gaz.kinds = column("code"), column("kind")
        gaz.names_zh, gaz.names_en = column("name_zh"), column("name_en")
        gaz.grids = column("grid_code")
        gaz.lon = np.array(column("lon"), dtype=np.float64)
        gaz.lat = np.array(column("lat"), dtype=np.float64)
        chains = {g: city.jurisdictions[g].chain for g in set(gaz.grids) if g in city.jurisdictions}
        gaz.district = [chains[g].district if g in chains else None for g in gaz.grids]
        gaz.street = [chains[g].street if g in chains else None for g in gaz.grids]
        gaz.community = [chains[g].community if g in chains else None for g in gaz.grids]
        row_of = gaz.row_of = {code: i for i, code in enumerate(gaz.codes)}
        for i, (kind, road, number) in enumerate(
            zip(gaz.kinds, column("road_code"), column("number"), strict=True)
        ):
            if kind == "road":
                gaz._index_road(i)
            elif kind == "house":
                if road in row_of and number.isdigit():
                    gaz.houses.setdefault(row_of[road], {})[int(number)] = i
            else:
                gaz._index_place(i)
                if road in row_of:
                    gaz.places_by_road.setdefault(row_of[road], []).append(i)
        gaz._finish()
        return gaz

    def _finish(self) -> None:
        lengths: dict[str, set[int]] = defaultdict(set)
        for key in self.zh:
            lengths[key[0]].add(len(key))
        self.zh_lengths = {c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()}

    # --- queries ---------------------------------------------------------------------------------

    def fuzzy_words(self, token: str) -> list[tuple[str, int]]:
        """The English road names nearest to `token`, if within edit distance 2 (1 for names
        under six letters), with that distance."""
        found: set[str] = set()
        for variant in deletions(token):
            found |= self.fuzzy.get(variant, set())
        scored = [(word, edit_distance(token, word)) for word in sorted(found)]
        scored = [(w, d) for w, d in scored if d <= (1 if len(w) < 6 else 2)]
        best = min((d for _w, d in scored), default=0)
        return [(w, d) for w, d in scored if d == best]


def edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein distance (optimal string alignment) between two short strings."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


__all__ = [
    "EN_ROAD_SUFFIXES",
    "KIND_WORDS_EN",
    "KIND_WORDS_ZH",
    "ZH_ROAD_SUFFIXES",
    "Gazetteer",
    "Ref",
    "deletions",
    "edit_distance",
    "split_road_name",
]
