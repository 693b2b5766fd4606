"""`discharges.csv`: the registered discharge points (outfalls with a permit) along the rivers.

Each row is an enterprise or facility allowed to discharge waste water into one river segment.
When a water-quality station warns, source tracing (`cityloop.engine.tracing`) looks for the
candidates among them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from cityloop.city.issues import ConfigIssue, issues_from_validation
from cityloop.engine.sensors import Code, OptionalCode

DISCHARGES_FILE = "discharges.csv"
COLUMNS = ("id", "name_zh", "name_en", "kind", "permit", "river", "lon", "lat", "department",
           "grid")  # fmt: skip
REQUIRED = ("id", "name_zh", "name_en", "kind", "permit", "river", "lon", "lat", "department")


class DischargeKind(StrEnum):
    FACTORY = "factory"
    SEWAGE_PLANT = "sewage_plant"
    FARM = "farm"
    HOSPITAL = "hospital"
    OTHER = "other"


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


Name = Annotated[str, Field(min_length=1, max_length=200), BeforeValidator(_strip)]
Permit = Annotated[
    str, Field(min_length=4, max_length=64, pattern=r"^[0-9A-Za-z\-/]+$"), BeforeValidator(_strip)
]


class DischargeRow(BaseModel):
    """One row of `discharges.csv`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Code
    name_zh: Name
    name_en: Name
    kind: DischargeKind
    permit: Permit
    river: Code
    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    department: Code
    grid: OptionalCode = None


def read_discharge_rows(path: Path) -> tuple[list[DischargeRow], list[ConfigIssue]]:
    """Every valid row of a discharges file, and an issue (with its line) for each invalid one."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [ConfigIssue(name, "", f"cannot read file: {exc}")]
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        parts = [f"missing columns {missing}"] * bool(missing)
        parts += [f"unknown columns {unknown}"] * bool(unknown)
        return [], [ConfigIssue(name, "header", "; ".join(parts))]
    rows: list[DischargeRow] = []
    issues: list[ConfigIssue] = []
    for line, raw in enumerate(reader, start=2):
        try:
            rows.append(DischargeRow.model_validate(raw))
        except ValidationError as exc:
            for issue in issues_from_validation(name, exc):
                issues.append(ConfigIssue(name, f"line {line}.{issue.path}", issue.message))
    return rows, issues


def write_discharge_rows(path: Path, rows: Iterable[DischargeRow]) -> None:
    """Write rows with a fixed column order and number formatting (byte-stable)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [r.id, r.name_zh, r.name_en, r.kind.value, r.permit, r.river, f"{r.lon:.6f}",
             f"{r.lat:.6f}", r.department, r.grid or ""]
        )  # fmt: skip
    path.write_text(out.getvalue(), encoding="utf-8")


def load_discharges(root: Path) -> list[DischargeRow]:
    """The discharge points of a city folder (empty without `discharges.csv`); raise on issues."""
    path = Path(root) / DISCHARGES_FILE
    if not path.exists():
        return []
    rows, issues = read_discharge_rows(path)
    if issues:
        shown = "; ".join(str(i) for i in issues[:5])
        raise ValueError(f"invalid {DISCHARGES_FILE} ({len(issues)} errors): {shown}")
    return rows
