"""The classifier of one city, loaded once and shared: `ClassifierService`.

The model lives in a model directory (by default `var/models/<city code>/classifier.joblib`).
On first use the service loads it; when there is none (or it was written by an incompatible
version) it trains one from the city's `corpus/classify.tsv` and saves it. `retrain` learns from
confirmed corrections and swaps the model in atomically. All of it is thread-safe: predictions
use an immutable model, and loading or swapping happens under a lock.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from cityloop.dispatch.classify.corpus import (
    corpus_path,
    examples,
    file_digest,
    read_corpus,
)
from cityloop.dispatch.classify.model import (
    DEFAULT_THRESHOLD,
    Classifier,
    ModelFormatError,
    Prediction,
    model_path,
)

DEFAULT_MODELS_ROOT = Path("var/models")


class NoCorpusError(FileNotFoundError):
    """The city has no model yet and no corpus to train one from."""


def city_code(city_root: Path) -> str:
    """The `code` of a city folder's `city.yaml`."""
    path = Path(city_root) / "city.yaml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: not a city folder (city.yaml is missing)") from None
    code = document.get("code") if isinstance(document, dict) else None
    if not isinstance(code, str) or not code:
        raise ValueError(f"{path}: no city code")
    return code


def default_model_dir(city_root: Path) -> Path:
    """`var/models/<city code>/`, relative to the working directory like the rest of `var/`."""
    return DEFAULT_MODELS_ROOT / city_code(city_root)


def train_from_city(
    city_root: Path,
    confirmed: Iterable[tuple[str, str]] = (),
    threshold: float = DEFAULT_THRESHOLD,
) -> Classifier:
    """Train on the city's corpus plus confirmed (text, type_code) examples."""
    path = corpus_path(city_root)
    if not path.is_file():
        raise NoCorpusError(f"{path}: the city has no classifier corpus")
    rows = read_corpus(path)
    source = {"corpus": str(path), "corpus_sha256": file_digest(path)}
    return Classifier.train(examples(rows), confirmed, threshold=threshold, source=source)


class ClassifierService:
    """The shared classifier of a city; see the module docstring."""

    def __init__(
        self,
        city_root: Path,
        model_dir: Path | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.city_root = Path(city_root)
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.threshold = threshold
        self._model: Classifier | None = None
        self._lock = threading.Lock()
        self.trained_on_first_use = False

    @property
    def model_file(self) -> Path:
        base = self.model_dir if self.model_dir is not None else default_model_dir(self.city_root)
        return model_path(base)

    @property
    def classifier(self) -> Classifier:
        """The model, loaded (or trained and saved) on first use."""
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                self._model = self._load_or_train()
            return self._model

    def _load_or_train(self) -> Classifier:
        path = self.model_file
        if path.is_file():
            try:
                return Classifier.load(path, self.threshold)
            except (ModelFormatError, EOFError, KeyError, pickle.UnpicklingError):
                pass  # unreadable or from another version: train a fresh one below
        model = train_from_city(self.city_root, threshold=self.threshold)
        model.save(path)
        self.trained_on_first_use = True
        return model

    def retrain(self, confirmed: Iterable[tuple[str, str]] = ()) -> Classifier:
        """Train on the corpus plus confirmed examples, save, and serve the new model."""
        model = train_from_city(self.city_root, confirmed, threshold=self.threshold)
        with self._lock:
            model.save(self.model_file)
            self._model = model
        return model

    def predict(self, text: str) -> Prediction:
        return self.classifier.predict(text)

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        return self.classifier.predict_many(texts)

    def describe(self) -> dict[str, Any]:
        return self.classifier.describe() | {"model": str(self.model_file)}
