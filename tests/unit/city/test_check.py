from __future__ import annotations

from pathlib import Path

from cityloop.city import ConfigIssue, check_city
from tests.unit.city.conftest import TinyCity, box


def messages(tmp_path: Path, tiny: TinyCity) -> list[str]:
    return [str(issue) for issue in check_city(tiny.write(tmp_path))]


def test_the_tiny_city_is_valid(tiny: TinyCity, tmp_path: Path) -> None:
    assert check_city(tiny.write(tmp_path)) == []


def test_issue_reads_file_path_message() -> None:
    issue = ConfigIssue("users.yaml", "users[0].role", "bad role")
    assert str(issue) == "users.yaml: users[0].role: bad role"


def test_bad_schema_field_is_reported_with_file_and_dotted_path(
    tiny: TinyCity, tmp_path: Path
) -> None:
    tiny.event_types["types"][2]["board"] = "XX"
    assert messages(tmp_path, tiny) == [
        "event_types.yaml: types[2].board: Input should be 'PB', 'ED', 'LS' or 'SR'"
    ]


def test_unknown_key_is_reported_as_a_likely_typo(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.city["nmae_en"] = "Typo"
    assert messages(tmp_path, tiny) == ["city.yaml: nmae_en: Extra inputs are not permitted"]


def test_unknown_time_zone_is_rejected(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.city["timezone"] = "Asia/Atlantis"
    assert messages(tmp_path, tiny) == [
        "city.yaml: timezone: unknown IANA time zone 'Asia/Atlantis'"
    ]


def test_invalid_yaml_is_reported_with_its_line(tiny: TinyCity, tmp_path: Path) -> None:
    root = tiny.write(tmp_path)
    (root / "departments.yaml").write_text("departments:\n  - code: [unclosed\n")
    found = [str(i) for i in check_city(root)]
    assert len(found) == 1
    assert found[0].startswith("departments.yaml: line ")
    assert "invalid YAML" in found[0]


def test_missing_file_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    root = tiny.write(tmp_path)
    (root / "users.yaml").unlink()
    assert [str(i) for i in check_city(root)] == ["users.yaml: file is missing"]


def test_duplicate_department_code_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.departments["departments"][4]["code"] = "PSB"
    assert messages(tmp_path, tiny) == [
        "departments.yaml: departments[4].code: duplicate department code 'PSB' "
        "(first at departments[1].code)"
    ]


def test_duplicate_jurisdiction_code_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.feature("TC02S01C01G002")["properties"]["code"] = "TC02S01C01G001"
    found = messages(tmp_path, tiny)
    assert (
        "jurisdictions.geojson: features[10].properties.code: duplicate code 'TC02S01C01G001' "
        "(first at features[9].properties.code)"
    ) in found


def test_duplicate_username_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.users["users"][1]["username"] = "admin"
    assert messages(tmp_path, tiny) == [
        "users.yaml: users[1].username: duplicate username 'admin' (first at users[0].username)"
    ]


def test_unknown_parent_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.feature("TC01S01")["properties"]["parent_code"] = "TC07"
    assert messages(tmp_path, tiny) == [
        "jurisdictions.geojson: features[2].properties.parent_code: "
        "TC01S01: unknown parent_code 'TC07'"
    ]


def test_parent_must_be_exactly_one_level_up(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.feature("TC01S01C01")["properties"]["parent_code"] = "TC01"
    assert messages(tmp_path, tiny) == [
        "jurisdictions.geojson: features[3].properties.parent_code: TC01S01C01: parent TC01 "
        "is a district, but the parent of a community must be a street"
    ]


def test_child_outside_its_parent_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    # Move the west district's south grid 0.05° east: it pokes into the east district.
    tiny.feature("TC01S01C01G001")["geometry"] = box(106.05, 29.0, 106.25, 29.2)
    found = messages(tmp_path, tiny)
    assert any(
        m.startswith(
            "jurisdictions.geojson: features[4].geometry: TC01S01C01G001 lies partly outside "
            "its parent TC01S01C01: "
        )
        and "(25.000 % of its area)" in m
        for m in found
    ), found


def test_overlapping_siblings_are_reported(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.feature("TC01S01C01G001")["geometry"] = box(106.0, 29.0, 106.2, 29.25)
    found = messages(tmp_path, tiny)
    assert any(
        m.startswith(
            "jurisdictions.geojson: features[4].geometry: grid TC01S01C01G001 overlaps "
            "TC01S01C01G002 (features[5]) by "
        )
        for m in found
    ), found


def test_gap_in_grid_coverage_is_reported_with_its_size(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.jurisdictions["features"].remove(tiny.feature("TC02S01C01G002"))
    found = messages(tmp_path, tiny)
    assert len(found) == 1
    assert found[0].startswith(
        "jurisdictions.geojson: features: the grids leave 25.000 % of city TC uncovered ("
    )
    assert "tolerance 0.1 %" in found[0]


def test_invalid_polygon_is_reported_with_the_reason(tiny: TinyCity, tmp_path: Path) -> None:
    bowtie = [[106.0, 29.0], [106.2, 29.2], [106.2, 29.0], [106.0, 29.2], [106.0, 29.0]]
    tiny.feature("TC01S01C01G001")["geometry"] = {"type": "Polygon", "coordinates": [bowtie]}
    found = messages(tmp_path, tiny)
    assert any(
        m.startswith(
            "jurisdictions.geojson: features[4].geometry: TC01S01C01G001: invalid polygon: "
            "Self-intersection"
        )
        for m in found
    ), found


def test_unroutable_event_type_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    del tiny.responsibilities["types"]["UM06"]["city"]
    assert messages(tmp_path, tiny) == [
        "responsibilities.yaml: types.UM06: event type UM06 is not routable at city level "
        "(no city entry and no default entry)"
    ]


def test_event_type_missing_from_responsibilities_is_reported(
    tiny: TinyCity, tmp_path: Path
) -> None:
    del tiny.responsibilities["types"]["DV01"]
    assert messages(tmp_path, tiny) == [
        "responsibilities.yaml: types: event type DV01 has no entry, so it cannot be routed"
    ]


def test_unknown_department_in_responsibilities_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.responsibilities["types"]["UM06"]["district"]["co"] = ["PSB", "NAVY"]
    assert messages(tmp_path, tiny) == [
        "responsibilities.yaml: types.UM06.district.co[1]: unknown department 'NAVY'"
    ]


def test_override_for_unknown_district_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.responsibilities["types"]["UM06"]["overrides"][0]["district"] = "TC09"
    assert messages(tmp_path, tiny) == [
        "responsibilities.yaml: types.UM06.overrides[0].district: unknown district 'TC09'"
    ]


def test_user_with_unknown_jurisdiction_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.users["users"][1]["jurisdiction"] = "TC05"
    assert messages(tmp_path, tiny) == [
        "users.yaml: users[1].jurisdiction: unknown jurisdiction 'TC05'"
    ]


def test_department_handler_needs_a_department(tiny: TinyCity, tmp_path: Path) -> None:
    del tiny.users["users"][1]["department"]
    assert messages(tmp_path, tiny) == [
        "users.yaml: users[1]: a department_handler needs a department"
    ]


def test_operator_must_be_bound_to_a_jurisdiction_of_its_level(
    tiny: TinyCity, tmp_path: Path
) -> None:
    tiny.users["users"].append(
        {
            "username": "op",
            "password": "cityloop-demo",
            "display_name": "Op",
            "role": "street_operator",
            "jurisdiction": "TC01",
        }
    )
    assert messages(tmp_path, tiny) == [
        "users.yaml: users[2].jurisdiction: a street_operator must be bound to a street, "
        "but TC01 is a district"
    ]


def test_every_error_is_reported_not_only_the_first(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.event_types["types"][0]["board"] = "XX"
    tiny.departments["departments"][4]["code"] = "PSB"
    tiny.users["users"][1]["jurisdiction"] = "TC05"
    tiny.feature("TC01S01")["properties"]["parent_code"] = "TC07"
    files = sorted(issue.file for issue in check_city(tiny.write(tmp_path)))
    assert files == [
        "departments.yaml",
        "event_types.yaml",
        "jurisdictions.geojson",
        "users.yaml",
    ]


def test_river_flowing_into_an_unknown_segment_is_reported(tiny: TinyCity, tmp_path: Path) -> None:
    root = tiny.write(tmp_path)
    (root / "rivers.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"id": "R1", "name_zh": "河", "name_en": "River", "downstream_id": "R9", "order": 1}, '
        '"geometry": {"type": "LineString", "coordinates": [[106.0, 29.1], [106.4, 29.1]]}}]}'
    )
    assert [str(i) for i in check_city(root)] == [
        "rivers.geojson: features[0].properties.downstream_id: unknown segment 'R9'"
    ]
