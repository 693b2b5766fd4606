"""`areas.yaml`: the key areas whose crowd is watched (commercial districts, stations, venues).

An area aggregates the crowd counters linked to it (`sensors.csv` column `area`): the sum of
their latest counts over the area's surface is the crowd density that area rules judge.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cityloop.city.issues import ConfigIssue, issues_from_validation
from cityloop.city.schema import PolygonGeometry

AREAS_FILE = "areas.yaml"

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


class AreaKind(StrEnum):
    COMMERCIAL = "commercial"
    STATION = "station"
    SCENIC = "scenic"
    VENUE = "venue"
    OTHER = "other"


class AreaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Code
    name_zh: Annotated[str, Field(min_length=1, max_length=200)]
    name_en: Annotated[str, Field(min_length=1, max_length=200)]
    kind: AreaKind
    area_m2: Annotated[float, Field(gt=0)]
    capacity: Annotated[int, Field(gt=0)]
    geometry: PolygonGeometry


class AreasFile(BaseModel):
    """`areas.yaml` (optional): key areas watched for crowd density."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    areas: list[AreaSpec] = []


def read_areas(root: Path) -> tuple[AreasFile | None, list[ConfigIssue]]:
    """The areas of a city folder (None and no issue when the file is absent)."""
    path = Path(root) / AREAS_FILE
    if not path.exists():
        return None, []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [ConfigIssue(AREAS_FILE, "", f"cannot read file: {exc}")]
    try:
        return AreasFile.model_validate(raw or {}), []
    except ValidationError as exc:
        return None, issues_from_validation(AREAS_FILE, exc)
