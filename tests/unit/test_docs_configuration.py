"""Every field of every file of a city folder is documented in docs/configuration.md."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from cityloop.city import read
from cityloop.city.extras import extra_schema_models
from cityloop.city.schema import SCHEMA_MODELS

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def nested_models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (through list, dict, unions, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found.extend(nested_models(arg))
    return found


def all_models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo = [*SCHEMA_MODELS, *extra_schema_models()]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            todo.extend(nested_models(field.annotation))
    return seen


def field_names() -> list[tuple[str, str]]:
    return sorted(
        {
            (model.__name__, field.alias or name)
            for model in all_models()
            for name, field in model.model_fields.items()
        }
    )


def test_the_schema_walk_reaches_nested_models() -> None:
    names = {m.__name__ for m in all_models()}
    assert {"TimeLimitSpec", "Override", "JurisdictionProperties", "PolygonGeometry"} <= names


@pytest.mark.parametrize(("model", "name"), field_names())
def test_every_field_is_documented(model: str, name: str) -> None:
    # Documented as `name` or as the last part of a dotted path such as `users[].name`.
    pattern = re.compile(r"`(?:[\w<>\[\].]*\.)?" + re.escape(name) + "`")
    assert pattern.search(DOC.read_text(encoding="utf-8")), f"{model}.{name} is not documented"


@pytest.mark.parametrize("filename", [v for k, v in vars(read).items() if k.endswith("_FILE")])
def test_every_file_is_documented(filename: str) -> None:
    assert f"## `{filename}`" in DOC.read_text(encoding="utf-8")
