"""Root models of the engine's city files, for the schema walk of docs/configuration.md."""

from __future__ import annotations

from pydantic import BaseModel

from cityloop.engine.areas import AreasFile
from cityloop.engine.rules.schema import RulesFile
from cityloop.engine.sensors import SensorRow

ENGINE_SCHEMA_MODELS: list[type[BaseModel]] = [SensorRow, AreasFile, RulesFile]
