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


def _latin_word(raw: str, core: str, words: list[tuple[str, list[str]]]) -> str | None:
    """The word of the text (padded with spaces, like the analyzer's n-grams, and given with
    its Latin tokens) holding `raw` (`core`: without its padding); in a mixed word such as
    "pm2.5爆表", only its Latin part."""
    for word, tokens in words:
        if raw in word:
            for token in tokens:
                if core in token:
                    return token.strip(_STRIP) or None
    return None


def _candidate_order(
    rows: IntArray, idx: IntArray, contributions: FloatArray, n_rows: int
) -> tuple[IntArray, IntArray]:
    """Positions of each row's candidates, grouped by row, and where each row's group starts.

    The candidates of a row are its positive contributions, in feature order; when there are
    more than `CANDIDATES`, the strongest, ties broken by n-gram index, so that the reasons are
    the same whatever the order of the features (a text alone or in a batch).
    """
    positive = np.flatnonzero(contributions > 0)
    counts = np.bincount(rows[positive], minlength=n_rows)
    many = counts[rows[positive]] > CANDIDATES
    strength = np.where(many, -contributions[positive], np.float32(0.0))
    order = positive[np.lexsort((idx[positive], strength, rows[positive]))]
    starts = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    rank = np.arange(order.size) - starts[rows[order]]
    kept = order[rank < CANDIDATES]
    bounds = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.minimum(counts, CANDIDATES), out=bounds[1:])
    return kept, bounds


def explain_many(
    texts: Sequence[str],
    grams: Sequence[str],
    rows: IntArray,
    idx: IntArray,
    contributions: FloatArray,
) -> list[tuple[str, ...]]:
    """`explain` for each text of a batch, from the (row, n-gram, contribution) entries of all
    of them: the candidates are chosen for the whole batch in a few array operations."""
    kept, bounds = _candidate_order(rows, idx, contributions, len(texts))
    names = [grams[i] for i in idx[kept].tolist()]
    values: list[float] = contributions[kept].tolist()
    cuts = bounds.tolist()
    return [
        readable(text, names[cuts[r] : cuts[r + 1]], values[cuts[r] : cuts[r + 1]])
        for r, text in enumerate(texts)
    ]


def explain(
    text: str, grams: Sequence[str], idx: IntArray, contributions: FloatArray
) -> tuple[str, ...]:
    """Up to `N_REASONS` readable reasons, strongest first (see the module docstring)."""
    rows = np.zeros(len(idx), dtype=np.int64)
    return explain_many([text], grams, rows, idx, contributions)[0]


def readable(text: str, raws: list[str], values: list[float]) -> tuple[str, ...]:
    """The reasons that candidate n-grams ``raws`` (with their contributions) make in `text`."""
    if not raws:
        return ()
    stripped = [raw.strip() for raw in raws]
    # the longer candidates in one string: a character is in one of them if it is in it
    longer = "\x00".join(g for g in stripped if len(g) > 1)
    words: list[tuple[str, list[str]]] | None = None
    totals: dict[str, float] = {}
    for raw, gram, value in zip(raws, stripped, values, strict=True):
        if gram.isascii():
            if len(gram) < 2:
                continue
            if words is None:
                padded = (f" {w} " for w in normalize(text).lower().split())
                words = [(w, _LATIN.findall(w)) for w in padded]
            key = _latin_word(raw, gram, words)
            if key is None:
                continue
        elif len(gram) == 1 and gram in longer:
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
