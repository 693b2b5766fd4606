"""ClassifierService: one model per city, loaded or trained on first use, shared by threads."""

from __future__ import annotations

import threading
from pathlib import Path

import joblib  # type: ignore[import-untyped]
import pytest

from cityloop.dispatch.classify.corpus import CORPUS_FILE
from cityloop.dispatch.classify.model import Classifier
from cityloop.dispatch.classify.service import (
    ClassifierService,
    NoCorpusError,
    default_model_dir,
)


def test_the_default_model_dir_is_var_models_city_code(demo_city_dir: Path) -> None:
    assert default_model_dir(demo_city_dir) == Path("var/models/YZ")


def test_loads_the_saved_model(demo_city_dir: Path, model_dir: Path) -> None:
    service = ClassifierService(demo_city_dir, model_dir)
    assert service.predict("路灯坏了").type_code == "UM09"
    assert service.trained_on_first_use is False


def test_trains_once_on_first_use_from_many_threads_and_saves_the_model(
    demo_city_dir: Path, tmp_path: Path
) -> None:
    joblib.dump({"format": 999}, tmp_path / "classifier.joblib")  # unreadable: retrained
    service = ClassifierService(demo_city_dir, tmp_path, threshold=0.7)
    seen: list[Classifier] = []
    threads = [threading.Thread(target=lambda: seen.append(service.classifier)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4
    assert all(model is seen[0] for model in seen)
    assert service.trained_on_first_use
    assert seen[0].threshold == 0.7
    assert seen[0].metadata["corpus"].endswith(CORPUS_FILE)
    again = ClassifierService(demo_city_dir, tmp_path)
    assert again.predict_many(["路灯坏了"])[0].type_code == "UM09"
    assert again.trained_on_first_use is False


def test_a_city_without_corpus_or_model_cannot_classify(tmp_path: Path) -> None:
    (tmp_path / "city.yaml").write_text("code: XX\n", encoding="utf-8")
    service = ClassifierService(tmp_path, tmp_path / "models")
    with pytest.raises(NoCorpusError):
        service.predict("路灯坏了")
