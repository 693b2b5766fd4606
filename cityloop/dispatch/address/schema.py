"""Schema of the unified address table (`addresses.csv`) and the road file (`roads.geojson`)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cityloop.city.generate.gazetteer import ADDRESSES_FILE, COLUMNS, ROADS_FILE
from cityloop.city.schema import Code, LineStringGeometry, Name

__all__ = [
    "ADDRESSES_FILE",
    "ADDRESS_KINDS",
    "COLUMNS",
    "PLACE_KINDS",
    "ROADS_FILE",
    "AddressRow",
    "RoadFeature",
    "RoadProperties",
    "RoadsFile",
    "read_address_rows",
    "row_dicts",
]

PlaceKind = Literal[
    "compound",
    "school",
    "hospital",
    "elderly_home",
    "market",
    "station",
    "park",
    "mall",
    "government",
    "bridge",
    "enterprise",
    "building",
    "other",
]
AddressKind = Literal["road", "house"] | PlaceKind
PLACE_KINDS: tuple[str, ...] = get_args(PlaceKind)
ADDRESS_KINDS: tuple[str, ...] = ("road", "house", *PLACE_KINDS)
RoadClass = Literal["avenue", "road", "street", "lane"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressRow(_Strict):
    """One row of `addresses.csv`: a road, a house number on a road, or a named place.

    Empty CSV cells are read as missing (None).
    """

    code: Code
    kind: AddressKind
    name_zh: Name
    name_en: Name
    road_code: Code | None = None
    number: Annotated[int, Field(ge=1, le=99_999)] | None = None
    lon: Annotated[float, Field(ge=-180.0, le=180.0)]
    lat: Annotated[float, Field(ge=-90.0, le=90.0)]
    grid_code: Code | None = None

    @model_validator(mode="after")
    def _house_fields(self) -> AddressRow:
        if self.kind == "house" and (self.road_code is None or self.number is None):
            raise ValueError("a house needs road_code and number")
        if self.kind != "house" and self.number is not None:
            raise ValueError(f"only a house has a number (this row is a {self.kind})")
        if self.kind == "road" and self.road_code is not None:
            raise ValueError("a road has no road_code")
        return self


class RoadProperties(_Strict):
    code: Code
    name_zh: Name
    name_en: Name
    road_class: RoadClass = Field(alias="class")
    district: Code | None = None


class RoadFeature(_Strict):
    type: Literal["Feature"]
    properties: RoadProperties
    geometry: LineStringGeometry


class RoadsFile(_Strict):
    """`roads.geojson` (optional): road centre lines, one LineString feature per road."""

    type: Literal["FeatureCollection"]
    features: list[RoadFeature]


def read_address_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of an address table, as text (UTF-8, optional BOM).

    Lines without quotes are split on commas directly (fast); the others go through `csv`.
    """
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    if not lines:
        return [], []
    if not any('"' in line for line in lines):
        rows = [line.split(",") for line in lines]
    else:
        rows = list(csv.reader(lines))
    return rows[0], rows[1:]


def row_dicts(header: list[str], rows: list[list[str]]) -> list[dict[str, str | None]]:
    """Rows as dicts keyed by column, empty cells as None (rows of the wrong width kept as is)."""
    return [
        {k: (v if v != "" else None) for k, v in zip(header, row, strict=False)} for row in rows
    ]
