"""CAP 1.2 alerts of warning changes: valid against the official OASIS schema, mapped as
documented in docs/cap.md."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from cityloop.adapters.cap import CapWarning, cap_time, to_cap_xml
from tests.unit.adapters.cap_helpers import (
    NS,
    T0,
    history,
    info,
    params,
    parse,
    raised,
    schema,
    texts,
)

SQUARE = ((106.55, 29.56), (106.56, 29.56), (106.56, 29.57), (106.55, 29.57))


@pytest.fixture(scope="module")
def xsd() -> Any:
    return schema()


def assert_valid(xsd: Any, xml: bytes) -> Any:
    doc = parse(xml)
    assert xsd.validate(doc), xsd.error_log
    return doc


WARNINGS = {
    "raised point": raised(),
    "upgraded": history(("upgraded", "orange"))[-1],
    "downgraded": history(("upgraded", "red"), ("downgraded", "blue"))[-1],
    "cleared": history(("upgraded", "orange"), ("cleared", "none"))[-1],
    "area polygon": raised(lon=None, lat=None, area=SQUARE, subject="CBD01", event_type="SS01"),
    "predicted": raised(predicted=True, needs_confirmation=True, rule_id="water-level-forecast"),
    "anomaly": raised(anomaly=True, needs_confirmation=True, value=7.5, unit="", threshold=6.0),
    "no event type": raised(event_type=None, event_name_zh="", event_name_en="", value=None),
}


@pytest.mark.parametrize("name", list(WARNINGS))
def test_every_kind_of_alert_is_valid_against_the_official_cap_1_2_schema(
    xsd: Any, name: str
) -> None:
    assert_valid(xsd, to_cap_xml(WARNINGS[name]))


def test_the_schema_really_validates_cap_times_need_a_numeric_offset(xsd: Any) -> None:
    doc = parse(to_cap_xml(raised()))
    doc.find("cap:sent", NS).text = "2026-07-01T06:05:30Z"
    assert not xsd.validate(doc)


def test_an_alert_has_the_cap_1_2_header_of_a_public_actual_message() -> None:
    doc = parse(to_cap_xml(raised()))
    assert doc.tag == "{urn:oasis:names:tc:emergency:cap:1.2}alert"
    assert texts(doc, "cap:sender") == ["cityloop@yuzhou.example"]
    assert texts(doc, "cap:status") == ["Actual"]
    assert texts(doc, "cap:scope") == ["Public"]
    assert texts(doc, "cap:incidents") == ["dissolved-oxygen-gb3838/DO00003/1782885930000"]
    assert texts(doc, "cap:info/cap:language") == ["zh-CN", "en-US"]


def test_each_change_has_its_own_identifier_from_the_sender_domain_warning_and_sequence() -> None:
    messages = history(("upgraded", "orange"), ("cleared", "none"))
    ids = [texts(parse(to_cap_xml(m)), "cap:identifier")[0] for m in messages]
    assert ids == [
        f"yuzhou.example:dissolved-oxygen-gb3838/DO00003/1782885930000:{k}" for k in (1, 2, 3)
    ]


def test_sent_keeps_its_offset_without_fractional_seconds_and_utc_is_minus_zero() -> None:
    assert texts(parse(to_cap_xml(raised())), "cap:sent") == ["2026-07-01T14:05:30+08:00"]
    assert cap_time(datetime(2026, 7, 1, 6, 5, 30, 999, tzinfo=UTC)) == "2026-07-01T06:05:30-00:00"


@pytest.mark.parametrize(
    ("steps", "msg_type"),
    [((), "Alert"), ((("upgraded", "orange"),), "Update"),
     ((("upgraded", "red"), ("downgraded", "yellow")), "Update"),
     ((("cleared", "none"),), "Cancel")],
)  # fmt: skip
def test_raise_is_an_alert_a_change_an_update_and_a_clear_a_cancel(
    steps: tuple[tuple[str, str], ...], msg_type: str
) -> None:
    assert texts(parse(to_cap_xml(history(*steps)[-1])), "cap:msgType") == [msg_type]


def test_updates_and_cancels_reference_every_earlier_message_of_the_warning() -> None:
    messages = history(("upgraded", "orange"), ("downgraded", "yellow"), ("cleared", "none"))
    doc = parse(to_cap_xml(messages[-1]))
    prefix = "cityloop@yuzhou.example,yuzhou.example:dissolved-oxygen-gb3838/DO00003/1782885930000"
    assert texts(doc, "cap:references") == [
        f"{prefix}:1,2026-07-01T14:05:30+08:00 {prefix}:2,2026-07-01T15:05:30+08:00 "
        f"{prefix}:3,2026-07-01T16:05:30+08:00"
    ]
    assert texts(doc, "cap:note") == [
        "Warning dissolved-oxygen-gb3838/DO00003/1782885930000 cleared."
    ]
    assert texts(parse(to_cap_xml(messages[0])), "cap:references") == []


@pytest.mark.parametrize(
    ("level", "severity", "urgency", "response"),
    [("blue", "Minor", "Expected", "Monitor"), ("yellow", "Moderate", "Expected", "Prepare"),
     ("orange", "Severe", "Immediate", "Execute"), ("red", "Extreme", "Immediate", "Execute")],
)  # fmt: skip
def test_observed_levels_map_to_severity_urgency_and_response(
    level: str, severity: str, urgency: str, response: str
) -> None:
    doc = parse(to_cap_xml(raised(level=level)))
    for block in (info(doc, "zh-CN"), info(doc, "en-US")):
        assert block.findtext("cap:severity", None, NS) == severity
        assert block.findtext("cap:urgency", None, NS) == urgency
        assert block.findtext("cap:responseType", None, NS) == response
        assert block.findtext("cap:certainty", None, NS) == "Observed"


@pytest.mark.parametrize(
    ("level", "urgency", "response"),
    [("blue", "Future", "Monitor"), ("yellow", "Expected", "Prepare"),
     ("orange", "Expected", "Prepare"), ("red", "Expected", "Prepare")],
)  # fmt: skip
def test_predicted_warnings_are_likely_less_urgent_and_call_for_preparation(
    level: str, urgency: str, response: str
) -> None:
    doc = parse(to_cap_xml(raised(level=level, predicted=True, needs_confirmation=True)))
    block = info(doc, "en-US")
    assert block.findtext("cap:certainty", None, NS) == "Likely"
    assert block.findtext("cap:urgency", None, NS) == urgency
    assert block.findtext("cap:responseType", None, NS) == response
    assert block.findtext("cap:headline", None, NS).startswith("Forecast: ")


def test_an_anomaly_is_possible_until_a_person_confirms_it_then_observed() -> None:
    waiting = info(parse(to_cap_xml(raised(anomaly=True, needs_confirmation=True))), "en-US")
    assert waiting.findtext("cap:certainty", None, NS) == "Possible"
    assert waiting.findtext("cap:responseType", None, NS) == "Monitor"
    assert "awaits confirmation" in waiting.findtext("cap:instruction", None, NS)
    confirmed = info(parse(to_cap_xml(raised(anomaly=True))), "en-US")
    assert confirmed.findtext("cap:certainty", None, NS) == "Observed"


def test_a_cleared_warning_is_past_all_clear_and_minor() -> None:
    doc = parse(to_cap_xml(history(("upgraded", "red"), ("cleared", "none"))[-1]))
    block = info(doc, "en-US")
    assert block.findtext("cap:urgency", None, NS) == "Past"
    assert block.findtext("cap:responseType", None, NS) == "AllClear"
    assert block.findtext("cap:severity", None, NS) == "Minor"
    assert block.findtext("cap:headline", None, NS).endswith("warning cleared")
    assert params(block)["warning_level"] == "none"


@pytest.mark.parametrize(
    ("changes", "categories"),
    [({}, ["Env"]), ({"event_type": "ND01", "event_class": "natural"}, ["Met"]),
     ({"event_type": "ND03", "event_class": "natural"}, ["Geo"]),
     ({"event_type": "AC03"}, ["Safety", "Infra"]), ({"event_type": "SS01"}, ["Safety"]),
     ({"event_type": "PH01", "event_class": "health"}, ["Health"]),
     ({"event_type": "DV01", "event_class": "device"}, ["Other"]),
     ({"event_type": "XX99", "event_class": "urban"}, ["Infra"]),
     ({"event_type": "XX99", "event_class": None}, ["Other"]),
     ({"categories": ("Rescue", "Fire")}, ["Rescue", "Fire"])],
)  # fmt: skip
def test_categories_follow_the_event_type_then_its_class(
    changes: dict[str, Any], categories: list[str]
) -> None:
    doc = parse(to_cap_xml(raised(**changes)))
    assert texts(info(doc, "zh-CN"), "cap:category") == categories


def test_categories_outside_cap_1_2_are_refused() -> None:
    with pytest.raises(ValueError, match=r"not CAP 1\.2 categories: \['Flood'\]"):
        raised(categories=("Flood",))


def test_the_info_blocks_speak_chinese_and_english() -> None:
    doc = parse(to_cap_xml(history(("upgraded", "orange"))[-1]))
    zh, en = info(doc, "zh-CN"), info(doc, "en-US")
    assert zh.findtext("cap:event", None, NS) == "水污染事件"
    assert en.findtext("cap:event", None, NS) == "Water pollution incident"
    assert (
        zh.findtext("cap:headline", None, NS) == "渝江溶解氧站 DO00003：地表水溶解氧预警升级为橙色"
    )
    assert en.findtext("cap:headline", None, NS) == (
        "Surface water dissolved oxygen at Yu River DO station DO00003 upgraded to orange"
    )
    assert zh.findtext("cap:area/cap:areaDesc", None, NS) == "渝江溶解氧站 DO00003"
    assert en.findtext("cap:area/cap:areaDesc", None, NS) == "Yu River DO station DO00003"
    assert zh.findtext("cap:senderName", None, NS) == "渝州市城市运行管理中心"
    assert en.findtext("cap:web", None, NS) == "https://yuzhou.example/warnings/1"
    assert texts(zh, "cap:eventCode/cap:value") == ["AC10"]


def test_the_description_says_what_was_measured_against_which_threshold_and_standard() -> None:
    doc = parse(to_cap_xml(raised()))
    en = info(doc, "en-US").findtext("cap:description", None, NS)
    zh = info(doc, "zh-CN").findtext("cap:description", None, NS)
    assert "4.2 mg/L" in en
    assert "yellow threshold is 5 mg/L" in en
    assert "Standard: GB 3838-2002" in en
    assert "监测值4.2 mg/L，黄色预警阈值5 mg/L" in zh
    assert "依据：GB 3838-2002" in zh


def test_a_plan_may_override_the_headline_and_instruction() -> None:
    doc = parse(to_cap_xml(raised(headline_en="Close the intake", instruction_zh="关闭取水口")))
    assert info(doc, "en-US").findtext("cap:headline", None, NS) == "Close the intake"
    assert info(doc, "zh-CN").findtext("cap:instruction", None, NS) == "关闭取水口"


def test_parameters_carry_the_level_rule_subject_value_threshold_and_unit() -> None:
    block = info(parse(to_cap_xml(raised(predicted=True, needs_confirmation=True))), "en-US")
    assert params(block) == {
        "warning_id": "dissolved-oxygen-gb3838/DO00003/1782885930000",
        "warning_level": "yellow",
        "rule": "dissolved-oxygen-gb3838",
        "subject": "DO00003",
        "value": "4.2",
        "threshold": "5",
        "unit": "mg/L",
        "predicted": "true",
        "anomaly": "false",
        "needs_confirmation": "true",
    }


def test_a_point_subject_is_a_circle_written_lat_then_lon() -> None:
    doc = parse(to_cap_xml(raised(radius_km=0.5)))
    assert texts(doc, "cap:info/cap:area/cap:circle") == ["29.535366,106.494056 0.5"] * 2


def test_an_area_subject_is_a_closed_polygon_written_lat_then_lon() -> None:
    doc = parse(to_cap_xml(raised(area=SQUARE)))
    (ring, _) = texts(doc, "cap:info/cap:area/cap:polygon")
    assert ring == "29.56,106.55 29.56,106.56 29.57,106.56 29.57,106.55 29.56,106.55"
    assert texts(doc, "cap:info/cap:area/cap:circle") == []


def test_effective_is_sent_and_expires_after_a_configurable_validity() -> None:
    doc = parse(to_cap_xml(raised()))
    assert texts(doc, "cap:info/cap:effective") == ["2026-07-01T14:05:30+08:00"] * 2
    assert texts(doc, "cap:info/cap:expires") == ["2026-07-02T14:05:30+08:00"] * 2
    short = parse(to_cap_xml(raised(), validity=timedelta(hours=6)))
    assert texts(short, "cap:info/cap:expires")[0] == "2026-07-01T20:05:30+08:00"
    given = parse(to_cap_xml(raised(expires=T0 + timedelta(minutes=90))))
    assert texts(given, "cap:info/cap:expires")[0] == "2026-07-01T15:35:30+08:00"


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"sent": datetime(2026, 7, 1, 14, 0)}, "timezone-aware"),
     ({"kind": "upgraded", "sequence": 2, "level": "orange"}, "must reference"),
     ({"kind": "cleared", "sequence": 2, "level": "red"}, "cannot have level"),
     ({"sequence": 2}, "cannot have sequence"),
     ({"sender": "city loop"}, "contains a space"),
     ({"lon": None, "area": ()}, "area polygon"),
     ({"level": "purple"}, "unknown level"),
     ({"status": "Real"}, "unknown status")],
)  # fmt: skip
def test_an_inconsistent_warning_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(raised(), **changes)


def test_the_xml_is_utf8_with_a_declaration() -> None:
    xml = to_cap_xml(raised())
    assert xml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert "渝州市城市运行管理中心".encode() in xml
    assert isinstance(etree.fromstring(xml), etree._Element)
    assert isinstance(raised(), CapWarning)
