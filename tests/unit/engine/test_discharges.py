"""`discharges.csv`: the demo generator, the row schema and `cityloop city check`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cityloop.city import City
from cityloop.city.read import ParsedFolder, read_folder
from cityloop.domain.territory import Level
from cityloop.engine.check_discharges import check_discharges
from cityloop.engine.discharges import (
    DISCHARGES_FILE,
    DischargeRow,
    load_discharges,
    read_discharge_rows,
    write_discharge_rows,
)
from cityloop.engine.generate_discharges import credit_code, discharge_rows
from cityloop.engine.river_network import RiverNetwork


@pytest.fixture(scope="module")
def parsed(demo_city_dir: Path) -> ParsedFolder:
    return read_folder(demo_city_dir)


@pytest.fixture(scope="module")
def rows(demo_city_dir: Path) -> list[DischargeRow]:
    return load_discharges(demo_city_dir)


def test_the_demo_city_has_a_few_hundred_permitted_discharge_points(
    rows: list[DischargeRow],
) -> None:
    assert 150 <= len(rows) <= 300
    kinds = Counter(r.kind.value for r in rows)
    assert set(kinds) == {"factory", "farm", "hospital", "sewage_plant"}
    assert {r.department for r in rows} == {"ENV"}
    assert len({r.permit for r in rows}) == len(rows)
    assert len({r.name_zh for r in rows}) == len(rows)


def test_the_demo_discharge_points_pass_the_city_check(
    demo_city_dir: Path, parsed: ParsedFolder
) -> None:
    assert check_discharges(demo_city_dir, parsed) == []


def test_every_demo_discharge_point_is_a_short_outfall_from_its_segment(
    demo_city: City, rows: list[DischargeRow]
) -> None:
    network = RiverNetwork.from_city(demo_city)
    segments = network.segment_indices([r.river for r in rows])
    _, offset = network.locate(segments, [r.lon for r in rows], [r.lat for r in rows])
    assert (segments >= 0).all()
    assert offset.max() <= 301.0
    assert len({r.river for r in rows}) == len(network)


def test_the_demo_discharge_points_lie_in_their_grid(
    demo_city: City, rows: list[DischargeRow]
) -> None:
    located = demo_city.locator.locate_many([r.lon for r in rows], [r.lat for r in rows])
    assert [located.code_at(Level.GRID, k) for k in range(len(rows))] == [r.grid for r in rows]


def test_the_demo_discharge_points_are_the_same_for_the_same_seed(demo_city: City) -> None:
    assert discharge_rows(demo_city, 7) == discharge_rows(demo_city, 7)
    assert discharge_rows(demo_city, 7) != discharge_rows(demo_city, 8)


def test_permit_numbers_carry_a_valid_unified_social_credit_code(
    rows: list[DischargeRow],
) -> None:
    # The worked example of GB 32100-2015.
    assert credit_code("91", "350100M000100Y4") == "91350100M000100Y43"
    for r in rows:
        code = r.permit[:18]
        assert r.permit == f"{code}001P"
        assert credit_code(code[:2], code[2:17]) == code


def test_the_file_round_trips_byte_for_byte(tmp_path: Path, demo_city_dir: Path) -> None:
    rows, issues = read_discharge_rows(demo_city_dir / DISCHARGES_FILE)
    assert issues == []
    write_discharge_rows(tmp_path / DISCHARGES_FILE, rows)
    again = (tmp_path / DISCHARGES_FILE).read_bytes()
    assert again == (demo_city_dir / DISCHARGES_FILE).read_bytes()


def write_rows(root: Path, rows: list[DischargeRow]) -> None:
    write_discharge_rows(root / DISCHARGES_FILE, rows)


def messages(root: Path, parsed: ParsedFolder) -> list[str]:
    return [f"{i.path}: {i.message}" for i in check_discharges(root, parsed)]


def test_the_check_reports_duplicates_and_unknown_references(
    tmp_path: Path, parsed: ParsedFolder, rows: list[DischargeRow]
) -> None:
    first, second = rows[0], rows[1]
    write_rows(
        tmp_path,
        [
            first,
            second.model_copy(update={"id": first.id, "permit": first.permit}),
            rows[2].model_copy(update={"river": "R99-01", "department": "NOPE"}),
        ],
    )
    found = messages(tmp_path, parsed)
    assert f"line 3.id: duplicate discharge point id {first.id!r}" in found
    assert f"line 3.permit: duplicate permit number {first.permit!r}" in found
    assert "line 4.river: unknown river segment 'R99-01'" in found
    assert "line 4.department: unknown department 'NOPE'" in found


def test_the_check_reports_points_outside_the_city_far_from_their_river_or_grid(
    tmp_path: Path, parsed: ParsedFolder, rows: list[DischargeRow], demo_city: City
) -> None:
    near = rows[0]
    network = RiverNetwork.from_city(demo_city)
    every = np.arange(len(network))
    _, offsets = network.locate(every, [near.lon] * len(every), [near.lat] * len(every))
    far = network.ids[int(offsets.argmax())]
    write_rows(
        tmp_path,
        [
            near.model_copy(update={"lon": 0.0, "lat": 0.0}),
            near.model_copy(update={"id": "PDX", "permit": "P-0002", "river": far}),
            rows[1].model_copy(update={"grid": rows[2].grid if rows[2].grid != rows[1].grid
                                       else "YZ99S01C01G001"}),
        ],
    )  # fmt: skip
    found = messages(tmp_path, parsed)
    assert f"line 2.lon: discharge point {near.id} is outside the city" in found
    assert any(m.startswith("line 3.river: discharge point PDX lies") for m in found)
    assert any(m.startswith("line 4.grid: ") for m in found)


def test_the_check_reports_rows_that_fail_the_schema(tmp_path: Path, parsed: ParsedFolder) -> None:
    (tmp_path / DISCHARGES_FILE).write_text(
        "id,name_zh,name_en,kind,permit,river,lon,lat,department,grid\n"
        "PD1,厂,Works,brewery,P-0001,R01-01,106.5,29.5,ENV,\n",
        encoding="utf-8",
    )
    found = messages(tmp_path, parsed)
    assert len(found) == 1
    assert found[0].startswith("line 2.kind: ")


def test_the_check_reports_a_wrong_header(tmp_path: Path, parsed: ParsedFolder) -> None:
    (tmp_path / DISCHARGES_FILE).write_text("id,name,river\n", encoding="utf-8")
    (issue,) = check_discharges(tmp_path, parsed)
    assert issue.path == "header"
    assert "missing columns" in issue.message
    assert "unknown columns ['name']" in issue.message


def test_a_city_without_discharge_points_is_valid(tmp_path: Path, parsed: ParsedFolder) -> None:
    assert check_discharges(tmp_path, parsed) == []
    assert load_discharges(tmp_path) == []
