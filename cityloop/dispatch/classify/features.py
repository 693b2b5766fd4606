"""Text → features: character n-grams inside word boundaries, weighted by sublinear TF-IDF.

The weighting is scikit-learn's `TfidfVectorizer(sublinear_tf=True)`: tf = 1 + ln(count),
idf = ln((1 + n) / (1 + df)) + 1, rows scaled to unit length. Training counts the n-grams of
every text once (`count_ngrams`) and derives each fold's TF-IDF from the counts (`tfidf`). A
fitted `FeatureSpace` keeps only the vocabulary, the IDF weights and the analyzer settings, and
turns a text into (feature indices, weights) with one dictionary look-up per n-gram, at a
fraction of the per-call overhead of a vectorizer's `transform`.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize as sk_normalize

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.signedinteger[Any]]

#: Settings of the n-gram analyzer; stored with every model so that a saved model is read back
#: with the analyzer it was trained with.
ANALYZER_PARAMS: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (1, 4),
    "lowercase": True,
}


def normalize(text: str) -> str:
    """Fold full-width forms and compatibility characters (ＰＭ２.５ → PM2.5, ，→ ,)."""
    return unicodedata.normalize("NFKC", text)


def _counter(params: dict[str, Any]) -> CountVectorizer:
    return CountVectorizer(
        analyzer=params["analyzer"],
        ngram_range=tuple(params["ngram_range"]),
        lowercase=params["lowercase"],
        dtype=np.int32,
    )


def count_ngrams(
    texts: Sequence[str], params: dict[str, Any]
) -> tuple[sparse.csr_matrix, list[str]]:
    """(n_texts, n_grams) counts of every n-gram of the (normalised) texts, and the n-grams."""
    counter = _counter(params)
    counts = sparse.csr_matrix(counter.fit_transform([normalize(t) for t in texts]))
    return counts, [str(g) for g in counter.get_feature_names_out()]


def idf_of(counts: sparse.csr_matrix) -> FloatArray:
    """Smoothed inverse document frequency of each column of `counts`."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    n = counts.shape[0]
    idf: FloatArray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    return idf


def tfidf(counts: sparse.csr_matrix, idf: FloatArray) -> sparse.csr_matrix:
    """Sublinear TF-IDF rows of unit length from raw counts."""
    weighted = sparse.csr_matrix(counts, dtype=np.float32, copy=True)
    weighted.data = (np.log(weighted.data) + 1.0).astype(np.float32)
    weighted = sparse.csr_matrix(weighted.multiply(idf[np.newaxis, :]), dtype=np.float32)
    return sparse.csr_matrix(sk_normalize(weighted, norm="l2", copy=False))


@dataclass
class FeatureSpace:
    """A fitted vocabulary: n-gram strings, their IDF weights and the analyzer that made them."""

    grams: list[str]
    idf: FloatArray
    params: dict[str, Any]
    _index: dict[str, int] = field(init=False, repr=False)
    _analyze: Callable[[str], list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {g: i for i, g in enumerate(self.grams)}
        self._analyze = _counter(self.params).build_analyzer()

    @property
    def size(self) -> int:
        return len(self.grams)

    def vectorize(self, text: str) -> tuple[IntArray, FloatArray]:
        """Indices of the known n-grams of `text` and their TF-IDF weights (unit length)."""
        # counted by column (None: an n-gram the model does not know), in order of first use
        counts = Counter(map(self._index.get, self._analyze(normalize(text))))
        counts.pop(None, None)
        if not counts:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        idx = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        weights: FloatArray = (np.log(tf) + np.float32(1.0)) * self.idf[idx]
        weights /= np.sqrt(np.dot(weights, weights))
        return idx, weights

    def matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The TF-IDF rows of many texts, as one sparse matrix (rows in order)."""
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        chunks_i: list[IntArray] = []
        chunks_w: list[FloatArray] = []
        for row, text in enumerate(texts):
            idx, weights = self.vectorize(text)
            chunks_i.append(idx)
            chunks_w.append(weights)
            indptr[row + 1] = indptr[row] + idx.size
        indices = np.concatenate(chunks_i) if chunks_i else np.empty(0, dtype=np.int32)
        data = np.concatenate(chunks_w) if chunks_w else np.empty(0, dtype=np.float32)
        return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), self.size))

    def display(self, index: int) -> str:
        """An n-gram as a person reads it (the word-boundary padding removed)."""
        return self.grams[index].strip()
