"""Find the names of a gazetteer in free text: roads (with their house numbers), places,
jurisdictions and place-kind words, in Chinese and in English.

Chinese is scanned character by character against the name dict (only the key lengths that
start with the current character are tried); English token by token against the phrase dict,
with a typo-tolerant lookup for words that match nothing. Overlapping hits keep the longest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cityloop.dispatch.address.gazetteer import (
    EN_ROAD_SUFFIXES,
    KIND_WORDS_EN,
    ZH_ROAD_SUFFIXES,
    Gazetteer,
    Ref,
)
from cityloop.dispatch.address.normalize import en_tokens

_ZH_NUMBER = re.compile(r"\s*(?:的|上|no\s*)?\s*(\d{1,5})\s*([号號])?")
_ZH_NUMBER_BEFORE = re.compile(r"(\d{1,5})\s*[号號]\s*$")
#: Characters after a bare number that make it a count, not a house number (3个, 5米…).
_COUNT_UNITS = frozenset("个米辆只条棵次天年月日点分台块根层楼栋幢单元人户家多余")
_EN_STOPWORDS = frozenset(
    {
        "near", "there", "here", "from", "with", "have", "been", "this", "that", "what", "when",
        "where", "which", "while", "about", "after", "before", "under", "over", "some", "many",
        "much", "more", "most", "very", "just", "also", "than", "then", "them", "they", "their",
        "your", "into", "onto", "upon", "next", "side", "open", "left", "right", "front", "back",
        "outside", "inside", "behind", "opposite", "corner", "broken", "water", "light", "lights",
        "please", "report", "missing", "cover", "manhole", "noise", "rubbish", "trash", "garbage",
        "smell", "street", "road", "avenue", "lane", "the", "and", "for",
    }
)  # fmt: skip

Hit = tuple[int, int, list[Ref], str, float]
"""(start, end, references, note, scale) of a name found in the text; a typo has a note and a
scale below 1."""


@dataclass(frozen=True, slots=True)
class Mention:
    """A name found in the text and what it may refer to."""

    what: str
    """road, place, district, street, community or kind."""
    refs: tuple[Ref, ...]
    qualities: tuple[float, ...]
    """How well the text names each reference (1.0 exact), parallel to `refs`."""
    notes: tuple[str, ...]
    """Why each quality is what it is ("exact", "without its suffix"…), parallel to `refs`."""
    text: str
    number: int | None = None
    number_note: str = ""


def _longest_first(hits: list[Hit]) -> list[Hit]:
    hits.sort(key=lambda h: (h[0] - h[1], h[0]))
    taken: list[Hit] = []
    for hit in hits:
        if all(hit[1] <= t[0] or hit[0] >= t[1] for t in taken):
            taken.append(hit)
    return sorted(taken, key=lambda h: h[0])


def _group(refs: list[Ref]) -> dict[str, list[Ref]]:
    out: dict[str, list[Ref]] = {}
    for ref in refs:
        what = "road" if ref.what == "road_base" else ref.what
        out.setdefault(what, []).append(ref)
    return out


def _road_qualities(
    refs: list[Ref], own: dict[int, str], suffix: str, hit: Hit, base_q: float
) -> tuple[tuple[float, ...], tuple[str, ...]]:
    note, scale = hit[3], hit[4]
    qualities, notes = [], []
    for ref in refs:
        own_suffix = own.get(ref.row, "")
        if ref.what == "road" or (suffix and suffix == own_suffix):
            q, why = 1.0, "exact"
        elif suffix:
            q, why = 0.85, f"suffix {suffix} instead of {own_suffix or 'none'}"
        else:
            q, why = base_q, "named without its suffix"
        if note:
            why = note if why == "exact" else f"{note}, {why}"
        qualities.append(round(q * scale, 3))
        notes.append(why)
    return tuple(qualities), tuple(notes)


def _mentions(
    hits: list[Hit], own: dict[int, str], suffix_at: dict[int, str], base_q: float
) -> list[tuple[int, int, str, Mention]]:
    """(start, end, suffix, mention) of the chosen hits; `suffix` is the road suffix that follows
    a road named by its base alone (the caller extends the span over it)."""
    out = []
    for hit in hits:
        start, end, refs = hit[0], hit[1], hit[2]
        for what, group in _group(refs).items():
            suffix = ""
            if what == "road":
                if all(r.what == "road_base" for r in group):
                    suffix = suffix_at.get(end, "")
                qs, notes = _road_qualities(group, own, suffix, hit, base_q)
            else:
                qs, notes = tuple(1.0 for _ in group), tuple("exact" for _ in group)
            out.append((start, end, suffix, Mention(what, tuple(group), qs, notes, "")))
    return out


def scan_zh(gaz: Gazetteer, text: str) -> list[Mention]:
    """Names in the Chinese parts of a normalised text, house numbers attached to roads."""
    hits: list[Hit] = []
    n = len(text)
    for i, char in enumerate(text):
        for length in gaz.zh_lengths.get(char, ()):
            if i + length <= n and (refs := gaz.zh.get(text[i : i + length])):
                hits.append((i, i + length, refs, "", 1.0))
                break
    chosen = _longest_first(hits)
    suffix_at = {
        h[1]: next((s for s in ZH_ROAD_SUFFIXES if text.startswith(s, h[1])), "") for h in chosen
    }
    out = []
    for start, end, suffix, mention in _mentions(chosen, gaz.road_suffix_zh, suffix_at, 0.65):
        stop = end + len(suffix)
        number, note = _zh_number(text, start, stop) if mention.what == "road" else (None, "")
        out.append(_with(mention, text[start:stop], number, note))
    return out


def _zh_number(text: str, start: int, end: int) -> tuple[int | None, str]:
    found = _ZH_NUMBER.match(text, end)
    if found is None:
        before = _ZH_NUMBER_BEFORE.search(text, 0, start)
        if before is not None:
            number = int(before.group(1))
            return number, f"house number {number} (written before the road)"
        return None, ""
    number = int(found.group(1))
    if found.group(2):
        return number, f"house number {number}"
    if text[found.end() : found.end() + 1] in _COUNT_UNITS:
        return None, ""
    return number, f"house number {number} (written without 号)"


def _with(mention: Mention, text: str, number: int | None, note: str) -> Mention:
    return Mention(mention.what, mention.refs, mention.qualities, mention.notes, text, number, note)


def scan_en(gaz: Gazetteer, text: str) -> list[Mention]:
    """Names in the Latin parts of a normalised text, house numbers attached to roads."""
    tokens = en_tokens(text)
    if not tokens:
        return []
    hits: list[Hit] = []
    n = len(tokens)
    for i in range(n):
        for length in range(min(gaz.en_max_tokens, n - i), 0, -1):
            if refs := gaz.en.get(" ".join(tokens[i : i + length])):
                hits.append((i, i + length, refs, "", 1.0))
                break
    covered = {k for h in hits for k in range(h[0], h[1])}
    for i, token in enumerate(tokens):
        if i in covered or len(token) < 4 or not token.isalpha():
            continue
        if token in _EN_STOPWORDS or token in KIND_WORDS_EN:
            continue
        words = gaz.fuzzy_words(token)
        refs = [r for w, _d in words for r in gaz.en.get(w, []) if r.what == "road_base"]
        if refs:
            distance = words[0][1]
            note = f"typo {token!r}, edit distance {distance}"
            hits.append((i, i + 1, refs, note, 0.85 if distance == 1 else 0.7))
    chosen = _longest_first(hits)
    suffix_at = {
        h[1]: tokens[h[1]] for h in chosen if h[1] < n and tokens[h[1]] in EN_ROAD_SUFFIXES
    }
    out = []
    for start, end, suffix, mention in _mentions(chosen, gaz.road_suffix_en, suffix_at, 0.7):
        stop = end + (1 if suffix else 0)
        number, note = _en_number(tokens, start, stop) if mention.what == "road" else (None, "")
        out.append(_with(mention, " ".join(tokens[start:stop]), number, note))
    return out


def _en_number(tokens: Sequence[str], start: int, end: int) -> tuple[int | None, str]:
    if start > 0 and tokens[start - 1].isdigit() and len(tokens[start - 1]) <= 5:
        number = int(tokens[start - 1])
        return number, f"house number {number}"
    after = tokens[end : end + 2]
    if after and after[0] == "no":
        after = after[1:]
    if after and after[0].isdigit() and len(after[0]) <= 5:
        number = int(after[0])
        return number, f"house number {number}"
    return None, ""
