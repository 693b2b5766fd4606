"""The window coding of n-grams finds exactly the n-grams the string analyzer makes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from cityloop.dispatch.classify.corpus import CorpusRow
from cityloop.dispatch.classify.features import (
    ANALYZER_PARAMS,
    FeatureSpace,
    analyzer,
    count_ngrams,
    normalize,
)
from cityloop.dispatch.classify.windows import WindowCoder, supports


def by_strings(
    grams: Sequence[str], params: dict[str, Any], texts: Sequence[str]
) -> Counter[tuple[int, int]]:
    """(row, vocabulary index) occurrences as the string analyzer and a dictionary find them."""
    index = {g: i for i, g in enumerate(grams)}
    analyze = analyzer(params)
    found: Counter[tuple[int, int]] = Counter()
    for row, text in enumerate(texts):
        for gram in analyze(normalize(text)):
            if gram in index:
                found[(row, index[gram])] += 1
    return found


def by_windows(
    grams: Sequence[str], params: dict[str, Any], texts: Sequence[str]
) -> Counter[tuple[int, int]]:
    rows, cols = WindowCoder(grams, params).columns([normalize(t) for t in texts])
    return Counter(zip(rows.tolist(), cols.tolist(), strict=True))


def test_the_whole_corpus_gives_the_same_occurrences_as_the_string_analyzer(
    demo_corpus: list[CorpusRow],
) -> None:
    texts = [row.text for row in demo_corpus]
    _, grams = count_ngrams(texts, ANALYZER_PARAMS)
    assert by_windows(grams, ANALYZER_PARAMS, texts) == by_strings(grams, ANALYZER_PARAMS, texts)


EDGE_TEXTS = [
    "",
    "   ",
    "a",
    "Pothole ON main road",
    "ＰＭ２.５ 超标，噪音扰民",
    "unknown ∑∑ chars 🚧 beyond the alphabet",
    "nul\x00inside a word",
    "tabs\tand\nnew\u3000lines\x1cand separators",
    "x y z",
]


@pytest.mark.parametrize(
    "params",
    [
        ANALYZER_PARAMS,
        {"analyzer": "char_wb", "ngram_range": (2, 3), "lowercase": False},
        {"analyzer": "char_wb", "ngram_range": (3, 5), "lowercase": True},
    ],
)
def test_edge_texts_give_the_same_occurrences_as_the_string_analyzer(
    params: dict[str, Any],
) -> None:
    vocabulary_texts = ["pothole on main road", "PM2.5 超标 噪音", "a x y", "word inside lines"]
    _, grams = count_ngrams(vocabulary_texts, params)
    assert by_windows(grams, params, EDGE_TEXTS) == by_strings(grams, params, EDGE_TEXTS)


def test_a_batch_of_texts_without_words_has_no_occurrences() -> None:
    rows, cols = WindowCoder(["a", " a "], ANALYZER_PARAMS).columns(["", "  "])
    assert rows.size == 0
    assert cols.size == 0


def test_settings_it_cannot_reproduce_are_refused() -> None:
    assert not supports({"analyzer": "char", "ngram_range": (1, 4), "lowercase": True})
    assert not supports({"analyzer": "char_wb", "ngram_range": (4, 5), "lowercase": True})
    with pytest.raises(ValueError, match="does not reproduce"):
        WindowCoder(["ab"], {"analyzer": "word", "ngram_range": (1, 1), "lowercase": True})


def test_a_feature_space_of_other_settings_still_vectorizes_through_strings() -> None:
    params = {"analyzer": "char", "ngram_range": (2, 2), "lowercase": True}
    _, grams = count_ngrams(["abc abd"], params)
    space = FeatureSpace(grams, np.ones(len(grams), dtype=np.float32), params)
    indices, weights = space.vectorize("ABC")
    assert sorted(space.grams[i] for i in indices) == ["ab", "bc"]
    assert weights.tolist() == pytest.approx([2**-0.5, 2**-0.5])
