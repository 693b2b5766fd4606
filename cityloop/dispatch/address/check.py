"""Validate the optional address table (`addresses.csv`) and road file (`roads.geojson`).

Rows are validated in one pydantic pass; the cross-row checks (duplicate codes, unknown roads)
use dicts, and the spatial ones (inside the city, in the stated grid) locate every point in one
vectorised `locate_many` call. Issues name the file and the line (`line 12`, the header being
line 1) or, for the GeoJSON file, the dotted path.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely
from pydantic import TypeAdapter, ValidationError

from cityloop.city.check_geometry import feature_geometries
from cityloop.city.issues import ConfigIssue, format_loc, issues_from_validation
from cityloop.city.locate import Locator
from cityloop.city.model import Jurisdiction
from cityloop.city.read import ParsedFolder
from cityloop.dispatch.address.schema import (
    ADDRESS_KINDS,
    ADDRESSES_FILE,
    COLUMNS,
    ROADS_FILE,
    AddressRow,
    RoadsFile,
    read_address_rows,
    row_dicts,
)
from cityloop.domain.territory import JurisdictionChain, Level

__all__ = ["check_addresses"]

_ROWS = TypeAdapter(list[AddressRow])
_CHECK_RESOLUTION = 1024
_CODE = r"[A-Za-z0-9_\-]{1,64}"
_DEGREES = r"-?\d{1,3}(?:\.\d{1,12})?"
#: A row that certainly passes `AddressRow` (cells joined by \x1f); rows that do not match are
#: validated by the model itself, which has the last word and the error messages.
_PLAIN_ROW = re.compile(
    rf"({_CODE})\x1f([a-z]+)\x1f[^\x1f]{{1,200}}\x1f[^\x1f]{{1,200}}\x1f({_CODE})?"
    rf"\x1f([1-9]\d{{0,4}})?\x1f({_DEGREES})\x1f({_DEGREES})\x1f(?:{_CODE})?"
)
_KINDS = frozenset(ADDRESS_KINDS)


def _line(index: int) -> str:
    return f"line {index + 2}"


def _plain(row: list[str]) -> bool:
    """Whether the row certainly passes the schema (the common case, checked fast)."""
    found = _PLAIN_ROW.fullmatch("\x1f".join(row))
    if found is None:
        return False
    kind, road, number = found.group(2), found.group(3), found.group(4)
    lon, lat = float(found.group(5)), float(found.group(6))
    if kind not in _KINDS or not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return False
    if kind == "house":
        return road is not None and number is not None
    return number is None and (kind != "road" or road is None)


def _validate(header: list[str], rows: list[list[str]]) -> tuple[list[ConfigIssue], list[int]]:
    """Schema issues, and the indices of the rows that passed."""
    issues: list[ConfigIssue] = []
    bad: set[int] = set()
    for i, row in enumerate(rows):
        if len(row) != len(header):
            issues.append(
                ConfigIssue(
                    ADDRESSES_FILE, _line(i), f"expected {len(header)} cells, found {len(row)}"
                )
            )
            bad.add(i)
    sized = [i for i in range(len(rows)) if i not in bad and not _plain(rows[i])]
    try:
        _ROWS.validate_python(row_dicts(header, [rows[i] for i in sized]))
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            k, *field = err["loc"]
            i = sized[int(k)]
            bad.add(i)
            message = str(err["msg"]).removeprefix("Value error, ")
            where = f"{format_loc(field)}: " if field else ""
            issues.append(ConfigIssue(ADDRESSES_FILE, _line(i), where + message))
    return issues, [i for i in range(len(rows)) if i not in bad]


def _cross_rows(rows: list[list[str]], good: list[int]) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    first: dict[str, int] = {}
    houses: dict[tuple[str, str], int] = {}
    kinds = {rows[i][0]: rows[i][1] for i in good}
    for i in good:
        code, kind, _zh, _en, road, number = rows[i][:6]
        if code in first:
            msg = f"duplicate code {code!r} (first on {_line(first[code])})"
            issues.append(ConfigIssue(ADDRESSES_FILE, _line(i), msg))
        else:
            first[code] = i
        if road and kinds.get(road) != "road":
            what = "unknown road_code" if road not in kinds else "road_code is not a road:"
            issues.append(ConfigIssue(ADDRESSES_FILE, _line(i), f"{what} {road!r}"))
        if kind == "house":
            if (road, number) in houses:
                msg = f"duplicate house number {number} on road {road!r} "
                msg += f"(first on {_line(houses[road, number])})"
                issues.append(ConfigIssue(ADDRESSES_FILE, _line(i), msg))
            else:
                houses[road, number] = i
    return issues


def _locator(parsed: ParsedFolder) -> Locator | None:
    """A locator over the folder's jurisdictions, or None when they are missing or broken
    (their own checks report why)."""
    collection = parsed.jurisdictions
    if collection is None:
        return None
    geoms = feature_geometries(collection)
    if not bool(np.all(shapely.is_valid(geoms))):
        return None
    props = {ft.properties.code: ft.properties for ft in collection.features}
    nodes = []
    for ft, geom in zip(collection.features, geoms, strict=True):
        path: dict[str, str] = {}
        node: str | None = ft.properties.code
        while node is not None:
            pr = props.get(node)
            if pr is None or pr.level.value in path:
                return None
            path[pr.level.value] = node
            node = pr.parent_code
        if Level.CITY.value not in path:
            return None
        pr = ft.properties
        chain = JurisdictionChain(**path)
        nodes.append(
            Jurisdiction(pr.code, pr.parent_code, pr.level, pr.name_zh, pr.name_en, (), chain, geom)
        )
    return Locator.from_jurisdictions(nodes, resolution=_CHECK_RESOLUTION)


def _spatial(rows: list[list[str]], good: list[int], locator: Locator) -> list[ConfigIssue]:
    if not good:
        return []
    lon = np.array([float(rows[i][6]) for i in good])
    lat = np.array([float(rows[i][7]) for i in good])
    batch = locator.locate_many(lon, lat)
    grid_codes = batch.codes(Level.GRID)
    actual = batch.index(Level.GRID)
    stated = np.array([rows[i][8] for i in good], dtype=object)
    where_actual = np.array([grid_codes[k] if k >= 0 else "" for k in actual], dtype=object)
    issues: list[ConfigIssue] = []
    for j in np.flatnonzero(~batch.inside | (stated != where_actual)):
        i, point = good[j], f"({rows[good[j]][6]}, {rows[good[j]][7]})"
        if not batch.inside[j]:
            msg = f"point {point} is outside the city"
        elif where_actual[j]:
            msg = f"grid_code {stated[j] or 'empty'} but the point {point} lies in grid "
            msg += f"{where_actual[j]}"
        else:
            msg = f"grid_code {stated[j]} but the point {point} lies in no grid"
        issues.append(ConfigIssue(ADDRESSES_FILE, _line(i), msg))
    return issues


def _check_roads(path: Path) -> list[ConfigIssue]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return [ConfigIssue(ROADS_FILE, "", f"cannot read file: {exc}")]
    except json.JSONDecodeError as exc:
        return [ConfigIssue(ROADS_FILE, f"line {exc.lineno}", f"invalid JSON: {exc.msg}")]
    try:
        roads = RoadsFile.model_validate(raw)
    except ValidationError as exc:
        return issues_from_validation(ROADS_FILE, exc)
    seen: dict[str, int] = defaultdict(int)
    issues = []
    for k, ft in enumerate(roads.features):
        seen[ft.properties.code] += 1
        if seen[ft.properties.code] == 2:
            where = f"features[{k}].properties.code"
            issues.append(ConfigIssue(ROADS_FILE, where, f"duplicate code {ft.properties.code!r}"))
    return issues


def check_addresses(root: Path, parsed: ParsedFolder) -> list[ConfigIssue]:
    """Every problem of `addresses.csv` and `roads.geojson` (both optional) in the folder."""
    issues: list[ConfigIssue] = []
    if (root / ROADS_FILE).exists():
        issues += _check_roads(root / ROADS_FILE)
    path = root / ADDRESSES_FILE
    if not path.exists():
        return issues
    try:
        header, rows = read_address_rows(path)
    except (OSError, UnicodeDecodeError) as exc:
        return [*issues, ConfigIssue(ADDRESSES_FILE, "", f"cannot read file: {exc}")]
    if tuple(header) != COLUMNS:
        msg = f"the header must be {','.join(COLUMNS)} (found {','.join(header) or 'nothing'})"
        return [*issues, ConfigIssue(ADDRESSES_FILE, "line 1", msg)]
    found, good = _validate(header, rows)
    issues += found
    issues += _cross_rows(rows, good)
    locator = _locator(parsed)
    if locator is not None:
        issues += _spatial(rows, good, locator)
    return issues
