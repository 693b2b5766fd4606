"""Byte-stable writers: JSON with sorted keys and 6-decimal coordinates, YAML in given order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
import yaml
from shapely.geometry import mapping

DECIMALS = 6


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value


def geojson_geometry(geom: Any) -> dict[str, Any]:
    """A GeoJSON geometry dict, polygons oriented counter-clockwise (RFC 7946)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = shapely.orient_polygons(geom)
    data = mapping(geom)
    return {"type": data["type"], "coordinates": _round(data["coordinates"])}


def write_feature_collection(path: Path, features: list[dict[str, Any]]) -> None:
    """One feature per line, keys sorted, so the file diffs well and is byte-stable."""
    lines = [
        json.dumps(f, ensure_ascii=False, sort_keys=True, separators=(",", ":")) for f in features
    ]
    body = ",\n".join(lines)
    path.write_text(
        '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n", encoding="utf-8"
    )


class _PlainDumper(yaml.SafeDumper):
    """A safe dumper that writes repeated lists out in full (no &anchors / *aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_yaml(path: Path, data: Any, header: str) -> None:
    text = yaml.dump(data, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=100)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    path.write_text(comment + text, encoding="utf-8")
