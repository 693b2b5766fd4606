"""The event-type classifier: free text → event type, with a confidence and its reasons.

`Classifier.train` fits it from labelled examples (see `training`); `predict` answers for one
text in well under a millisecond, `predict_many` for a batch. A prediction whose confidence is
below the classifier's threshold (the human intervention threshold, 0.6 by default) says
`needs_triage`: the caller sends the event to the manual triage queue.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

from cityloop.dispatch.classify.features import FeatureSpace
from cityloop.dispatch.classify.reasons import explain_many
from cityloop.dispatch.classify.training import Weights, fit

DEFAULT_THRESHOLD = 0.6
FORMAT_VERSION = 1
MODEL_FILE = "classifier.joblib"
N_ALTERNATIVES = 3


class ModelFormatError(ValueError):
    """A saved model that this version of CityLoop cannot read."""


@dataclass(frozen=True, slots=True)
class Prediction:
    type_code: str
    confidence: float
    """Calibrated probability that `type_code` is right."""
    reasons: tuple[str, ...]
    """The n-grams that weighed most for `type_code` and what each added to its calibrated
    log-odds, e.g. `"夜市" (+1.42)`; empty when the text has no known n-gram."""
    alternatives: tuple[tuple[str, float], ...]
    """The three most likely types and their probabilities, best first (the chosen one first)."""
    needs_triage: bool
    """True when `confidence` is below `threshold`: a person must choose the type."""
    threshold: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_code,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "alternatives": [[code, p] for code, p in self.alternatives],
            "needs_triage": self.needs_triage,
        }


def _check_threshold(threshold: float) -> float:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"the triage threshold must lie in [0, 1], got {threshold}")
    return float(threshold)


class Classifier:
    """A trained model; immutable, so one instance can serve many threads."""

    def __init__(
        self, weights: Weights, metadata: dict[str, Any], threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        self._w = weights
        self._features: FeatureSpace = weights.features
        self._coef = weights.coef
        self._intercept = weights.intercept
        self._labels = weights.labels
        self._inv_t = 1.0 / weights.temperature
        self.metadata: dict[str, Any] = metadata
        self.threshold = _check_threshold(threshold)

    # -- training and persistence ------------------------------------------------------------

    @classmethod
    def train(
        cls,
        examples: Iterable[tuple[str, str]],
        confirmed: Iterable[tuple[str, str]] = (),
        *,
        threshold: float = DEFAULT_THRESHOLD,
        seed: int = 0,
        source: dict[str, Any] | None = None,
    ) -> Classifier:
        """Train on (text, type_code) examples plus confirmed (text, type_code) corrections.

        `source` is recorded in the metadata (e.g. the corpus file and its digest).
        """
        weights, data = fit(examples, confirmed, seed=seed)
        metadata = {
            "format": FORMAT_VERSION,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "n_examples": len(data.texts),
            "n_corpus": data.n_corpus,
            "n_confirmed": data.n_confirmed,
            "n_overridden": data.n_overridden,
            "n_features": weights.features.size,
            "labels": list(weights.labels),
            "temperature": round(weights.temperature, 4),
            "seed": seed,
            "sklearn_version": sklearn.__version__,
            "features": "char_wb n-grams 1-4, sublinear TF-IDF; linear SVM; softmax / T",
        } | (source or {})
        return cls(weights, metadata, threshold)

    def with_threshold(self, threshold: float) -> Classifier:
        """The same model with another triage threshold."""
        return Classifier(self._w, self.metadata, threshold)

    def save(self, path: Path) -> None:
        """Write the model to `path` atomically (plain arrays and lists, no pickled estimator)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT_VERSION,
            "metadata": self.metadata,
            "grams": self._features.grams,
            "idf": self._features.idf,
            "params": self._features.params,
            "coef": self._coef,
            "intercept": self._intercept,
            "labels": list(self._labels),
            "temperature": self._w.temperature,
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        os.close(fd)
        try:
            joblib.dump(payload, tmp, compress=3)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @classmethod
    def load(cls, path: Path, threshold: float = DEFAULT_THRESHOLD) -> Classifier:
        payload = joblib.load(Path(path))
        if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
            raise ModelFormatError(f"{path}: not a CityLoop classifier of format {FORMAT_VERSION}")
        params = dict(payload["params"])
        params["ngram_range"] = tuple(params["ngram_range"])
        features = FeatureSpace(list(payload["grams"]), payload["idf"], params)
        weights = Weights(
            features,
            np.ascontiguousarray(payload["coef"], dtype=np.float32),
            np.asarray(payload["intercept"], dtype=np.float32),
            tuple(payload["labels"]),
            float(payload["temperature"]),
        )
        return cls(weights, dict(payload["metadata"]), threshold)

    # -- prediction ---------------------------------------------------------------------------

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def predict(self, text: str, threshold: float | None = None) -> Prediction:
        """The most likely event type of `text`, with confidence, reasons and alternatives."""
        return self.predict_many([text], threshold)[0]

    def predict_many(
        self, texts: Sequence[str], threshold: float | None = None
    ) -> list[Prediction]:
        """`predict` for each text, in order, with one sparse matrix product for the batch and
        the reasons' candidates chosen for the whole batch at once."""
        limit = self.threshold if threshold is None else _check_threshold(threshold)
        matrix = self._features.matrix(texts)
        z = (np.asarray(matrix @ self._coef, dtype=np.float32) + self._intercept) * self._inv_t
        z = np.exp(z - z.max(axis=1, keepdims=True))
        probs = z / z.sum(axis=1, keepdims=True)
        tops = np.argsort(-probs, axis=1)[:, :N_ALTERNATIVES]
        indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(indptr))
        # what each feature added to its text's chosen type's calibrated log-odds
        contributions = data * self._coef[indices, tops[rows, 0]] * self._inv_t
        reasons = explain_many(texts, self._features.grams, rows, indices, contributions)
        top_probs: list[list[float]] = np.take_along_axis(probs, tops, axis=1).tolist()
        top_labels = [[self._labels[i] for i in row] for row in tops.tolist()]
        predictions = []
        for labels, chances, why in zip(top_labels, top_probs, reasons, strict=True):
            confidence = round(chances[0], 4)
            predictions.append(
                Prediction(
                    type_code=labels[0],
                    confidence=confidence,
                    reasons=why,
                    alternatives=tuple(
                        (label, round(p, 4)) for label, p in zip(labels, chances, strict=True)
                    ),
                    needs_triage=confidence < limit or not why,
                    threshold=limit,
                )
            )
        return predictions

    def describe(self) -> dict[str, Any]:
        """The metadata plus the current threshold (for `train` summaries and status pages)."""
        return self.metadata | {"threshold": self.threshold}


def model_path(model_dir: Path) -> Path:
    return Path(model_dir) / MODEL_FILE
