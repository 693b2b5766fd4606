"""Readable reasons for a prediction: which parts of the text weighed most for the chosen type.

A reason is a piece of the text and its contribution (feature weight × coefficient, divided by
the temperature: what it added to the chosen type's calibrated log-odds), e.g. `"夜市" (+1.42)`.
Character n-grams are made readable first:

- a Latin n-gram ("mell") stands for the word of the text it came from ("smell"), and the
  contributions of a word's n-grams are added up; single Latin letters are left out;
- a Chinese single character is left out when a longer n-gram containing it also weighed for
  the type ("夜" beside "夜市"), and an n-gram that contains, or lies inside, a stronger one
  already chosen adds nothing new ("楼下夜" after "楼下").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from cityloop.dispatch.classify.features import FloatArray, IntArray, normalize

N_REASONS = 5
#: Only the strongest contributions are considered (they are the only ones that can be shown).
CANDIDATES = 20
_LATIN = re.compile(r"[\x21-\x7e]+")
_STRIP = "\"'.,;:!?()[]{}<>-_/\\|*~`@#$%^&+=，。！？、；：…“”‘’（）《》【】"


def _latin_word(raw: str, words: list[tuple[str, list[str]]]) -> str | None:
    """The word of the text (padded with spaces, like the analyzer's n-grams, and given with
    its Latin tokens) holding `raw`; in a mixed word such as "pm2.5爆表", only its Latin part."""
    core = raw.strip()
    for word, tokens in words:
        if raw in word:
            for token in tokens:
                if core in token:
                    return token.strip(_STRIP) or None
    return None


def explain(
    text: str, grams: Sequence[str], idx: IntArray, contributions: FloatArray
) -> tuple[str, ...]:
    """Up to `N_REASONS` readable reasons, strongest first (see the module docstring)."""
    positive = np.flatnonzero(contributions > 0)
    if positive.size == 0:
        return ()
    if positive.size > CANDIDATES:
        # the strongest, ties broken by n-gram index: the same reasons whatever the order of
        # the features (a text alone or in a batch)
        strongest = np.lexsort((idx[positive], -contributions[positive]))[:CANDIDATES]
        positive = positive[strongest]
    # Python values at once, not one NumPy scalar at a time
    raws = [grams[i] for i in idx[positive].tolist()]
    values: list[float] = contributions[positive].tolist()
    stripped = [raw.strip() for raw in raws]
    longer = [g for g in stripped if len(g) > 1]
    words: list[tuple[str, list[str]]] | None = None
    totals: dict[str, float] = {}
    for raw, gram, value in zip(raws, stripped, values, strict=True):
        if gram.isascii():
            if len(gram) < 2:
                continue
            if words is None:
                padded = (f" {w} " for w in normalize(text).lower().split())
                words = [(w, _LATIN.findall(w)) for w in padded]
            key = _latin_word(raw, words)
            if key is None:
                continue
        elif len(gram) == 1 and any(gram in other for other in longer):
            continue
        else:
            key = gram.strip(_STRIP)
            if not key:
                continue
        totals[key] = totals.get(key, 0.0) + value
    chosen: list[tuple[str, float]] = []
    for key, value in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(chosen) == N_REASONS:
            break
        if any(key in seen or seen in key for seen, _ in chosen):
            continue
        chosen.append((key, value))
    return tuple(f'"{key}" ({value:+.2f})' for key, value in chosen)
