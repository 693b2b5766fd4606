"""Fitting the classifier: TF-IDF features, a linear SVM, and a calibrated temperature.

A linear SVM gives one margin per class. Its confidence is the softmax of the margins divided by
a temperature T; T is fitted (maximum likelihood) on out-of-fold margins of a stratified k-fold
split of the same training set, so that a confidence of 0.8 means right about 8 times in 10 on
texts the model has not seen.

Confirmed examples (closed events whose type a person confirmed) weigh more than corpus
examples, and a corpus example whose text a person has since labelled differently is dropped:
the person's word wins.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from cityloop.dispatch.classify.features import (
    ANALYZER_PARAMS,
    FeatureSpace,
    FloatArray,
    count_ngrams,
    idf_of,
    normalize,
    tfidf,
)

#: Regularisation of the SVM (larger: fits the training texts more closely).
SVM_C = 1.0
SVM_TOL = 1e-3
#: How much one confirmed example weighs against one corpus example.
CONFIRMED_WEIGHT = 3.0
#: Folds used to fit the temperature.
CALIBRATION_FOLDS = 3
MIN_EXAMPLES_PER_TYPE = 2


@dataclass(frozen=True)
class Weights:
    """Everything prediction needs: features, one column of weights per label, temperature."""

    features: FeatureSpace
    coef: FloatArray
    """(n_features, n_labels) SVM weights, so that a text's few features select a few rows."""
    intercept: FloatArray
    labels: tuple[str, ...]
    temperature: float


@dataclass(frozen=True)
class TrainingSet:
    texts: list[str]
    labels: list[str]
    weights: npt.NDArray[np.float64]
    n_corpus: int
    n_confirmed: int
    n_overridden: int
    """Corpus examples dropped because a person confirmed the same text as another type."""


def training_set(
    examples: Iterable[tuple[str, str]], confirmed: Iterable[tuple[str, str]] = ()
) -> TrainingSet:
    """Merge corpus examples and confirmed examples into weighted, normalised texts."""
    corpus = [(normalize(text).strip(), code) for text, code in examples]
    extra = [(normalize(text).strip(), code) for text, code in confirmed]
    for text, code in (*corpus, *extra):
        if not text or not code:
            raise ValueError(f"an example needs a text and a type code, got {(text, code)!r}")
    confirmed_as = dict(extra)
    kept = [(t, c) for t, c in corpus if confirmed_as.get(t, c) == c]
    texts = [t for t, _ in kept] + [t for t, _ in extra]
    labels = [c for _, c in kept] + [c for _, c in extra]
    weights = np.concatenate([np.ones(len(kept)), np.full(len(extra), CONFIRMED_WEIGHT)])
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("training needs examples of at least two event types")
    scarce = sorted(code for code, n in counts.items() if n < MIN_EXAMPLES_PER_TYPE)
    if scarce:
        raise ValueError(
            f"every event type needs at least {MIN_EXAMPLES_PER_TYPE} examples; "
            f"too few for {', '.join(scarce)}"
        )
    return TrainingSet(texts, labels, weights, len(kept), len(extra), len(corpus) - len(kept))


def _fit_svm(
    counts: sparse.csr_matrix,
    grams: Sequence[str],
    labels: npt.NDArray[np.str_],
    weights: npt.NDArray[np.float64],
    seed: int,
) -> Weights:
    """Fit on the rows of `counts`; the vocabulary is the n-grams these rows contain."""
    present = np.flatnonzero(np.bincount(counts.indices, minlength=counts.shape[1]))
    counts = sparse.csr_matrix(counts[:, present])
    idf = idf_of(counts)
    svm = LinearSVC(C=SVM_C, dual=True, tol=SVM_TOL, max_iter=20_000, random_state=seed)
    svm.fit(tfidf(counts, idf), labels, sample_weight=weights)
    coef = np.asarray(svm.coef_, dtype=np.float32)
    intercept = np.asarray(svm.intercept_, dtype=np.float32)
    classes = tuple(str(c) for c in svm.classes_)
    if len(classes) == 2:  # a binary SVM has one margin: that of the second class
        coef = np.vstack([-coef, coef])
        intercept = np.concatenate([-intercept, intercept])
    features = FeatureSpace([grams[int(i)] for i in present], idf, dict(ANALYZER_PARAMS))
    return Weights(features, np.ascontiguousarray(coef.T), intercept, classes, 1.0)


def margins(weights: Weights, texts: Sequence[str]) -> FloatArray:
    """(n_texts, n_labels) SVM margins."""
    matrix = weights.features.matrix(texts)
    return np.asarray(matrix @ weights.coef, dtype=np.float32) + weights.intercept


def fit_temperature(scores: FloatArray, truth: npt.NDArray[np.int64]) -> float:
    """The temperature T minimising the log loss of softmax(scores / T)."""

    def loss(log_t: float) -> float:
        logp = log_softmax(scores / math.exp(log_t), axis=1)
        return float(-logp[np.arange(truth.size), truth].mean())

    result = minimize_scalar(loss, bounds=(math.log(0.01), math.log(10.0)), method="bounded")
    return float(math.exp(result.x))


def _out_of_fold_temperature(
    data: TrainingSet, counts: sparse.csr_matrix, grams: Sequence[str], seed: int
) -> float:
    # With no more folds than the rarest type has examples, every fold trains on every type.
    folds = min(CALIBRATION_FOLDS, *Counter(data.labels).values())
    labels = np.asarray(data.labels)
    all_scores: list[FloatArray] = []
    all_truth: list[npt.NDArray[np.int64]] = []
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in split.split(np.zeros(labels.size), labels):
        fold = _fit_svm(counts[train], grams, labels[train], data.weights[train], seed)
        position = {code: i for i, code in enumerate(fold.labels)}
        all_scores.append(margins(fold, [data.texts[i] for i in test]))
        all_truth.append(np.array([position[c] for c in labels[test]], dtype=np.int64))
    return fit_temperature(np.vstack(all_scores), np.concatenate(all_truth))


def fit(
    examples: Iterable[tuple[str, str]],
    confirmed: Iterable[tuple[str, str]] = (),
    seed: int = 0,
) -> tuple[Weights, TrainingSet]:
    """Fit the model on corpus examples plus confirmed examples; deterministic for a seed."""
    data = training_set(examples, confirmed)
    counts, grams = count_ngrams(data.texts, ANALYZER_PARAMS)
    temperature = _out_of_fold_temperature(data, counts, grams, seed)
    fitted = _fit_svm(counts, grams, np.asarray(data.labels), data.weights, seed)
    return (
        Weights(fitted.features, fitted.coef, fitted.intercept, fitted.labels, temperature),
        data,
    )
