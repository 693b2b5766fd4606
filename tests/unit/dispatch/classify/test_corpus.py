"""The corpus file: parsing, problems by line, the writer, and what the demo city ships."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cityloop.city.generate.corpus import write_corpus
from cityloop.dispatch.classify.corpus import (
    CORPUS_FILE,
    CorpusError,
    CorpusRow,
    format_corpus,
    parse_corpus,
    read_corpus,
)

HEADER = "type_code\tlang\ttext\n"


def test_parses_rows_with_their_line_numbers() -> None:
    parsed = parse_corpus(HEADER + "UM06\tzh\t楼下夜市吵到凌晨\n\nUM02\ten\tbins not emptied\n")
    assert parsed.problems == []
    assert [(r.type_code, r.lang, r.text) for r in parsed.rows] == [
        ("UM06", "zh", "楼下夜市吵到凌晨"),
        ("UM02", "en", "bins not emptied"),
    ]
    assert parsed.lines == [2, 4]


def test_reports_a_wrong_header_on_line_one() -> None:
    parsed = parse_corpus("code\ttext\nUM06\tzh\t夜市太吵\n")
    assert [(p.line, "header" in p.message) for p in parsed.problems] == [(1, True)]


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("UM06\tzh", "expected 3 tab-separated fields, found 2"),
        ("UM06\tchinese\t夜市太吵", "lang"),
        ("UM 06\tzh\t夜市太吵", "type_code"),
        ("UM06\tzh\t吵", "text"),
    ],
)
def test_reports_a_malformed_line_by_number(line: str, fragment: str) -> None:
    parsed = parse_corpus(HEADER + "UM02\tzh\t垃圾没人收\n" + line + "\n")
    assert len(parsed.rows) == 1
    assert [p.line for p in parsed.problems] == [3]
    assert fragment in parsed.problems[0].message


def test_reports_the_same_text_labelled_with_two_types() -> None:
    parsed = parse_corpus(HEADER + "UM06\tzh\t楼下好吵\nSS04\tzh\t楼下好吵\n")
    assert [p.line for p in parsed.problems] == [3]
    assert "UM06 on line 2" in parsed.problems[0].message


def test_read_corpus_refuses_a_file_with_a_problem_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "classify.tsv"
    path.write_text(HEADER + "UM06\tzh\t夜市太吵\nUM06\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"classify\.tsv: line 3"):
        read_corpus(path)


def test_format_sorts_by_type_language_and_text_and_parses_back() -> None:
    rows = [
        CorpusRow(type_code="UM06", lang="zh", text="夜市太吵"),
        CorpusRow(type_code="UM02", lang="zh", text="垃圾没人收"),
        CorpusRow(type_code="UM02", lang="en", text="bins full"),
    ]
    content = format_corpus(rows)
    assert content.splitlines()[1:] == [
        "UM02\ten\tbins full",
        "UM02\tzh\t垃圾没人收",
        "UM06\tzh\t夜市太吵",
    ]
    assert sorted(parse_corpus(content).rows, key=str) == sorted(rows, key=str)


def test_the_writer_is_deterministic_and_ignores_the_seed(
    tmp_path: Path, demo_city_dir: Path
) -> None:
    write_corpus(tmp_path / "a", seed=1)
    write_corpus(tmp_path / "b", seed=2)
    first = (tmp_path / "a" / CORPUS_FILE).read_bytes()
    assert first == (tmp_path / "b" / CORPUS_FILE).read_bytes()
    assert first == (demo_city_dir / CORPUS_FILE).read_bytes()


def test_the_demo_corpus_has_chinese_and_english_examples_of_every_event_type(
    demo_corpus: list[CorpusRow], demo_city_dir: Path
) -> None:
    import yaml

    types = yaml.safe_load((demo_city_dir / "event_types.yaml").read_text(encoding="utf-8"))
    codes = {t["code"] for t in types["types"]}
    counts = Counter((r.type_code, r.lang) for r in demo_corpus)
    assert {code for code, _ in counts} == codes
    assert min(counts[(code, "zh")] for code in codes) >= 28
    assert min(counts[(code, "en")] for code in codes) >= 16
    assert len({r.text for r in demo_corpus}) == len(demo_corpus)
