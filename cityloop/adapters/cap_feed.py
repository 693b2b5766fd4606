"""An Atom 1.0 feed (RFC 4287) of the active CAP alerts, as alert hubs and aggregators read them.

One entry per active warning, pointing at its latest CAP message with a `link rel="alternate"
type="application/cap+xml"`; the entry's title is the CAP headline and its summary the
description, in the feed's language.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from cityloop.adapters import cap_text as text
from cityloop.adapters.cap import CAP_MIME, CapWarning
from cityloop.adapters.cap_mapping import severity

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MIME = "application/atom+xml"
SEVERITY_SCHEME = "urn:oasis:names:tc:emergency:cap:1.2#severity"


def rfc3339(t: datetime) -> str:
    """An Atom date: seconds, with its offset ("Z" for UTC)."""
    if t.utcoffset() is None:
        raise ValueError("Atom times must be timezone-aware")
    out = t.replace(microsecond=0).isoformat()
    return out[:-6] + "Z" if out.endswith("+00:00") else out


def _sub(parent: ET.Element, tag: str, value: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    if value is not None:
        child.text = value
    return child


def atom_feed(
    alerts: Sequence[tuple[CapWarning, str]],
    feed_url: str,
    updated: datetime,
    *,
    title: str = "CityLoop 预警 / active warnings",
    author: str = "CityLoop",
    language: Literal["zh", "en"] = "zh",
) -> bytes:
    """The feed of `alerts`, each (latest change of a warning, URL of its CAP message)."""
    # Unqualified tags under an explicit default namespace: ElementTree's `default_namespace`
    # refuses the unqualified attributes (rel, href) that Atom uses.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-CN" if language == "zh" else "en")
    _sub(feed, "id", feed_url)
    _sub(feed, "title", title)
    _sub(feed, "updated", rfc3339(updated))
    _sub(feed, "link", rel="self", type=ATOM_MIME, href=feed_url)
    _sub(_sub(feed, "author"), "name", author)
    for w, url in sorted(alerts, key=lambda a: (a[0].sent, a[0].id), reverse=True):
        zh = language == "zh"
        entry = _sub(feed, "entry")
        _sub(entry, "id", url)
        _sub(entry, "title", text.headline_zh(w) if zh else text.headline_en(w))
        _sub(entry, "updated", rfc3339(w.sent))
        _sub(_sub(entry, "author"), "name", w.sender_name)
        _sub(entry, "link", rel="alternate", type=CAP_MIME, href=url)
        _sub(entry, "category", term=severity(w.kind, w.level), scheme=SEVERITY_SCHEME)
        _sub(entry, "summary", text.description_zh(w) if zh else text.description_en(w))
    ET.indent(feed)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
