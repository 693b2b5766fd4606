"""Reasons depend on what weighed, not on the order the features come in."""

from __future__ import annotations

import numpy as np

from cityloop.dispatch.classify.corpus import CorpusRow
from cityloop.dispatch.classify.features import ANALYZER_PARAMS, _counter, analyzer, normalize
from cityloop.dispatch.classify.model import Classifier
from cityloop.dispatch.classify.reasons import CANDIDATES, explain

TEXTS = [
    "晚上十一点了楼下广场舞还在放音乐，吵死了",
    "商场KTV包房里起火了，烟很大，旁边就是居民楼",
    "strong smell of gas in the stairwell, PM2.5爆表",
    "the night market downstairs is still blasting music at 2am",
]


def test_the_reasons_are_the_same_in_any_order_of_the_features(classifier: Classifier) -> None:
    features = classifier._features
    rng = np.random.default_rng(5)
    for text in TEXTS:
        idx, weights = features.vectorize(text)
        contributions = rng.permutation(weights)  # many ties among the top candidates
        contributions[: len(contributions) // 2] = contributions[0]
        assert np.count_nonzero(contributions > 0) > CANDIDATES
        reasons = explain(text, features.grams, idx, contributions)
        assert reasons
        for _ in range(5):
            order = rng.permutation(len(idx))
            assert explain(text, features.grams, idx[order], contributions[order]) == reasons


def test_a_text_has_the_same_features_alone_and_in_a_batch(classifier: Classifier) -> None:
    features = classifier._features
    matrix = features.matrix(TEXTS)
    for row, text in enumerate(TEXTS):
        idx, weights = features.vectorize(text)
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        assert idx.tolist() == matrix.indices[start:end].tolist()
        assert weights.tolist() == matrix.data[start:end].tolist()
        assert abs(float(np.dot(weights, weights)) - 1.0) < 1e-5


def test_empty_texts_have_no_features_and_keep_their_rows(
    classifier: Classifier,
) -> None:
    features = classifier._features
    matrix = features.matrix(["", TEXTS[0], "   "])
    assert matrix.shape == (3, features.size)
    assert matrix.indptr[1] == 0
    assert matrix.indptr[3] == matrix.indptr[2]
    assert matrix.indptr[2] > 0


def test_the_fast_analyzer_makes_the_training_vectorizers_ngrams_in_its_order(
    demo_corpus: list[CorpusRow],
) -> None:
    texts = [
        *(row.text for row in demo_corpus),
        *TEXTS,
        "",
        "  a  ",
        "PM2.5爆表!!",
        "x\ty\nz",
        "ÀÉÎ ünïcode",
    ]
    for params in (ANALYZER_PARAMS, {**ANALYZER_PARAMS, "lowercase": False}):
        reference = _counter(params).build_analyzer()
        fast = analyzer(params)
        for text in texts:
            assert fast(normalize(text)) == reference(normalize(text)), text
