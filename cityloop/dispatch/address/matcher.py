"""Address text → a row of the city's unified address table, with a score and its reasons.

The text is normalised, scanned for names (`scan`), and every reading of it becomes a scored
candidate:

| evidence | precision | score |
|---|---|---|
| road + house number that exists on it | house | 0.6 + 0.4·q |
| place named in full | place | 0.95 |
| road + a kind of place that lies on it (解放路那边的菜市场) | place | 0.5 + 0.35·q (+0.05) |
| road alone (or a number it does not have) | road | 0.75·q (0.7·q) |
| place named in part (shared character pairs) | place | 0.4 + 0.4·coverage (+0.15) |

`q` is how well the road is named: 1 exact, 0.85 another suffix, 0.65 (Chinese) or 0.7 (English)
without suffix, times 0.85 or 0.7 for an English typo at edit distance 1 or 2. A place on the road
that is named after it gets +0.05; a place named in part +0.15 when its kind is mentioned (the
search for places named in part runs only when no reading reaches 0.9). A district, street or
community named in the text adds 0.05 to candidates inside it and multiplies the others by 0.8;
candidates tied at the top (the same road name in several districts) lose 5% per rival (at most
15%). Below the threshold (0.5) there is no match, and `explain` says why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from cityloop.city.model import City
from cityloop.dispatch.address.gazetteer import Gazetteer
from cityloop.dispatch.address.normalize import is_cjk, normalize
from cityloop.dispatch.address.scan import Mention, scan_en, scan_zh
from cityloop.dispatch.address.schema import ADDRESSES_FILE

DEFAULT_THRESHOLD = 0.5
_PRECISION_RANK = {"house": 0, "place": 1, "road": 2}
_SURE = 0.9
"""A reading this good (a house on an exactly named road, a place in full) needs no search for
places named in part."""
_MAX_BIGRAM_POSTINGS = 60
"""Character pairs shared by more places than this (小区, 医院…) say nothing about which one."""


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    label: str
    score: float
    precision: str


@dataclass(frozen=True, slots=True)
class AddressMatch:
    """Where an address text points: a house, a place or a road (its midpoint)."""

    code: str
    label: str
    """The canonical (Chinese) name of the address."""
    label_en: str
    lon: float
    lat: float
    grid_code: str
    score: float
    """Confidence, 0..1."""
    precision: str
    """"house", "place" or "road"."""
    reasons: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    """The best three readings of the text, this one first."""


@dataclass
class _Scored:
    row: int
    score: float
    reasons: list[str] = field(default_factory=list)


_Add = Callable[[int, float, Iterable[str]], None]


def _precision(kind: str) -> str:
    return kind if kind in ("house", "road") else "place"


class AddressMatcher:
    """Matches address texts against one city's gazetteer; build with `from_city`."""

    _cache: ClassVar[dict[tuple[Path, int], AddressMatcher]] = {}
    _cache_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, city: City, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.city = city
        self.threshold = threshold
        self._gazetteer: Gazetteer | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_city(cls, city: City) -> AddressMatcher:
        """The matcher of `city`, shared per city folder (and address-table version); its
        gazetteer is loaded on first use."""
        path = city.root / ADDRESSES_FILE
        key = (city.root, path.stat().st_mtime_ns if path.exists() else 0)
        with cls._cache_lock:
            matcher = cls._cache.get(key)
            if matcher is None:
                matcher = cls._cache[key] = cls(city)
            return matcher

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            with self._lock:
                if self._gazetteer is None:
                    self._gazetteer = Gazetteer.load(self.city)
        return self._gazetteer

    # --- public ----------------------------------------------------------------------------------

    def match(self, text: str) -> AddressMatch | None:
        """The best reading of `text`, or None when nothing scores at least the threshold."""
        ranked, _notes = self._resolve(text)
        if not ranked or ranked[0].score < self.threshold:
            return None
        return self._result(ranked[0], ranked)

    def lookup(self, code: str) -> AddressMatch | None:
        """The address with this unified address code (score 1), or None if there is none."""
        row = self.gazetteer.row_of.get(code)
        if row is None:
            return None
        exact = _Scored(row, 1.0, [f"unified address code {code}"])
        return self._result(exact, [exact])

    def _result(self, best: _Scored, ranked: list[_Scored]) -> AddressMatch:
        gaz = self.gazetteer
        return AddressMatch(
            code=gaz.codes[best.row],
            label=gaz.names_zh[best.row],
            label_en=gaz.names_en[best.row],
            lon=float(gaz.lon[best.row]),
            lat=float(gaz.lat[best.row]),
            grid_code=gaz.grids[best.row],
            score=round(best.score, 3),
            precision=_precision(gaz.kinds[best.row]),
            reasons=tuple(best.reasons),
            candidates=tuple(
                Candidate(
                    gaz.codes[s.row],
                    gaz.names_zh[s.row],
                    round(s.score, 3),
                    _precision(gaz.kinds[s.row]),
                )
                for s in ranked[:3]
            ),
        )

    def explain(self, text: str) -> tuple[str, ...]:
        """Why `text` matches what it matches, or why it matches nothing."""
        ranked, notes = self._resolve(text)
        if ranked and ranked[0].score >= self.threshold:
            return tuple(ranked[0].reasons)
        if self.gazetteer.source is None:
            return (f"the city has no address table ({ADDRESSES_FILE})",)
        if not text.strip():
            return ("the text is empty",)
        if not ranked:
            return (*notes, "no road, place or house number of the address table in the text")
        best, gaz = ranked[0], self.gazetteer
        below = (
            f"best reading {gaz.names_zh[best.row]} ({_precision(gaz.kinds[best.row])}) scored "
            f"{best.score:.2f}, below the threshold {self.threshold:.2f}"
        )
        return (*notes, below, *best.reasons)

    # --- resolution ------------------------------------------------------------------------------

    def _resolve(self, text: str) -> tuple[list[_Scored], list[str]]:
        gaz = self.gazetteer
        normalized = normalize(text)
        if not normalized.strip():
            return [], []
        mentions = scan_zh(gaz, normalized) + scan_en(gaz, normalized)
        kinds = {r.code for m in mentions if m.what == "kind" for r in m.refs}
        found: dict[int, _Scored] = {}

        def add(row: int, score: float, reasons: Iterable[str]) -> None:
            current = found.get(row)
            if current is None or score > current.score:
                found[row] = _Scored(row, score, list(reasons))

        for m in mentions:
            if m.what == "road":
                self._road_readings(m, kinds, add)
            elif m.what == "place":
                for ref in m.refs:
                    add(ref.row, 0.95, [f"place {gaz.names_zh[ref.row]} named in full"])
        if max((s.score for s in found.values()), default=0.0) < _SURE:
            areas = [m.text for m in mentions if m.what in ("district", "street", "community")]
            self._partial_places(normalized, areas, kinds, add)
        notes = self._context(mentions, found.values())
        ranked = sorted(
            found.values(),
            key=lambda s: (-s.score, _PRECISION_RANK[_precision(gaz.kinds[s.row])], s.row),
        )
        _penalise_ties(ranked, gaz)
        if not ranked and mentions:
            named = ", ".join(f"{m.what} {m.text}" for m in mentions)
            notes.append(f"recognised only {named}: not enough to place an address")
        return ranked, notes

    def _road_readings(self, m: Mention, kinds: set[str], add: _Add) -> None:
        gaz = self.gazetteer
        for ref, q, note in zip(m.refs, m.qualities, m.notes, strict=True):
            road = ref.row
            because = f"road {gaz.names_zh[road]} ({note})"
            if m.number is not None:
                house = gaz.houses.get(road, {}).get(m.number)
                if house is not None:
                    add(house, 0.6 + 0.4 * q, [because, f"{m.number_note} on that road"])
                else:
                    missing = f"no house number {m.number} on that road: its midpoint"
                    add(road, 0.7 * q, [because, missing])
            else:
                add(road, 0.75 * q, [because, "no house number: the road's midpoint"])
            for place in gaz.places_by_road.get(road, ()):
                if gaz.kinds[place] in kinds:
                    on_road = f"{gaz.kinds[place]} {gaz.names_zh[place]} lies on that road"
                    named_after = gaz.names_zh[place].startswith(gaz.names_zh[road])
                    add(place, 0.5 + 0.35 * q + (0.05 if named_after else 0.0), [because, on_road])

    def _partial_places(
        self, normalized: str, areas: list[str], kinds: set[str], add: _Add
    ) -> None:
        """Places sharing enough character pairs with the text; a pair inside a named district
        or street does not count alone (else "江城区" would find every place called 江城区…)."""
        gaz = self.gazetteer
        chars = "".join(c if is_cjk(c) else " " for c in normalized)
        grams = {chars[i : i + 2] for i in range(len(chars) - 1) if " " not in chars[i : i + 2]}
        area_grams = {a[i : i + 2] for a in areas for i in range(len(a) - 1)}
        counts: dict[int, list[int]] = {}
        for gram in grams:
            postings = gaz.bigrams.get(gram, ())
            if len(postings) <= _MAX_BIGRAM_POSTINGS:
                away = int(gram not in area_grams)
                for row in postings:
                    count = counts.setdefault(row, [0, 0])
                    count[0] += 1
                    count[1] += away
        for row, (hits, outside) in counts.items():
            coverage = hits / max(gaz.bigram_count[row], 1)
            kind_named = gaz.kinds[row] in kinds
            if coverage < 0.3 or outside == 0 or (hits < 2 and not kind_named):
                continue
            score = 0.4 + 0.4 * coverage + (0.15 if kind_named else 0.0)
            why = [f"place {gaz.names_zh[row]} named in part ({hits} of its character pairs)"]
            if kind_named:
                why.append(f"a {gaz.kinds[row]} is mentioned")
            add(row, score, why)

    def _context(self, mentions: list[Mention], scored: Iterable[_Scored]) -> list[str]:
        """Raise candidates inside the districts, streets, communities the text names."""
        gaz = self.gazetteer
        notes: list[str] = []
        levels = {"district": gaz.district, "street": gaz.street, "community": gaz.community}
        named: dict[str, set[str]] = {}
        for m in mentions:
            if m.what in ("district", "street", "community"):
                named.setdefault(m.what, set()).update(r.code for r in m.refs)
        if not named:
            return notes
        for s in scored:
            for level, codes in named.items():
                where = levels[level][s.row]
                label = " / ".join(gaz.jurisdiction_names[c][0] for c in sorted(codes))
                if where in codes:
                    s.score = min(1.0, s.score + 0.05)
                    s.reasons.append(f"{level} {label} mentioned")
                else:
                    s.score *= 0.8
                    s.reasons.append(f"not in the {level} mentioned ({label})")
        return notes


def _penalise_ties(ranked: list[_Scored], gaz: Gazetteer) -> None:
    """Readings tied at the top (same road name in several districts) lose 5% per rival."""
    if len(ranked) < 2:
        return
    top = ranked[0].score
    tied = [s for s in ranked if abs(s.score - top) < 1e-9]
    if len(tied) < 2:
        return
    factor = 1.0 - 0.05 * min(len(tied) - 1, 3)
    districts = sorted({d for s in tied if (d := gaz.district[s.row]) is not None})
    names = ", ".join(gaz.jurisdiction_names[d][0] for d in districts)
    for s in tied:
        s.score *= factor
        s.reasons.append(f"ambiguous: {len(tied)} equally good readings (in {names})")
