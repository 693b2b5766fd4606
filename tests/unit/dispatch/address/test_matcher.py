"""Address text → the right row of the demo city's address table, tolerantly, with reasons."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cityloop.bench.address import bench_address_matching, chinese_numeral
from cityloop.city import City, load_city
from cityloop.dispatch.address import AddressMatch, AddressMatcher
from cityloop.dispatch.address.gazetteer import Gazetteer
from tests.unit.city.conftest import TinyCity


@pytest.fixture(scope="module")
def matcher(demo_city: City) -> AddressMatcher:
    return AddressMatcher.from_city(demo_city)


@pytest.fixture(scope="module")
def gaz(matcher: AddressMatcher) -> Gazetteer:
    return matcher.gazetteer


def unique_roads(gaz: Gazetteer) -> list[int]:
    """Roads whose Chinese and English names occur once in the city, longest names last."""
    roads = [i for i, kind in enumerate(gaz.kinds) if kind == "road"]
    zh = Counter(gaz.names_zh[i] for i in roads)
    return [i for i in roads if zh[gaz.names_zh[i]] == 1 and gaz.road_suffix_zh[i] == "路"]


def house_on(gaz: Gazetteer, road: int, number: int = 128) -> tuple[int, int]:
    """(number, row) of the house numbered closest to `number` on `road`."""
    found = min(gaz.houses[road], key=lambda n: abs(n - number))
    return found, gaz.houses[road][found]


def matched(matcher: AddressMatcher, text: str) -> AddressMatch:
    found = matcher.match(text)
    assert found is not None, matcher.explain(text)
    return found


@pytest.fixture(scope="module")
def road(gaz: Gazetteer) -> int:
    return unique_roads(gaz)[0]


def test_chinese_house_address_matches_the_house(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    number, house = house_on(gaz, road)
    found = matched(matcher, f"{gaz.names_zh[road]}{number}号")
    assert (found.code, found.precision) == (gaz.codes[house], "house")
    assert found.label == gaz.names_zh[house]
    assert (found.lon, found.lat, found.grid_code) == (
        gaz.lon[house],
        gaz.lat[house],
        gaz.grids[house],
    )
    assert found.score >= 0.95
    assert found.reasons[:2] == (
        f"road {gaz.names_zh[road]} (exact)",
        f"house number {number} on that road",
    )


def test_english_house_address_matches_lower_case_and_abbreviated(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    number, house = house_on(gaz, road)
    base = gaz.names_en[road].removesuffix(" Road")
    assert matched(matcher, f"{number} {base} Road").code == gaz.codes[house]
    assert matched(matcher, f"{number} {base.lower()} rd").code == gaz.codes[house]
    assert matched(matcher, f"near {base} Rd no. {number}").code == gaz.codes[house]


def test_address_inside_a_hotline_sentence_is_found(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    number, house = house_on(gaz, road, 35)
    found = matched(matcher, f"我在{gaz.names_zh[road]}{number}号附近看到井盖没了")
    assert found.code == gaz.codes[house]


def test_chinese_numerals_and_full_width_digits_read_as_house_numbers(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    number, house = house_on(gaz, road, 128)
    wide = str(number).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for text in (
        f"{gaz.names_zh[road]}{chinese_numeral(number)}号门口有垃圾",
        f"{gaz.names_zh[road]}{wide}号",
    ):
        assert matched(matcher, text).code == gaz.codes[house]


def test_road_named_without_its_suffix_still_finds_the_house(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    number, house = house_on(gaz, road)
    found = matched(matcher, f"{gaz.names_zh[road].removesuffix('路')}{number}号")
    assert found.code == gaz.codes[house]
    assert "named without its suffix" in found.reasons[0]


def test_english_typo_in_the_road_name_is_forgiven(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    number, house = house_on(gaz, road)
    base = gaz.names_en[road].removesuffix(" Road")
    typo = base[0] + base[2] + base[1] + base[3:]
    found = matched(matcher, f"{number} {typo} Road")
    assert found.code == gaz.codes[house]
    assert "typo" in found.reasons[0]
    assert found.score < 1.0


def test_road_without_number_matches_the_road_at_its_midpoint(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    found = matched(matcher, f"{gaz.names_zh[road]}的路灯坏了")
    assert (found.code, found.precision) == (gaz.codes[road], "road")
    assert (found.lon, found.lat) == (gaz.lon[road], gaz.lat[road])


def test_a_count_after_the_road_is_not_a_house_number(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    assert matched(matcher, f"{gaz.names_zh[road]}3个井盖坏了").precision == "road"


def test_number_the_road_does_not_have_falls_back_to_the_road(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    found = matched(matcher, f"{gaz.names_zh[road]}99999号")
    assert found.precision == "road"
    assert "no house number 99999 on that road: its midpoint" in found.reasons


def test_place_named_in_full_matches_in_both_languages(
    matcher: AddressMatcher, gaz: Gazetteer
) -> None:
    place = gaz.kinds.index("hospital")
    for text in (f"{gaz.names_zh[place]}门口", f"outside {gaz.names_en[place]} today"):
        found = matched(matcher, text)
        assert (found.code, found.precision) == (gaz.codes[place], "place")


def test_kind_of_place_near_a_road_finds_that_place(
    matcher: AddressMatcher, gaz: Gazetteer
) -> None:
    markets = {
        r: p
        for r in unique_roads(gaz)
        for p in gaz.places_by_road.get(r, [])
        if gaz.kinds[p] == "market"
    }
    road, _market = next(iter(markets.items()))
    found = matched(matcher, f"{gaz.names_zh[road]}那边的菜市场")
    place = gaz.codes.index(found.code)
    assert (found.precision, gaz.kinds[place]) == ("place", "market")
    assert place in gaz.places_by_road[road]


def test_place_named_in_part_is_found_by_its_character_pairs(
    matcher: AddressMatcher, gaz: Gazetteer
) -> None:
    names = Counter(gaz.names_zh[i][:2] for i, k in enumerate(gaz.kinds) if k == "compound")
    place = next(
        i
        for i, k in enumerate(gaz.kinds)
        if k == "compound" and gaz.names_zh[i][2:] == "小区" and names[gaz.names_zh[i][:2]] == 1
    )
    found = matched(matcher, f"{gaz.names_zh[place][:2]}那个小区门口")
    assert (found.code, found.precision) == (gaz.codes[place], "place")
    assert "named in part" in found.reasons[0]


def test_district_named_in_the_text_picks_among_same_named_roads(
    matcher: AddressMatcher, gaz: Gazetteer
) -> None:
    by_name: dict[str, list[int]] = {}
    for i, kind in enumerate(gaz.kinds):
        if kind == "road":
            by_name.setdefault(gaz.names_zh[i], []).append(i)
    name, roads = next((n, rs) for n, rs in sorted(by_name.items()) if len(rs) >= 2)
    number = next(n for n in sorted(gaz.houses[roads[0]]) if n in gaz.houses[roads[1]])
    alone = matched(matcher, f"{name}{number}号")
    assert any(r.startswith("ambiguous") for r in alone.reasons)
    for road in roads[:2]:
        district = gaz.district[road]
        assert district is not None
        district_zh, district_en = gaz.jurisdiction_names[district]
        house = gaz.houses[road][number]
        found = matched(matcher, f"{district_zh}{name}{number}号")
        assert found.code == gaz.codes[house]
        assert f"district {district_zh} mentioned" in found.reasons
        assert found.score > alone.score
        english = f"{district_en}, {number} {gaz.names_en[road]}"
        assert matched(matcher, english).code == gaz.codes[house]


def test_text_without_an_address_matches_nothing_and_says_why(matcher: AddressMatcher) -> None:
    assert matcher.match("今天天气不错，没有什么问题") is None
    assert matcher.explain("今天天气不错，没有什么问题") == (
        "no road, place or house number of the address table in the text",
    )
    assert matcher.match("") is None
    assert matcher.explain("   ") == ("the text is empty",)


def test_a_district_alone_is_too_coarse_to_match(
    matcher: AddressMatcher, gaz: Gazetteer, demo_city: City
) -> None:
    district = demo_city.jurisdictions["YZ01"].name_zh
    assert matcher.match(f"{district}有人乱扔垃圾") is None
    assert f"recognised only district {district}: not enough to place an address" in (
        matcher.explain(f"{district}有人乱扔垃圾")
    )


def test_weak_reading_below_the_threshold_is_explained(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    base = gaz.names_en[road].removesuffix(" Road")
    typo = base[0] + base[2] + base[1] + base[3:]
    assert matcher.match(f"somewhere around {typo}") is None
    reasons = matcher.explain(f"somewhere around {typo}")
    assert any("below the threshold 0.50" in r for r in reasons)
    assert any("typo" in r for r in reasons)


def test_match_lists_the_top_three_candidates_best_first(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    found = matched(matcher, gaz.names_zh[road])
    assert found.candidates[0].code == found.code
    assert len(found.candidates) <= 3
    scores = [c.score for c in found.candidates]
    assert scores == sorted(scores, reverse=True)


def test_matcher_is_shared_per_city_folder(demo_city: City, matcher: AddressMatcher) -> None:
    assert AddressMatcher.from_city(demo_city) is matcher


def test_city_without_an_address_table_matches_nothing(tmp_path: Path) -> None:
    city = load_city(TinyCity().write(tmp_path / "tiny"))
    matcher = AddressMatcher.from_city(city)
    assert matcher.match("和平路1号") is None
    assert matcher.explain("和平路1号") == ("the city has no address table (addresses.csv)",)


def test_benchmark_reports_throughput_and_a_high_hit_rate(demo_city: City) -> None:
    result = bench_address_matching(demo_city, n=400)
    assert result["bench"] == "address"
    assert result["queries"] == 400
    assert result["matches_per_s"] > 0
    assert result["hit_rate"] >= 0.95


def test_unified_address_code_looks_up_its_address(
    matcher: AddressMatcher, gaz: Gazetteer, road: int
) -> None:
    _number, house = house_on(gaz, road)
    found = matcher.lookup(gaz.codes[house])
    assert found is not None
    assert (found.label, found.precision, found.score) == (gaz.names_zh[house], "house", 1.0)
    assert (found.lon, found.lat) == (gaz.lon[house], gaz.lat[house])
    assert matcher.lookup("YZ99-R999-9999") is None
