from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cityloop.city import City, check_city
from cityloop.city.generate import DEMO_PASSWORD, generate_city
from cityloop.domain.access import Role
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, Level


def test_same_seed_gives_byte_identical_files(demo_city_dir: Path, tmp_path: Path) -> None:
    generate_city(tmp_path, seed=2026)

    def files(root: Path) -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    names = files(demo_city_dir)
    assert names == files(tmp_path)
    for name in names:
        assert (tmp_path / name).read_bytes() == (demo_city_dir / name).read_bytes(), name


def test_generated_demo_city_passes_check(demo_city_dir: Path) -> None:
    assert check_city(demo_city_dir) == []


def test_demo_city_is_yuzhou(demo_city: City) -> None:
    assert (demo_city.code, demo_city.name_zh, demo_city.name_en) == ("YZ", "渝州市", "Yuzhou")
    assert demo_city.timezone == "Asia/Shanghai"
    assert demo_city.default_language == "zh"
    x0, y0, x1, y1 = demo_city.city_jurisdiction.geometry.bounds
    assert 106.3 <= x0 < x1 <= 106.9
    assert 29.3 <= y0 < y1 <= 29.8


def test_demo_city_has_the_required_territory(demo_city: City) -> None:
    counts = Counter(j.level for j in demo_city.jurisdictions.values())
    assert counts[Level.CITY] == 1
    assert counts[Level.DISTRICT] == 9
    assert counts[Level.STREET] >= 60
    assert counts[Level.COMMUNITY] >= 300
    assert counts[Level.GRID] >= 3000


def test_codes_are_hierarchical_and_readable(demo_city: City) -> None:
    assert sorted(demo_city.jurisdiction_at("YZ").children) == [f"YZ{k:02d}" for k in range(1, 10)]
    grid = next(j for j in demo_city.jurisdictions.values() if j.level is Level.GRID)
    assert grid.code.startswith(grid.chain.community or "")
    assert grid.chain.community is not None
    assert grid.chain.community.startswith(grid.chain.street or "")
    assert grid.code == "YZ01S01C01G001"


def test_names_are_bilingual(demo_city: City) -> None:
    street = demo_city.jurisdiction_at("YZ01S01")
    assert street.name_zh.endswith("街道")
    assert street.name_en.endswith(" Street")
    community = demo_city.jurisdiction_at("YZ01S01C01")
    assert community.name_zh.endswith("社区")
    assert community.name_en.endswith(" Community")
    assert demo_city.jurisdiction_at("YZ01S01C01G003").name_zh == "第3网格"
    assert demo_city.jurisdiction_at("YZ01S01C01G003").name_en == "Grid 3"


def test_taxonomy_matches_taxonomy_md(demo_city: City) -> None:
    assert len(demo_city.departments) == 23
    assert len(demo_city.event_types) == 50
    assert set(demo_city.event_classes) == {
        "natural",
        "accident",
        "health",
        "social",
        "urban",
        "livelihood",
        "device",
    }
    for etype in demo_city.event_types.values():
        assert len(etype.keywords_zh) >= 4, etype.code
        assert len(etype.keywords_en) >= 4, etype.code


@pytest.mark.parametrize(
    ("type_code", "severity", "accept", "dispose"),
    [
        ("ND01", Severity.IV, 10, 240),
        ("AC01", Severity.III, 5, 120),
        ("PH01", Severity.II, 3, 60),
        ("SS01", Severity.I, 1, 30),
        ("UM06", Severity.IV, 30, 1440),
        ("LS01", Severity.III, 15, 480),
        ("UM02", Severity.II, 10, 240),
        ("LS04", Severity.I, 5, 120),
        ("DV01", Severity.IV, 60, 2880),
        ("DV01", Severity.II, 60, 2880),
    ],
)
def test_demo_time_limits_are_taxonomy_md_numbers(
    demo_city: City, type_code: str, severity: Severity, accept: int, dispose: int
) -> None:
    limits = demo_city.time_limits(type_code, severity)
    assert (limits.accept_minutes, limits.dispose_minutes) == (accept, dispose)


def test_demo_routing_follows_taxonomy_md_at_every_level(demo_city: City) -> None:
    for level in HandlingLevel:
        routing = demo_city.route("ND01", level, "YZ05")
        assert (routing.lead, routing.co) == ("URBAN", ("WATERCO", "TPOL", "EMB"))
        assert demo_city.route("SS03", level, None).co == ()


def test_demo_has_district_overrides(demo_city: City) -> None:
    routing = demo_city.route("UM16", HandlingLevel.STREET, "YZ01")
    assert routing.lead == "URBAN"
    assert routing.reasons[-1].startswith("override for district YZ01")
    assert demo_city.route("UM16", HandlingLevel.STREET, "YZ02").lead == "WATERCO"


def test_demo_users_cover_every_role_with_one_password(demo_city: City) -> None:
    assert {u.role for u in demo_city.users} == set(Role)
    assert {u.password for u in demo_city.users} == {DEMO_PASSWORD}
    by_name = {u.username: u for u in demo_city.users}
    assert by_name["urban_yz01"].department == "URBAN"
    assert by_name["urban_yz01"].jurisdiction == "YZ01"
    assert by_name["psb_yz"].jurisdiction == "YZ"
    assert by_name["waterco_yz02"].department == "WATERCO"
    assert {by_name["yz01_op"].jurisdiction, by_name["yz02_op"].jurisdiction} == {"YZ01", "YZ02"}
    grid_worker = next(u for u in demo_city.users if u.role is Role.GRID_WORKER)
    street_ops = [u for u in demo_city.users if u.role is Role.STREET_OPERATOR]
    streets = {demo_city.jurisdiction_at(u.jurisdiction).parent_code for u in street_ops}
    assert streets == {"YZ01", "YZ02"}
    grid_chain = demo_city.jurisdiction_at(grid_worker.jurisdiction).chain
    assert grid_chain.street in {u.jurisdiction for u in street_ops}
    assert grid_chain.district == "YZ01"


def test_rivers_drain_into_one_outlet(demo_city: City) -> None:
    rivers = demo_city.rivers
    outlets = [r for r in rivers.values() if r.downstream_id is None]
    assert len(outlets) == 1
    names = {r.name_en for r in rivers.values()}
    assert 4 <= len(names) - 1 <= 5  # main river plus 3-5 tributaries
    for river in rivers.values():
        seen = 0
        node = river
        while node.downstream_id is not None:
            node = rivers[node.downstream_id]
            seen += 1
            assert seen < len(rivers)
        assert node is outlets[0]
    x0, _, x1, _ = demo_city.city_jurisdiction.geometry.bounds
    main = [r for r in rivers.values() if r.name_en == outlets[0].name_en]
    assert min(r.geometry.bounds[0] for r in main) < x0
    assert max(r.geometry.bounds[2] for r in main) > x1
