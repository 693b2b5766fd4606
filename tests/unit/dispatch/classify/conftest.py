"""Fixtures of the classifier tests: the demo city's corpus and one model trained on it.

Training on the full corpus takes a few seconds, so the model is trained once per session and
saved into a session model directory that the command and service tests read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cityloop.dispatch.classify.corpus import CorpusRow, corpus_path, examples, read_corpus
from cityloop.dispatch.classify.model import Classifier, model_path


@pytest.fixture(scope="session")
def demo_corpus(demo_city_dir: Path) -> list[CorpusRow]:
    return read_corpus(corpus_path(demo_city_dir))


@pytest.fixture(scope="session")
def classifier(demo_corpus: list[CorpusRow]) -> Classifier:
    return Classifier.train(examples(demo_corpus))


@pytest.fixture(scope="session")
def model_dir(classifier: Classifier, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory holding the session classifier (read-only for the tests)."""
    folder = tmp_path_factory.mktemp("models")
    classifier.save(model_path(folder))
    return folder
