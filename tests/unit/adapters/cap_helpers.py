"""Warnings to render as CAP, and the official CAP 1.2 schema to validate them against."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lxml import etree

from cityloop.adapters.cap import CapWarning, reference_of

CAP_XSD = Path(__file__).resolve().parents[2] / "data" / "CAP-v1.2.xsd"
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 7, 1, 14, 5, 30, 250_000, tzinfo=CST)
SENDER = "cityloop@yuzhou.example"


def schema() -> Any:
    return etree.XMLSchema(etree.parse(str(CAP_XSD)))


def raised(**changes: Any) -> CapWarning:
    base = CapWarning(
        id="dissolved-oxygen-gb3838/DO00003/1782885930000",
        sequence=1,
        kind="raised",
        level="yellow",
        sent=T0,
        rule_id="dissolved-oxygen-gb3838",
        rule_name_zh="地表水溶解氧",
        rule_name_en="Surface water dissolved oxygen",
        event_type="AC10",
        event_name_zh="水污染事件",
        event_name_en="Water pollution incident",
        subject="DO00003",
        subject_name="渝江溶解氧站 DO00003",
        subject_name_en="Yu River DO station DO00003",
        sender=SENDER,
        sender_name="渝州市城市运行管理中心",
        web="https://yuzhou.example/warnings/1",
        lon=106.494056,
        lat=29.535366,
        value=4.2,
        threshold=5.0,
        unit="mg/L",
        source="GB 3838-2002 地表水环境质量标准",
        event_class="accident",
    )
    return replace(base, **changes)


def history(*steps: tuple[str, str]) -> list[CapWarning]:
    """The messages of one warning: raised yellow, then each (kind, level), an hour apart."""
    out = [raised()]
    for k, (kind, level) in enumerate(steps, start=2):
        out.append(
            replace(
                out[0],
                sequence=k,
                kind=kind,
                level=level,
                sent=T0 + timedelta(hours=k - 1),
                references=tuple(reference_of(m) for m in out),
            )
        )
    return out


def parse(xml: bytes) -> Any:
    return etree.fromstring(xml)


def texts(root: Any, path: str) -> list[str]:
    return [e.text for e in root.iterfind(path, NS)]


def info(root: Any, language: str) -> Any:
    return next(
        i for i in root.iterfind("cap:info", NS) if i.findtext("cap:language", None, NS) == language
    )


def params(block: Any) -> dict[str, str]:
    return {
        p.findtext("cap:valueName", None, NS): p.findtext("cap:value", None, NS)
        for p in block.iterfind("cap:parameter", NS)
    }
