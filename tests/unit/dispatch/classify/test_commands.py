"""The CLI-ready functions: classify a text, a file, retrain with corrections."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cityloop.dispatch.classify.commands import (
    bench_classify,
    classify_file,
    classify_text,
    train_model,
)
from cityloop.dispatch.classify.model import MODEL_FILE


def test_classify_text_answers_from_the_saved_model(demo_city_dir: Path, model_dir: Path) -> None:
    result = classify_text(demo_city_dir, "小区垃圾三天没人收，臭死了", model_dir)
    assert result["type"] == "UM02"
    assert set(result) == {"type", "confidence", "reasons", "alternatives", "needs_triage"}


def test_classify_file_answers_each_row_in_order_and_reports_bad_rows(
    demo_city_dir: Path, model_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "reports.tsv"
    path.write_bytes(
        b"id\ttext\tsource\n"
        b"r1\t\xe8\xb7\xaf\xe7\x81\xaf\xe5\x9d\x8f\xe4\xba\x86\thotline\n"  # 路灯坏了
        b"r2\tmissing a field\n"
        b"r3\t\xff\xfe\thotline\n"
        b"r4\t \tapp\n"
        b"r5\tgas smell in the stairwell\tapp\n"
    )
    results = list(classify_file(demo_city_dir, path, model_dir))
    assert [r["line"] for r in results] == [2, 3, 4, 5, 6]
    assert (results[0]["id"], results[0]["type"]) == ("r1", "UM09")
    assert results[1] == {"line": 3, "error": "expected 3 fields, found 2"}
    assert results[2]["line"] == 4
    assert "UTF-8" in results[2]["error"]
    assert results[3] == {"line": 5, "error": "the text is empty"}
    assert (results[4]["id"], results[4]["type"]) == ("r5", "AC03")


def test_classify_file_refuses_a_file_without_a_text_column(
    demo_city_dir: Path, model_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "reports.tsv"
    path.write_text("id\tbody\n1\t路灯坏了\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no 'text' column"):
        classify_file(demo_city_dir, path, model_dir)


def test_training_with_a_confirmed_correction_changes_the_prediction(
    demo_city_dir: Path, model_dir: Path, tmp_path: Path
) -> None:
    text = "小区门口一直有人在吵"
    before = classify_text(demo_city_dir, text, model_dir)
    corrected_type = before["alternatives"][1][0]  # the dispatcher chose the runner-up
    own_dir = tmp_path / "models"
    shutil.copytree(model_dir, own_dir)
    summary = train_model(demo_city_dir, own_dir, extra=[(text, corrected_type)])
    assert summary["n_confirmed"] == 1
    assert summary["model"] == str(own_dir / MODEL_FILE)
    assert classify_text(demo_city_dir, text, own_dir)["type"] == corrected_type


def test_training_refuses_a_correction_to_an_unknown_type(
    demo_city_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="XX99"):
        train_model(demo_city_dir, tmp_path, extra=[("路灯坏了", "XX99")])
    assert not (tmp_path / MODEL_FILE).exists()


def test_the_speed_benchmark_reports_latency_and_throughput(
    demo_city_dir: Path, model_dir: Path
) -> None:
    result = bench_classify(demo_city_dir, model_dir, texts=200, batch=200, repeats=3)
    assert result["bench"] == "classify_speed"
    assert 0 < result["p50_us"] <= result["p99_us"]
    assert result["batch_per_s"] > 0
    assert result["trained_on_first_use"] is False
