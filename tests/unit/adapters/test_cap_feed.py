"""The Atom 1.0 feed of active CAP alerts."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from cityloop.adapters.cap_feed import atom_feed, rfc3339
from tests.unit.adapters.cap_helpers import T0, history, raised

ATOM = {"a": "http://www.w3.org/2005/Atom"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
FEED_URL = "https://yuzhou.example/cap/feed.atom"


def alerts() -> list[tuple[Any, str]]:
    water = history(("upgraded", "orange"))[-1]
    crowd = raised(
        id="crowd-density/CBD01/1782889530000",
        subject="CBD01",
        subject_name="解放碑商圈",
        subject_name_en="Jiefangbei commercial district",
        rule_name_en="Crowd density",
        event_type="SS01",
        level="red",
        sent=T0 + timedelta(hours=2),
    )
    return [
        (water, "https://yuzhou.example/cap/alerts/w1.xml"),
        (crowd, "https://yuzhou.example/cap/alerts/w2.xml"),
    ]


def feed(**options: Any) -> Any:
    xml = atom_feed(alerts(), FEED_URL, datetime(2026, 7, 1, 7, 0, tzinfo=UTC), **options)
    assert xml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return etree.fromstring(xml)


def test_the_feed_is_well_formed_atom_with_its_required_elements() -> None:
    root = feed()
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.findtext("a:id", None, ATOM) == FEED_URL
    assert root.findtext("a:title", None, ATOM)
    assert root.findtext("a:updated", None, ATOM) == "2026-07-01T07:00:00Z"
    assert root.findtext("a:author/a:name", None, ATOM) == "CityLoop"
    (self_link,) = root.iterfind("a:link", ATOM)
    assert dict(self_link.attrib) == {
        "rel": "self", "type": "application/atom+xml", "href": FEED_URL,
    }  # fmt: skip


def test_each_active_alert_is_an_entry_linking_to_its_cap_message_newest_first() -> None:
    entries = feed(language="en").findall("a:entry", ATOM)
    assert [e.findtext("a:id", None, ATOM) for e in entries] == [
        "https://yuzhou.example/cap/alerts/w2.xml",
        "https://yuzhou.example/cap/alerts/w1.xml",
    ]
    for entry in entries:
        (link,) = entry.iterfind("a:link", ATOM)
        assert link.get("rel") == "alternate"
        assert link.get("type") == "application/cap+xml"
        assert link.get("href") == entry.findtext("a:id", None, ATOM)
        assert RFC3339.match(entry.findtext("a:updated", None, ATOM))
        assert entry.findtext("a:author/a:name", None, ATOM) == "渝州市城市运行管理中心"
    crowd, water = entries
    assert crowd.findtext("a:title", None, ATOM) == (
        "Red warning: Crowd density at Jiefangbei commercial district"
    )
    assert crowd.find("a:category", ATOM).get("term") == "Extreme"
    assert water.findtext("a:updated", None, ATOM) == "2026-07-01T15:05:30+08:00"
    assert "the orange threshold is 5 mg/L" in water.findtext("a:summary", None, ATOM)


def test_the_feed_speaks_chinese_by_default() -> None:
    root = feed()
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
    titles = [e.findtext("a:title", None, ATOM) for e in root.iterfind("a:entry", ATOM)]
    assert titles[1] == "渝江溶解氧站 DO00003：地表水溶解氧预警升级为橙色"


def test_an_empty_feed_is_still_valid_atom() -> None:
    xml = atom_feed([], FEED_URL, datetime(2026, 7, 1, 7, 0, tzinfo=UTC), title="Warnings")
    root = etree.fromstring(xml)
    assert root.findall("a:entry", ATOM) == []
    assert root.findtext("a:title", None, ATOM) == "Warnings"


def test_atom_dates_use_z_for_utc_and_keep_other_offsets() -> None:
    assert rfc3339(datetime(2026, 7, 1, 7, 0, 1, 5, tzinfo=UTC)) == "2026-07-01T07:00:01Z"
    assert rfc3339(T0) == "2026-07-01T14:05:30+08:00"
    assert rfc3339(replace(raised()).sent) == "2026-07-01T14:05:30+08:00"
