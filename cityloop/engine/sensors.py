"""`sensors.csv`: one row per sensing point, and the dense in-memory index built from it.

The engine never handles a sensor as a Python object on the hot path: `SensorTable` holds the
columns as arrays, and a sensor is its position (the *dense index*) in them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from cityloop.city.issues import ConfigIssue, issues_from_validation
from cityloop.engine.duration import Duration
from cityloop.engine.sensor_types import TYPE_ORDER, TYPE_SPECS, SensorType

SENSORS_FILE = "sensors.csv"
COLUMNS = (
    "id", "type", "lon", "lat", "unit", "department", "interval",
    "river", "area", "asset", "grid", "params",
)  # fmt: skip

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


def _empty_to_none(value: object) -> object:
    return None if value == "" else value


def parse_params(value: object) -> object:
    """`key=value;key=value` (numbers) → dict; a dict passes through."""
    if value is None or value == "":
        return {}
    if not isinstance(value, str):
        return value
    out: dict[str, str] = {}
    for part in value.split(";"):
        key, sep, number = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"params must be 'name=number' pairs separated by ';', not {part!r}")
        out[key.strip()] = number.strip()
    return out


def format_params(params: dict[str, float]) -> str:
    return ";".join(f"{k}={v:g}" for k, v in sorted(params.items()))


OptionalCode = Annotated[Code | None, BeforeValidator(_empty_to_none)]


class SensorRow(BaseModel):
    """One row of `sensors.csv`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Code
    type: SensorType
    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    unit: str
    department: Code
    interval: Annotated[Duration, Field(gt=0)]
    river: OptionalCode = None
    area: OptionalCode = None
    asset: OptionalCode = None
    grid: OptionalCode = None
    params: Annotated[dict[Code, float], BeforeValidator(parse_params)] = {}

    @model_validator(mode="after")
    def _unit_of_type(self) -> SensorRow:
        expected = TYPE_SPECS[self.type].unit
        if self.unit != expected:
            raise ValueError(f"unit of a {self.type} sensor is {expected!r}, not {self.unit!r}")
        return self


def read_sensor_rows(path: Path) -> tuple[list[SensorRow], list[ConfigIssue]]:
    """Every valid row of a sensors file, and an issue (with its line) for each invalid one."""
    name = path.name
    issues: list[ConfigIssue] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [ConfigIssue(name, "", f"cannot read file: {exc}")]
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in ("id", "type", "lon", "lat", "unit", "department", "interval")
               if c not in header]  # fmt: skip
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        parts = [f"missing columns {missing}"] * bool(missing)
        parts += [f"unknown columns {unknown}"] * bool(unknown)
        return [], [ConfigIssue(name, "header", "; ".join(parts))]
    rows: list[SensorRow] = []
    for line, raw in enumerate(reader, start=2):
        try:
            rows.append(SensorRow.model_validate(raw))
        except ValidationError as exc:
            for issue in issues_from_validation(name, exc):
                issues.append(ConfigIssue(name, f"line {line}.{issue.path}", issue.message))
    return rows, issues


def write_sensor_rows(path: Path, rows: Iterable[SensorRow]) -> None:
    """Write rows with a fixed column order and number formatting (byte-stable)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.id, r.type.value, f"{r.lon:.6f}", f"{r.lat:.6f}", r.unit, r.department,
                f"{r.interval:g}", r.river or "", r.area or "", r.asset or "", r.grid or "",
                format_params(r.params),
            ]
        )  # fmt: skip
    path.write_text(out.getvalue(), encoding="utf-8")


IntArray = NDArray[np.int32]
FloatArray = NDArray[np.float64]


@dataclass
class SensorTable:
    """The sensors as columns; a sensor is its position in them (its dense index)."""

    ids: list[str]
    types: NDArray[np.int8]
    """Position of each sensor's type in `TYPE_ORDER`."""
    lon: FloatArray
    lat: FloatArray
    interval: FloatArray
    departments: list[str]
    rivers: list[str | None]
    areas: list[str | None]
    assets: list[str | None]
    params: dict[str, FloatArray]
    """Per-sensor numeric parameters by name, NaN where a sensor has none."""
    index: dict[str, int] = field(init=False, repr=False)
    _last_lookup: tuple[Sequence[Any], IntArray | None] = field(
        init=False, repr=False, default=((), None)
    )

    def __post_init__(self) -> None:
        self.index = {sid: i for i, sid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_rows(cls, rows: Sequence[SensorRow]) -> SensorTable:
        n = len(rows)
        names = sorted({k for r in rows for k in r.params})
        params = {k: np.full(n, np.nan) for k in names}
        for i, r in enumerate(rows):
            for k, v in r.params.items():
                params[k][i] = v
        code = {t: i for i, t in enumerate(TYPE_ORDER)}
        return cls(
            ids=[r.id for r in rows],
            types=np.array([code[r.type] for r in rows], dtype=np.int8),
            lon=np.array([r.lon for r in rows], dtype=np.float64),
            lat=np.array([r.lat for r in rows], dtype=np.float64),
            interval=np.array([r.interval for r in rows], dtype=np.float64),
            departments=[r.department for r in rows],
            rivers=[r.river for r in rows],
            areas=[r.area for r in rows],
            assets=[r.asset for r in rows],
            params=params,
        )

    def lookup(self, ids: Sequence[Any]) -> IntArray:
        """Dense index of each id (-1 for an unknown id).

        Gateways usually send the same sensors in the same order in every batch, so the result
        for the last list of ids is kept and reused when the next list is equal (one C-level
        comparison instead of a hash lookup per id).
        """
        last_ids, last_index = self._last_lookup
        if last_index is not None and len(ids) == len(last_index) and ids == last_ids:
            return last_index.copy()
        get = self.index.get
        try:
            out = np.fromiter(map(get, ids, itertools.repeat(-1)), dtype=np.int32, count=len(ids))
        except TypeError:  # an unhashable id (a list, a dict…): unknown
            out = np.fromiter(
                (get(s, -1) if isinstance(s, str) else -1 for s in ids),
                dtype=np.int32,
                count=len(ids),
            )
        if isinstance(ids, list):
            self._last_lookup = (list(ids), out.copy())
        return out

    def of_types(self, types: Iterable[SensorType]) -> IntArray:
        """Dense indices of the sensors of any of `types`, ascending."""
        codes = [TYPE_ORDER.index(t) for t in types]
        return np.flatnonzero(np.isin(self.types, codes)).astype(np.int32)

    def type_of(self, i: int) -> SensorType:
        return TYPE_ORDER[int(self.types[i])]

    def fingerprint(self) -> str:
        """Identifies the sensor set (ids in order), to refuse restoring a foreign checkpoint."""
        return hashlib.sha256("\n".join(self.ids).encode()).hexdigest()[:16]


def load_sensor_table(root: Path) -> SensorTable:
    """The sensors of a city folder (empty when it has no `sensors.csv`); raise on any issue."""
    path = Path(root) / SENSORS_FILE
    if not path.exists():
        return SensorTable.from_rows([])
    rows, issues = read_sensor_rows(path)
    if issues:
        shown = "; ".join(str(i) for i in issues[:5])
        raise ValueError(f"invalid {SENSORS_FILE} ({len(issues)} errors): {shown}")
    return SensorTable.from_rows(rows)
