"""Held-out evaluation of the classifier: accuracy, macro-F1, calibration and triage rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from cityloop.dispatch.classify.model import DEFAULT_THRESHOLD, Classifier, Prediction

CALIBRATION_BINS = 10


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = CALIBRATION_BINS
) -> float:
    """Mean |accuracy − confidence| over equal-width confidence bins, weighted by bin size."""
    conf = np.asarray(confidences, dtype=np.float64)
    hits = np.asarray(correct, dtype=np.float64)
    if conf.size == 0:
        return 0.0
    which = np.minimum((conf * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(hits[members].mean() - conf[members].mean())
    return float(error)


def score(
    truth: Sequence[str], predictions: Sequence[Prediction], threshold: float
) -> dict[str, Any]:
    """The figures of a set of predictions against the true types."""
    predicted = [p.type_code for p in predictions]
    correct = [p == t for p, t in zip(predicted, truth, strict=True)]
    confidences = [p.confidence for p in predictions]
    auto = [c for c, p in zip(correct, predictions, strict=True) if p.confidence >= threshold]
    labels = sorted(set(truth))
    per_class = f1_score(truth, predicted, labels=labels, average=None, zero_division=0.0)
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(
            float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0.0)),
            4,
        ),
        "per_class_f1": {
            code: round(float(f), 4) for code, f in zip(labels, per_class, strict=True)
        },
        "ece": round(expected_calibration_error(confidences, correct), 4),
        "mean_confidence": round(float(np.mean(confidences)), 4) if confidences else 0.0,
        "threshold": threshold,
        "triage_rate": round(1.0 - len(auto) / len(predictions), 4) if predictions else 0.0,
        "accuracy_above_threshold": round(float(np.mean(auto)), 4) if auto else 0.0,
    }


def evaluate(
    examples: Sequence[tuple[str, str]],
    seed: int = 0,
    test_size: float = 0.2,
    threshold: float = DEFAULT_THRESHOLD,
    groups: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Train on a stratified split of (text, type_code) examples and score the held-out part.

    `groups` (parallel to `examples`, e.g. the language of each text) adds the accuracy of each
    group to the result.
    """
    texts = [t for t, _ in examples]
    labels = [c for _, c in examples]
    positions = np.arange(len(examples))
    train, test = train_test_split(
        positions, test_size=test_size, stratify=labels, random_state=seed
    )
    model = Classifier.train([examples[i] for i in train], seed=seed, threshold=threshold)
    predictions = model.predict_many([texts[i] for i in test])
    truth = [labels[i] for i in test]
    result: dict[str, Any] = {"n_train": int(train.size), "n_test": int(test.size)}
    result["seed"] = seed
    result |= score(truth, predictions, threshold)
    if groups is not None:
        by_group: dict[str, list[bool]] = {}
        for i, p in zip(test, predictions, strict=True):
            by_group.setdefault(groups[i], []).append(p.type_code == labels[i])
        result["accuracy_by_group"] = {
            g: round(float(np.mean(hits)), 4) for g, hits in sorted(by_group.items())
        }
    result["temperature"] = model.metadata["temperature"]
    return result
