from __future__ import annotations

from pathlib import Path

import pytest

from cityloop.city import CityConfigError, load_city
from cityloop.domain.access import Role
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, JurisdictionChain, Level
from tests.unit.city.conftest import TinyCity


def test_loads_identity_of_the_city(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    assert (city.code, city.name_zh, city.name_en) == ("TC", "小城", "Tiny City")
    assert city.timezone == "Asia/Shanghai"
    assert city.default_language == "en"
    assert city.root == tmp_path.resolve()


def test_jurisdictions_know_their_children_and_chain(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    grid = city.jurisdiction_at("TC02S01C01G002")
    assert grid.level is Level.GRID
    assert grid.chain == JurisdictionChain("TC", "TC02", "TC02S01", "TC02S01C01", "TC02S01C01G002")
    assert city.jurisdiction_at("TC").children == ("TC01", "TC02")
    assert city.jurisdiction_at("TC01").chain == JurisdictionChain("TC", "TC01")


def test_descendants_lists_every_level_below(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    assert city.descendants("TC01") == [
        "TC01S01",
        "TC01S01C01",
        "TC01S01C01G001",
        "TC01S01C01G002",
    ]
    assert len(city.descendants("TC")) == 10


def test_unknown_jurisdiction_is_a_key_error(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    with pytest.raises(KeyError, match="XX"):
        city.jurisdiction_at("XX")


def test_event_types_carry_keywords_and_default_severity(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    um06 = city.event_types["UM06"]
    assert um06.class_code == "urban"
    assert um06.default_severity is Severity.IV
    assert um06.keywords_en == ("noise", "square dancing")
    assert set(city.event_classes) == {"urban", "device"}
    assert set(city.departments) == {"URBAN", "PSB", "DATA", "JUSTICE", "EDU"}


def test_users_are_loaded_with_role_and_department(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    handler = next(u for u in city.users if u.username == "urban_tc01")
    assert handler.role is Role.DEPARTMENT_HANDLER
    assert (handler.jurisdiction, handler.department) == ("TC01", "URBAN")


def test_unknown_extra_files_and_folders_are_ignored(tiny: TinyCity, tmp_path: Path) -> None:
    root = tiny.write(tmp_path)
    (root / "notes.txt").write_text("handover notes for the night shift\n")
    (root / "archive").mkdir()
    (root / "archive" / "old.yaml").write_text("anything: [1, 2]\n")
    assert load_city(root).code == "TC"


def test_load_raises_with_every_error_listed(tiny: TinyCity, tmp_path: Path) -> None:
    tiny.city["timezone"] = "Mars/Olympus"
    tiny.departments["departments"][0]["category"] = "nonsense"
    with pytest.raises(CityConfigError) as info:
        load_city(tiny.write(tmp_path))
    files = {e.file for e in info.value.errors}
    assert files == {"city.yaml", "departments.yaml"}
    assert "Mars/Olympus" in str(info.value)


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CityConfigError, match="not a directory"):
        load_city(tmp_path / "nowhere")


def test_time_limits_come_from_the_class_grade(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    limits = city.time_limits("UM09", Severity.III)
    assert (limits.accept_minutes, limits.dispose_minutes) == (15, 480)
    assert limits.source == "class urban, grade III"


def test_time_limits_prefer_the_type_override(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    limits = city.time_limits("UM06", Severity.IV)
    assert (limits.accept_minutes, limits.dispose_minutes) == (20, 600)
    assert limits.source == "type UM06 override, grade IV"
    assert city.time_limits("UM06", Severity.II).source == "class urban, grade II"


def test_time_limits_fall_back_to_nearest_defined_grade_and_say_so(
    tiny: TinyCity, tmp_path: Path
) -> None:
    city = load_city(tiny.write(tmp_path))
    limits = city.time_limits("DV01", Severity.I)
    assert (limits.accept_minutes, limits.dispose_minutes) == (60, 2880)
    assert "nearest defined grade" in limits.source
    assert "grade I is not defined" in limits.source


def test_route_follows_the_responsibility_list_with_reasons(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    routing = city.route("UM06", HandlingLevel.STREET, "TC01")
    assert (routing.lead, routing.co, routing.level) == ("URBAN", ("PSB",), HandlingLevel.STREET)
    assert routing.reasons == ("responsibility list: UM06 at street level → lead URBAN, co PSB",)


def test_route_applies_a_district_override_and_says_so(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    routing = city.route("UM06", HandlingLevel.STREET, "TC02")
    assert (routing.lead, routing.co) == ("PSB", ("JUSTICE",))
    assert routing.reasons[-1] == (
        "override for district TC02 at street level → lead PSB, co JUSTICE"
    )
    # the override is for street level only
    assert city.route("UM06", HandlingLevel.DISTRICT, "TC02").lead == "URBAN"


def test_route_uses_the_default_entry_when_a_level_has_none(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    routing = city.route("UM09", HandlingLevel.CITY, None)
    assert (routing.lead, routing.co) == ("URBAN", ())
    assert routing.reasons == (
        "responsibility list: UM09 default entry (no city entry) → lead URBAN, no co-units",
    )


def test_route_of_unknown_type_is_a_key_error(tiny: TinyCity, tmp_path: Path) -> None:
    city = load_city(tiny.write(tmp_path))
    with pytest.raises(KeyError, match="ZZ99"):
        city.route("ZZ99", HandlingLevel.STREET, None)


@pytest.mark.parametrize(
    ("type_code", "severity", "expected"),
    [
        ("UM06", Severity.IV, HandlingLevel.STREET),
        ("UM06", Severity.III, HandlingLevel.DISTRICT),
        ("UM06", Severity.II, HandlingLevel.CITY),  # built-in default, not in the file
        ("UM06", Severity.I, HandlingLevel.CITY),
        ("UM09", Severity.III, HandlingLevel.STREET),  # per-type override
    ],
)
def test_handling_level_by_severity(
    tiny: TinyCity, tmp_path: Path, type_code: str, severity: Severity, expected: HandlingLevel
) -> None:
    city = load_city(tiny.write(tmp_path))
    assert city.handling_level(type_code, severity) is expected
