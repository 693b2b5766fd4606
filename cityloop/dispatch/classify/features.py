"""Text → features: character n-grams inside word boundaries, weighted by sublinear TF-IDF.

The weighting is scikit-learn's `TfidfVectorizer(sublinear_tf=True)`: tf = 1 + ln(count),
idf = ln((1 + n) / (1 + df)) + 1, rows scaled to unit length. Training counts the n-grams of
every text once (`count_ngrams`) and derives each fold's TF-IDF from the counts (`tfidf`). A
fitted `FeatureSpace` keeps only the vocabulary, the IDF weights and the analyzer settings, and
turns a batch of texts into (feature indices, weights) with its n-grams coded as integer
windows (`windows`), at a fraction of the per-call overhead of a vectorizer's `transform`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize as sk_normalize

from cityloop.dispatch.classify import windows

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


def char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """The n-grams of scikit-learn's ``char_wb`` analyzer, in its order: each word padded
    with a space on both sides, its n-grams for n from ``min_n`` to ``max_n`` (a word no
    longer than n counted once, whole), built with list comprehensions rather than its loop."""
    out: list[str] = []
    for word in text.split():
        w = f" {word} "
        size = len(w)
        for n in range(min_n, max_n + 1):
            if size <= n:
                out.append(w)
                break
            out.extend([w[i : i + n] for i in range(size - n + 1)])
    return out


def analyzer(params: dict[str, Any]) -> Callable[[str], list[str]]:
    """Text → n-grams as the vectorizer of ``params`` makes them at training time."""
    lowercase = bool(params["lowercase"])
    if params["analyzer"] == "char_wb":
        low, high = (int(v) for v in params["ngram_range"])
        if lowercase:
            return lambda text: char_wb_ngrams(text.lower(), low, high)
        return lambda text: char_wb_ngrams(text, low, high)
    built: Callable[[str], list[str]] = _counter(params).build_analyzer()
    return built


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
    _windows: windows.WindowCoder | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._analyze = analyzer(self.params)
        self._windows = (
            windows.WindowCoder(self.grams, self.params) if windows.supports(self.params) else None
        )
        # the string path's table, kept only for settings the window coding does not reproduce
        self._index = {} if self._windows is not None else {g: i for i, g in enumerate(self.grams)}

    @property
    def size(self) -> int:
        return len(self.grams)

    def vectorize(self, text: str) -> tuple[IntArray, FloatArray]:
        """Indices of the known n-grams of `text` and their TF-IDF weights (unit length)."""
        _, indices, data = self._rows([text])
        return indices, data

    def matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The TF-IDF rows of many texts, as one sparse matrix (rows in order)."""
        indptr, indices, data = self._rows(texts)
        return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), self.size))

    def occurrences(self, texts: Sequence[str]) -> tuple[IntArray, IntArray]:
        """(row, column) of every occurrence of a known n-gram in the texts: coded as integer
        windows for the ``char_wb`` settings (`windows`), one dictionary look-up per n-gram
        string otherwise. Both give the same occurrences; their order may differ."""
        normalised = [normalize(t) for t in texts]
        if self._windows is not None:
            return self._windows.columns(normalised)
        get = self._index.get
        columns: list[int] = []
        ends = np.empty(len(texts), dtype=np.int64)
        for row, text in enumerate(normalised):
            columns.extend(map(get, self._analyze(text), repeat(-1)))
            ends[row] = len(columns)
        col = np.array(columns, dtype=np.int64)
        row_of = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(ends, prepend=0))
        known = col >= 0  # -1: an n-gram the model does not know
        return row_of[known], col[known]

    def _rows(self, texts: Sequence[str]) -> tuple[IntArray, IntArray, FloatArray]:
        """CSR arrays (indptr, column indices, weights) of the texts' TF-IDF rows, columns in
        ascending order: the known n-gram occurrences of the batch, then their counting,
        weighting and scaling in a few array operations."""
        n = len(texts)
        row_of, col = self.occurrences(texts)
        keys, tf = np.unique(row_of * self.size + col, return_counts=True)
        rows = keys // self.size
        cols = keys - rows * self.size
        weights = (np.log(tf.astype(np.float32)) + np.float32(1.0)) * self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=n))
        data: FloatArray = (weights / norms[rows]).astype(np.float32)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return indptr, cols.astype(np.int32), data

    def display(self, index: int) -> str:
        """An n-gram as a person reads it (the word-boundary padding removed)."""
        return self.grams[index].strip()
