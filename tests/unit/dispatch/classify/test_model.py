"""Predictions: their shape, reasons, the triage threshold, batches, and persistence."""

from __future__ import annotations

import re
from pathlib import Path

import joblib  # type: ignore[import-untyped]
import pytest

from cityloop.dispatch.classify.model import Classifier, ModelFormatError, Prediction
from cityloop.dispatch.classify.training import training_set

REASON = re.compile(r'^"[^"]+" \(\+\d+\.\d\d\)$')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("楼下夜市吵到凌晨两点还不停", "UM06"),
        ("the night market downstairs is still blasting music at 2am", "UM06"),
        ("隔壁工地半夜还在打桩，吵得睡不着", "UM05"),
        ("下水道堵了，污水从井盖冒出来", "UM16"),
        ("暴雨后路口积水到膝盖", "ND01"),
        ("自来水管爆了，马路上喷水", "AC08"),
        ("strong smell of gas in the stairwell", "AC03"),
        ("几十个业主拉横幅堵在售楼部门口", "SS02"),
        ("跨年夜江边人太多，挤得动不了，怕踩踏", "SS01"),
    ],
)
def test_classifies_typical_reports(classifier: Classifier, text: str, expected: str) -> None:
    assert classifier.predict(text).type_code == expected


def test_a_prediction_carries_confidence_reasons_and_three_alternatives(
    classifier: Classifier,
) -> None:
    p = classifier.predict("小区门口的路灯坏了一个星期，晚上黑漆漆的")
    assert p.type_code == "UM09"
    assert 0.6 <= p.confidence <= 1.0
    assert 1 <= len(p.reasons) <= 5
    assert all(REASON.match(r) for r in p.reasons), p.reasons
    assert any("路灯" in r for r in p.reasons)
    assert len(p.alternatives) == 3
    assert p.alternatives[0] == (p.type_code, p.confidence)
    assert [a[1] for a in p.alternatives] == sorted((a[1] for a in p.alternatives), reverse=True)
    assert p.as_dict() == {
        "type": "UM09",
        "confidence": p.confidence,
        "reasons": list(p.reasons),
        "alternatives": [[code, prob] for code, prob in p.alternatives],
        "needs_triage": False,
    }


def test_english_reasons_name_whole_words_of_the_text(classifier: Classifier) -> None:
    p = classifier.predict("gas smell in the stairwell")
    assert p.reasons[0].startswith('"gas"')
    words = {r.split('"')[1] for r in p.reasons}
    assert words <= {"gas", "smell", "in", "the", "stairwell"}


def test_needs_triage_below_the_threshold(classifier: Classifier) -> None:
    text = "有个事情想反映一下"
    vague = classifier.predict(text)
    assert vague.confidence < 0.6
    assert vague.needs_triage
    assert vague.threshold == 0.6
    relaxed = classifier.predict(text, threshold=vague.confidence)
    assert not relaxed.needs_triage
    assert relaxed.threshold == vague.confidence
    assert classifier.with_threshold(0.0).predict(text).needs_triage is False


def test_a_clear_report_does_not_need_triage(classifier: Classifier) -> None:
    assert not classifier.predict("电梯困人了，卡在8楼和9楼中间").needs_triage


def test_a_text_with_no_known_ngram_needs_triage_and_has_no_reasons(
    classifier: Classifier,
) -> None:
    p = classifier.predict("")
    assert p.reasons == ()
    assert p.needs_triage


def test_a_threshold_outside_zero_one_is_refused(classifier: Classifier) -> None:
    with pytest.raises(ValueError, match="threshold"):
        classifier.predict("路灯坏了", threshold=1.5)


def test_predict_many_answers_like_predict_in_order(classifier: Classifier) -> None:
    texts = ["路灯坏了", "", "water main burst on the road", "楼上漏水到我家，邻居不赔还骂人"]
    assert classifier.predict_many(texts) == [classifier.predict(t) for t in texts]
    assert classifier.predict_many([]) == []


def test_save_and_load_give_the_same_predictions_and_metadata(
    classifier: Classifier, tmp_path: Path
) -> None:
    path = tmp_path / "m" / "classifier.joblib"
    classifier.save(path)
    loaded = Classifier.load(path)
    texts = ["路灯坏了", "dog bit my kid in the compound"]
    assert loaded.predict_many(texts) == classifier.predict_many(texts)
    meta = loaded.metadata
    assert meta["n_examples"] == meta["n_corpus"] > 3000
    assert len(meta["labels"]) == 50
    assert {"trained_at", "sklearn_version", "temperature"} <= meta.keys()
    assert list(tmp_path.joinpath("m").iterdir()) == [path]


def test_loading_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "classifier.joblib"
    joblib.dump({"format": 999}, path)
    with pytest.raises(ModelFormatError):
        Classifier.load(path)


def test_a_confirmed_example_overrides_the_same_corpus_text() -> None:
    corpus = [
        ("楼下好吵", "UM06"),
        ("夜市太吵", "UM06"),
        ("广场舞太吵", "UM06"),
        ("邻居吵架", "SS04"),
    ]
    data = training_set(corpus, [("楼下好吵", "SS04")])
    assert data.n_overridden == 1
    assert list(zip(data.texts, data.labels, strict=True)) == [
        ("夜市太吵", "UM06"),
        ("广场舞太吵", "UM06"),
        ("邻居吵架", "SS04"),
        ("楼下好吵", "SS04"),
    ]
    assert data.weights.tolist() == [1.0, 1.0, 1.0, 3.0]


def test_training_needs_two_examples_of_every_type() -> None:
    with pytest.raises(ValueError, match="UM02"):
        training_set([("夜市太吵", "UM06"), ("广场舞太吵", "UM06"), ("垃圾没人收", "UM02")])


def test_prediction_is_a_frozen_value() -> None:
    p = Prediction("UM06", 0.9, ('"夜市" (+1.42)',), (("UM06", 0.9),), False, 0.6)
    with pytest.raises(AttributeError):
        p.confidence = 0.1  # type: ignore[misc]
