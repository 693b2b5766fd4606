"""Open311 GeoReport v2 bodies in JSON and XML, and the specification's error format."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Response

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    """An error answered in the specification's format: HTTP status and [{code, description}]."""

    def __init__(self, status: int, description: str, fmt: str = "json") -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.fmt = fmt if fmt in FORMATS else "json"


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(400, f"unsupported format '{fmt}': use .json or .xml")
    return fmt


def _xml_value(parent: ET.Element, key: str, value: Any, item_tags: dict[str, str]) -> None:
    el = ET.SubElement(parent, key)
    if value is None:
        return
    if isinstance(value, bool):
        el.text = "true" if value else "false"
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v, item_tags)
    elif isinstance(value, list):
        tag = item_tags.get(key, key.rstrip("s"))
        for entry in value:
            if isinstance(entry, dict):
                _xml_dict(el, tag, entry, item_tags)
            else:
                _xml_value(el, tag, entry, item_tags)
    else:
        el.text = str(value)


def _xml_dict(parent: ET.Element, tag: str, item: dict[str, Any], tags: dict[str, str]) -> None:
    el = ET.SubElement(parent, tag)
    for k, v in item.items():
        _xml_value(el, k, v, tags)


def render(
    data: Any,
    fmt: str,
    *,
    root: str,
    item: str | None = None,
    item_tags: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """``data`` as JSON, or as XML under ``root`` (a list becomes repeated ``item`` elements)."""
    if fmt == "json":
        return Response(orjson.dumps(data), status_code=status, media_type=FORMATS["json"])
    tags = item_tags or {}
    top = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _xml_dict(top, item or root.rstrip("s"), entry, tags)
    else:
        for k, v in data.items():
            _xml_value(top, k, v, tags)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return Response(body, status_code=status, media_type=FORMATS["xml"])


def render_errors(status: int, errors: Sequence[tuple[int, str]], fmt: str) -> Response:
    items = [{"code": code, "description": description} for code, description in errors]
    return render(items, fmt, root="errors", item="error", status=status)
