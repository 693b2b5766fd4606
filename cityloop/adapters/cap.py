"""CAP 1.2 (OASIS Common Alerting Protocol, 2010): one alert message per change of a warning.

`to_cap_xml(CapWarning)` renders a change as a CAP 1.2 `<alert>` with two `<info>` blocks
(zh-CN, en-US). Each change has its own identifier, `{sender domain}:{warning id}:{sequence}`; a
raise is an `Alert`, an upgrade or downgrade an `Update` referencing every earlier message of the
warning, a clear a `Cancel`. The mapping of levels and flags to CAP values is in `cap_mapping`
and docs/cap.md. Built with the standard library's ElementTree: no third-party dependency.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cityloop.adapters import cap_text as text
from cityloop.adapters.cap_mapping import (
    CAP_CATEGORIES,
    KINDS,
    LEVELS,
    MSG_TYPE,
    Kind,
    Level,
    categories,
    certainty,
    response_type,
    severity,
    urgency,
)

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MIME = "application/cap+xml"
DEFAULT_VALIDITY = timedelta(hours=24)
"""`expires` = `sent` + this, unless the warning gives its own `expires`."""
STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
_RESTRICTED = re.compile(r"[\s,<&]")

Reference = tuple[str, str, datetime]
"""(sender, identifier, sent) of an earlier message."""


@dataclass(frozen=True, slots=True)
class CapWarning:
    """One change of a stored warning, with what CAP needs to say about it."""

    id: str
    """The warning id (the same for every change of one warning)."""
    sequence: int
    """The change number: 1 for the raise, then 2, 3, …"""
    kind: Kind
    level: Level
    """The level after the change ("none" when cleared)."""
    sent: datetime
    """When this message is issued (timezone-aware)."""
    rule_id: str
    rule_name_zh: str
    rule_name_en: str
    event_type: str | None
    event_name_zh: str
    event_name_en: str
    subject: str
    """The sensor or area id."""
    subject_name: str
    sender: str
    """Who issues the alert, e.g. "cityloop@yuzhou.example" (no spaces, commas, < or &)."""
    sender_name: str
    web: str
    lon: float | None = None
    lat: float | None = None
    area: tuple[tuple[float, float], ...] = ()
    """An area polygon as (lon, lat) pairs, instead of a point."""
    value: float | None = None
    threshold: float | None = None
    unit: str = ""
    predicted: bool = False
    anomaly: bool = False
    needs_confirmation: bool = False
    """True while the warning awaits a person's confirmation (forecasts, anomalies)."""
    source: str = ""
    """The standard the rule cites."""
    headline_zh: str | None = None
    headline_en: str | None = None
    instruction_zh: str | None = None
    instruction_en: str | None = None
    references: tuple[Reference, ...] = ()
    """Every earlier message of the same warning (see `reference_of`)."""
    event_class: str | None = None
    categories: tuple[str, ...] = ()
    """CAP categories; derived from the event type or class when empty."""
    subject_name_en: str | None = None
    radius_km: float = 1.0
    """Radius of the circle drawn around a point subject."""
    expires: datetime | None = None
    status: str = "Actual"

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in KINDS:
            problems.append(f"unknown kind {self.kind!r}")
        if self.level not in LEVELS:
            problems.append(f"unknown level {self.level!r}")
        if (self.kind == "cleared") != (self.level == "none"):
            problems.append(f"a {self.kind} warning cannot have level {self.level!r}")
        if self.sequence < 1 or (self.kind == "raised") != (self.sequence == 1):
            problems.append(f"a {self.kind} change cannot have sequence {self.sequence}")
        if self.kind != "raised" and not self.references:
            problems.append(f"a {self.kind} change must reference the earlier messages")
        if self.sent.utcoffset() is None:
            problems.append("sent must be timezone-aware")
        if (self.lon is None or self.lat is None) and len(self.area) < 3:
            problems.append("give lon and lat, or an area polygon of at least 3 points")
        if _RESTRICTED.search(self.sender):
            problems.append(f"sender {self.sender!r} contains a space, comma, < or &")
        unknown = [c for c in self.categories if c not in CAP_CATEGORIES]
        if unknown:
            problems.append(f"not CAP 1.2 categories: {unknown}")
        if self.status not in STATUSES:
            problems.append(f"unknown status {self.status!r}")
        if problems:
            raise ValueError(f"invalid CAP warning {self.id}: " + "; ".join(problems))

    @property
    def identifier(self) -> str:
        return message_identifier(self.sender, self.id, self.sequence)


def message_identifier(sender: str, warning_id: str, sequence: int) -> str:
    """`{sender domain}:{warning id}:{sequence}`, with spaces, commas, < and & replaced by _."""
    domain = sender.rpartition("@")[2]
    return _RESTRICTED.sub("_", f"{domain}:{warning_id}:{sequence}")


def reference_of(w: CapWarning) -> Reference:
    """How later messages of the same warning reference this one."""
    return (w.sender, w.identifier, w.sent)


def cap_time(t: datetime) -> str:
    """CAP date-time: seconds, a numeric offset, and UTC written "-00:00" (CAP 1.2 §3.3.2)."""
    if t.utcoffset() is None:
        raise ValueError("CAP times must be timezone-aware")
    out = t.replace(microsecond=0).isoformat()
    return out[:-6] + "-00:00" if out.endswith("+00:00") else out


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def circle(lon: float, lat: float, radius_km: float) -> str:
    """CAP circle: "lat,lon radius" (WGS84 degrees, kilometres)."""
    return f"{_number(lat)},{_number(lon)} {_number(radius_km)}"


def polygon(ring: Sequence[tuple[float, float]]) -> str:
    """CAP polygon from (lon, lat) pairs: "lat,lon lat,lon …", closed (first pair repeated)."""
    points = list(ring)
    if points[0] != points[-1]:
        points.append(points[0])
    return " ".join(f"{_number(lat)},{_number(lon)}" for lon, lat in points)


def _sub(parent: ET.Element, tag: str, value: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if value is not None:
        child.text = value
    return child


def _pair(parent: ET.Element, tag: str, name: str, value: str) -> None:
    element = _sub(parent, tag)
    _sub(element, "valueName", name)
    _sub(element, "value", value)


def parameters(w: CapWarning) -> list[tuple[str, str]]:
    out = [("warning_id", w.id), ("warning_level", w.level), ("rule", w.rule_id)]
    out.append(("subject", w.subject))
    if w.value is not None:
        out.append(("value", f"{w.value:g}"))
    if w.threshold is not None:
        out.append(("threshold", f"{w.threshold:g}"))
    if w.unit:
        out.append(("unit", w.unit))
    flags = [("predicted", w.predicted), ("anomaly", w.anomaly)]
    flags.append(("needs_confirmation", w.needs_confirmation))
    return out + [(name, "true" if on else "false") for name, on in flags]


def _info(w: CapWarning, language: str, expires: datetime) -> ET.Element:
    zh = language.startswith("zh")
    info = ET.Element(f"{{{CAP_NS}}}info")
    _sub(info, "language", language)
    for category in categories(w.event_type, w.event_class, w.categories):
        _sub(info, "category", category)
    rule_name = w.rule_name_zh if zh else w.rule_name_en
    event_name = w.event_name_zh if zh else w.event_name_en
    _sub(info, "event", event_name or rule_name)
    _sub(info, "responseType", response_type(w.kind, w.level, w.predicted, w.needs_confirmation))
    _sub(info, "urgency", urgency(w.kind, w.level, w.predicted))
    _sub(info, "severity", severity(w.kind, w.level))
    _sub(info, "certainty", certainty(w.kind, w.predicted, w.needs_confirmation))
    if w.event_type:
        _pair(info, "eventCode", "cityloop:event_type", w.event_type)
    _sub(info, "effective", cap_time(w.sent))
    _sub(info, "expires", cap_time(expires))
    _sub(info, "senderName", w.sender_name)
    _sub(info, "headline", text.headline_zh(w) if zh else text.headline_en(w))
    _sub(info, "description", text.description_zh(w) if zh else text.description_en(w))
    _sub(info, "instruction", text.instruction_zh(w) if zh else text.instruction_en(w))
    _sub(info, "web", w.web)
    for name, value in parameters(w):
        _pair(info, "parameter", name, value)
    area = _sub(info, "area")
    _sub(area, "areaDesc", w.subject_name if zh else text.subject_en(w))
    if w.lon is None or w.lat is None or len(w.area) >= 3:
        _sub(area, "polygon", polygon(w.area))
    else:
        _sub(area, "circle", circle(w.lon, w.lat, w.radius_km))
    return info


def to_cap_element(w: CapWarning, validity: timedelta = DEFAULT_VALIDITY) -> ET.Element:
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", w.identifier)
    _sub(alert, "sender", w.sender)
    _sub(alert, "sent", cap_time(w.sent))
    _sub(alert, "status", w.status)
    _sub(alert, "msgType", MSG_TYPE[w.kind])
    _sub(alert, "source", f"CityLoop rule {w.rule_id}, {w.subject}")
    _sub(alert, "scope", "Public")
    if w.kind == "cleared":
        _sub(alert, "note", f"Warning {w.id} cleared.")
    if w.kind != "raised":
        refs = " ".join(f"{s},{_RESTRICTED.sub('_', i)},{cap_time(t)}" for s, i, t in w.references)
        _sub(alert, "references", refs)
    _sub(alert, "incidents", _RESTRICTED.sub("_", w.id))
    expires = w.expires or w.sent + validity
    alert.append(_info(w, "zh-CN", expires))
    alert.append(_info(w, "en-US", expires))
    return alert


def to_cap_xml(w: CapWarning, validity: timedelta = DEFAULT_VALIDITY) -> bytes:
    """The CAP 1.2 alert of one warning change, as UTF-8 XML with a declaration."""
    alert = to_cap_element(w, validity)
    ET.indent(alert)
    body: bytes = ET.tostring(
        alert, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS
    )
    return body
