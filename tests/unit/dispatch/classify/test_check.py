"""`cityloop city check` on corpus/classify.tsv: a missing file is fine, a bad line is not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cityloop.city.extras import extra_checks
from cityloop.city.read import ParsedFolder
from cityloop.city.schema import EventTypesFile
from cityloop.dispatch.classify.check import check_corpus
from cityloop.dispatch.classify.corpus import CORPUS_FILE


@pytest.fixture(scope="module")
def event_types(demo_city_dir: Path) -> EventTypesFile:
    raw = yaml.safe_load((demo_city_dir / "event_types.yaml").read_text(encoding="utf-8"))
    return EventTypesFile.model_validate(raw)


@pytest.fixture
def city(tmp_path: Path, demo_city_dir: Path) -> Path:
    """A folder holding a copy of the demo corpus."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / CORPUS_FILE).write_bytes((demo_city_dir / CORPUS_FILE).read_bytes())
    return tmp_path


def append(city: Path, text: str) -> int:
    """Append lines to the corpus; the line number of the first one."""
    path = city / CORPUS_FILE
    before = path.read_text(encoding="utf-8")
    path.write_text(before + text, encoding="utf-8")
    return len(before.splitlines()) + 1


def test_the_demo_corpus_passes_the_check_that_city_check_runs(
    demo_city_dir: Path, event_types: EventTypesFile
) -> None:
    assert check_corpus in extra_checks()
    assert check_corpus(demo_city_dir, ParsedFolder(demo_city_dir, event_types=event_types)) == []


def test_a_city_without_a_corpus_is_valid(tmp_path: Path, event_types: EventTypesFile) -> None:
    assert check_corpus(tmp_path, ParsedFolder(tmp_path, event_types=event_types)) == []


def test_a_malformed_line_is_an_issue_naming_file_and_line(
    city: Path, event_types: EventTypesFile
) -> None:
    line = append(city, "UM06\tzh\n")
    issues = check_corpus(city, ParsedFolder(city, event_types=event_types))
    assert [(i.file, i.path) for i in issues] == [(CORPUS_FILE, f"line {line}")]
    assert "3 tab-separated fields" in issues[0].message


def test_an_unknown_event_type_is_an_issue(city: Path, event_types: EventTypesFile) -> None:
    line = append(city, "XX99\tzh\t不知道是什么事情\n")
    issues = check_corpus(city, ParsedFolder(city, event_types=event_types))
    assert [(i.path, "unknown event type 'XX99'" in i.message) for i in issues] == [
        (f"line {line}", True)
    ]


def test_a_type_with_fewer_than_ten_examples_is_an_issue(
    city: Path, event_types: EventTypesFile
) -> None:
    path = city / CORPUS_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.startswith("DV01")]
    path.write_text("".join(kept) + "DV01\tzh\t摄像头离线了\n", encoding="utf-8")
    issues = check_corpus(city, ParsedFolder(city, event_types=event_types))
    assert [(i.path, i.message.split(";")[0]) for i in issues] == [("type DV01", "1 examples")]
