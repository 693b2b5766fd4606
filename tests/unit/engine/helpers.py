"""Small hand-made sensor tables, rules and feeds for the engine tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cityloop.engine.areas import AreaSpec
from cityloop.engine.batch import ReadingBatch
from cityloop.engine.engine import Engine
from cityloop.engine.rules.base import AnyRule
from cityloop.engine.rules.schema import RulesFile
from cityloop.engine.sensor_types import TYPE_SPECS, SensorType
from cityloop.engine.sensors import SensorRow, SensorTable
from cityloop.engine.warnings import WarningChange

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def sensor(sid: str, kind: str, interval: float = 300.0, **extra: Any) -> SensorRow:
    spec = TYPE_SPECS[SensorType(kind)]
    data = {"id": sid, "type": kind, "lon": 106.5, "lat": 29.5, "unit": spec.unit}
    data |= {"department": spec.department, "interval": interval}
    return SensorRow.model_validate(data | extra)


def table(*rows: SensorRow) -> SensorTable:
    return SensorTable.from_rows(list(rows))


def rule(rule_type: str, kinds: Sequence[str], levels: dict[str, Any], **rest: Any) -> AnyRule:
    doc = {"id": rest.pop("id", f"r-{rule_type}"), "type": rule_type, "name_zh": "规则"}
    doc |= {"name_en": "Rule", "sensor_types": list(kinds), "levels": levels} | rest
    parsed: AnyRule = RulesFile.model_validate({"rules": [doc]}).rules[0]
    return parsed


def engine(sensors: SensorTable, *rules: AnyRule, areas: Sequence[AreaSpec] = ()) -> Engine:
    return Engine(sensors, list(rules), areas, clock=None)


def feed(
    eng: Engine, sid: str, values: Sequence[float], step: float = 300.0, start: float = T0
) -> list[WarningChange]:
    """Send `values` one batch per reading, `step` seconds apart; all changes in order."""
    out: list[WarningChange] = []
    for k, v in enumerate(values):
        out += eng.process(ReadingBatch.from_ids(eng.sensors, [sid], [start + k * step], [v]))
    return out


def kinds(changes: Sequence[WarningChange]) -> list[tuple[str, str]]:
    return [(c.kind.value, c.level.label) for c in changes]


def at_reading(changes: Sequence[WarningChange], step: float = 300.0) -> list[tuple[int, str, str]]:
    """(reading number from 0, kind, level) of each change."""
    return [(round((c.ts - T0) / step), c.kind.value, c.level.label) for c in changes]
