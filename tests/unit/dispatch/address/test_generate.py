"""The demo city's address table: deterministic, sized, consistent with its road file."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from cityloop.city.generate.gazetteer import write_gazetteer
from cityloop.dispatch.address.schema import ADDRESSES_FILE, ROADS_FILE, read_address_rows


@pytest.fixture(scope="module")
def table(demo_city_dir: Path) -> list[dict[str, str]]:
    header, rows = read_address_rows(demo_city_dir / ADDRESSES_FILE)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_same_seed_writes_the_same_bytes(demo_city_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(demo_city_dir, tmp_path / "city"))
    write_gazetteer(copy, seed=2026)
    for name in (ADDRESSES_FILE, ROADS_FILE):
        assert (copy / name).read_bytes() == (demo_city_dir / name).read_bytes()


def test_table_has_tens_of_thousands_of_rows_of_every_kind(table: list[dict[str, str]]) -> None:
    kinds = Counter(row["kind"] for row in table)
    assert 30_000 <= len(table) <= 80_000
    assert kinds["road"] >= 100
    assert kinds["house"] >= 25_000
    places = sum(n for kind, n in kinds.items() if kind not in ("road", "house"))
    assert places >= 300
    assert {"compound", "school", "hospital", "market", "station", "park", "mall"} <= set(kinds)
    assert {"government", "bridge"} <= set(kinds)


def test_houses_are_named_after_their_road_and_number(table: list[dict[str, str]]) -> None:
    roads = {row["code"]: row for row in table if row["kind"] == "road"}
    for row in table[:5000]:
        if row["kind"] == "house":
            road = roads[row["road_code"]]
            assert row["code"] == f"{road['code']}-{int(row['number']):04d}"
            assert row["name_zh"] == f"{road['name_zh']}{row['number']}号"
            assert row["name_en"] == f"{row['number']} {road['name_en']}"


def test_every_road_has_odd_and_even_numbers(table: list[dict[str, str]]) -> None:
    numbers: dict[str, set[int]] = {}
    for row in table:
        if row["kind"] == "house":
            numbers.setdefault(row["road_code"], set()).add(int(row["number"]))
    assert all({n % 2 for n in found} == {0, 1} for found in numbers.values())


def test_some_road_names_recur_in_several_districts(table: list[dict[str, str]]) -> None:
    districts: dict[str, set[str]] = {}
    for row in table:
        if row["kind"] == "road":
            districts.setdefault(row["name_zh"], set()).add(row["code"].split("-")[0])
    assert any(len(found) >= 3 for found in districts.values())
    assert len(districts["滨江大道"]) >= 2


def test_road_file_holds_every_road_of_the_table(
    demo_city_dir: Path, table: list[dict[str, str]]
) -> None:
    features = json.loads((demo_city_dir / ROADS_FILE).read_text("utf-8"))["features"]
    codes = {f["properties"]["code"] for f in features}
    assert codes == {row["code"] for row in table if row["kind"] == "road"}
    assert {f["properties"]["class"] for f in features} == {"avenue", "road", "street", "lane"}


def test_table_stays_under_ten_megabytes(demo_city_dir: Path) -> None:
    assert (demo_city_dir / ADDRESSES_FILE).stat().st_size < 10_000_000
