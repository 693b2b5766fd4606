"""`cityloop city check` rejects a broken address table or road file, naming file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cityloop.city import check_city
from tests.unit.city.conftest import TinyCity

HEADER = "code,kind,name_zh,name_en,road_code,number,lon,lat,grid_code"
ROAD = "TC01-R001,road,和平路,Heping Road,,,106.100000,29.100000,TC01S01C01G001"
HOUSE = (
    "TC01-R001-0001,house,和平路1号,1 Heping Road,TC01-R001,1,106.100000,29.150000,TC01S01C01G001"
)
PLACE = (
    "TC01S01-P0001,school,和平小学,Heping Primary School,TC01-R001,,"
    "106.150000,29.300000,TC01S01C01G002"
)


@pytest.fixture
def tiny() -> TinyCity:
    return TinyCity()


def write(tmp_path: Path, tiny: TinyCity, *rows: str, header: str = HEADER) -> Path:
    root = tiny.write(tmp_path / "city")
    (root / "addresses.csv").write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return root


def messages(root: Path) -> list[str]:
    return [str(issue) for issue in check_city(root)]


def test_a_valid_table_has_no_issues(tiny: TinyCity, tmp_path: Path) -> None:
    assert messages(write(tmp_path, tiny, ROAD, HOUSE, PLACE)) == []


def test_the_table_is_optional(tiny: TinyCity, tmp_path: Path) -> None:
    assert messages(tiny.write(tmp_path / "city")) == []


def test_wrong_header_is_reported_on_line_1(tiny: TinyCity, tmp_path: Path) -> None:
    root = write(tmp_path, tiny, ROAD, header=HEADER.replace("grid_code", "grid"))
    [message] = messages(root)
    assert message.startswith("addresses.csv: line 1: the header must be code,kind,")


def test_malformed_cell_is_reported_with_its_line_and_column(
    tiny: TinyCity, tmp_path: Path
) -> None:
    bad = HOUSE.replace(",1,106.1", ",one,106.1")
    assert messages(write(tmp_path, tiny, ROAD, bad)) == [
        "addresses.csv: line 3: number: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]


def test_row_with_missing_cells_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    bad = ",".join(HOUSE.split(",")[:8])
    assert messages(write(tmp_path, tiny, ROAD, bad)) == [
        "addresses.csv: line 3: expected 9 cells, found 8"
    ]


def test_house_without_road_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    bad = HOUSE.replace(",TC01-R001,1,", ",,1,")
    assert messages(write(tmp_path, tiny, ROAD, bad)) == [
        "addresses.csv: line 3: a house needs road_code and number"
    ]


def test_duplicate_code_is_reported_on_the_second_line(tiny: TinyCity, tmp_path: Path) -> None:
    twin = PLACE.replace("和平小学", "和平中学").replace("Primary", "Middle")
    assert messages(write(tmp_path, tiny, ROAD, PLACE, twin)) == [
        "addresses.csv: line 4: duplicate code 'TC01S01-P0001' (first on line 3)"
    ]


def test_unknown_road_code_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    bad = HOUSE.replace(",TC01-R001,", ",TC01-R009,")
    assert messages(write(tmp_path, tiny, ROAD, bad)) == [
        "addresses.csv: line 3: unknown road_code 'TC01-R009'"
    ]


def test_the_same_house_number_twice_on_a_road_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    twin = HOUSE.replace("TC01-R001-0001", "TC01-R001-0001A")
    assert messages(write(tmp_path, tiny, ROAD, HOUSE, twin)) == [
        "addresses.csv: line 4: duplicate house number 1 on road 'TC01-R001' (first on line 3)"
    ]


def test_point_outside_the_city_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    bad = HOUSE.replace("106.100000,29.150000", "107.100000,29.150000")
    assert messages(write(tmp_path, tiny, ROAD, bad)) == [
        "addresses.csv: line 3: point (107.100000, 29.150000) is outside the city"
    ]


def test_grid_code_must_be_the_grid_the_point_lies_in(tiny: TinyCity, tmp_path: Path) -> None:
    bad = HOUSE.replace("TC01S01C01G001", "TC01S01C01G002")
    assert messages(write(tmp_path, tiny, ROAD, bad)) == [
        "addresses.csv: line 3: grid_code TC01S01C01G002 but the point "
        "(106.100000, 29.150000) lies in grid TC01S01C01G001"
    ]


def road_feature(road_class: str = "road") -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": {
            "code": "TC01-R001",
            "name_zh": "和平路",
            "name_en": "Heping Road",
            "class": road_class,
            "district": "TC01",
        },
        "geometry": {"type": "LineString", "coordinates": [[106.05, 29.1], [106.15, 29.1]]},
    }


def write_roads(root: Path, *features: dict[str, object]) -> Path:
    collection = {"type": "FeatureCollection", "features": list(features)}
    (root / "roads.geojson").write_text(json.dumps(collection), "utf-8")
    return root


def test_road_file_with_a_bad_class_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    root = write_roads(tiny.write(tmp_path / "city"), road_feature("motorway"))
    assert messages(root) == [
        "roads.geojson: features[0].properties.class: "
        "Input should be 'avenue', 'road', 'street' or 'lane'"
    ]


def test_road_file_with_a_duplicate_code_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    root = write_roads(tiny.write(tmp_path / "city"), road_feature(), road_feature())
    assert messages(root) == [
        "roads.geojson: features[1].properties.code: duplicate code 'TC01-R001'"
    ]
