"""Normalising address text: widths, case, Chinese numerals, abbreviations."""

from __future__ import annotations

import pytest

from cityloop.bench.address import chinese_numeral
from cityloop.dispatch.address.gazetteer import edit_distance, split_road_name
from cityloop.dispatch.address.normalize import chinese_number, en_tokens, normalize


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一百二十八", 128), ("一二八", 128), ("三十五", 35), ("十二", 12), ("一百零五", 105),
     ("两千", 2000), ("十", 10), ("abc", None), ("", None)],
)  # fmt: skip
def test_chinese_numerals_are_read(numeral: str, value: int | None) -> None:
    assert chinese_number(numeral) == value


@pytest.mark.parametrize("n", [1, 9, 10, 11, 20, 35, 105, 110, 128, 999, 1000, 1024, 9999])
def test_numerals_written_by_the_benchmark_read_back(n: int) -> None:
    assert chinese_number(chinese_numeral(n)) == n


def test_house_numbers_in_chinese_numerals_become_digits() -> None:
    assert normalize("解放路一百二十八号门口") == "解放路128号门口"


def test_numerals_not_followed_by_hao_are_left_alone() -> None:
    assert normalize("五一路三个井盖") == "五一路三个井盖"


def test_full_width_and_case_are_folded() -> None:
    assert normalize("ＡＢＣ　１２８号") == "abc 128号"


def test_abbreviations_expand_and_hash_reads_as_number() -> None:
    assert en_tokens(normalize("Binjiang Ave #35")) == ["binjiang", "avenue", "no", "35"]
    assert en_tokens(normalize("People's Hospital")) == ["peoples", "hospital"]


def test_road_names_split_into_base_and_suffix() -> None:
    assert split_road_name("滨江大道", "Binjiang Avenue") == ("滨江", "大道", "binjiang", "avenue")
    assert split_road_name("民生巷", "Minsheng Lane") == ("民生", "巷", "minsheng", "lane")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("jiefang", "jiefang", 0), ("jeifang", "jiefang", 1), ("jiefng", "jiefang", 1),
     ("jiefangg", "jiefang", 1), ("jefnag", "jiefang", 2), ("jxxxang", "jiefang", 3)],
)  # fmt: skip
def test_edit_distance_counts_a_swap_as_one(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
