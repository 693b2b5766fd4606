"""Held-out evaluation: the shipped corpus meets the macro-F1 target of 0.85."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cityloop.dispatch.classify.commands import eval_classify
from cityloop.dispatch.classify.corpus import CorpusRow
from cityloop.dispatch.classify.evaluate import expected_calibration_error


@pytest.fixture(scope="module")
def figures(demo_city_dir: Path) -> dict[str, Any]:
    return eval_classify(demo_city_dir, seed=0)


def test_macro_f1_on_a_held_out_fifth_of_the_demo_corpus_is_at_least_0_85(
    figures: dict[str, Any],
) -> None:
    assert figures["macro_f1"] >= 0.85
    assert figures["accuracy"] >= 0.85


def test_the_split_is_a_stratified_fifth_of_the_corpus(
    figures: dict[str, Any], demo_corpus: list[CorpusRow]
) -> None:
    assert figures["n_train"] + figures["n_test"] == len(demo_corpus)
    assert figures["n_test"] == pytest.approx(len(demo_corpus) * 0.2, abs=1)


def test_the_report_names_the_worst_classes_and_each_language(figures: dict[str, Any]) -> None:
    assert figures["bench"] == "classify"
    worst = figures["worst_classes"]
    assert len(worst) == 5
    assert worst[0]["f1"] == figures["per_class_f1_min"] > 0.5
    assert [w["f1"] for w in worst] == sorted(w["f1"] for w in worst)
    assert set(figures["accuracy_by_lang"]) == {"en", "zh"}
    assert min(figures["accuracy_by_lang"].values()) >= 0.8


def test_confidence_is_calibrated_on_held_out_texts(figures: dict[str, Any]) -> None:
    assert figures["ece"] < 0.08
    assert figures["accuracy_above_threshold"] > figures["accuracy"]
    assert 0.0 < figures["triage_rate"] < 0.25


def test_calibration_error_is_zero_when_confidence_matches_accuracy() -> None:
    assert expected_calibration_error([0.75] * 4, [True, True, True, False]) == 0.0
    assert expected_calibration_error([1.0, 1.0], [False, False]) == 1.0
    assert expected_calibration_error([], []) == 0.0
