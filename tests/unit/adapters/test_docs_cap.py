"""docs/cap.md tells the truth: its mapping tables are the ones the code applies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pytest

from cityloop.adapters.cap_mapping import (
    CATEGORY_BY_CLASS,
    CATEGORY_BY_TYPE,
    Level,
    response_type,
    severity,
    urgency,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "cap.md"


def rows(first_header: str) -> list[list[str]]:
    """The body rows of the table whose first header cell is `first_header`, cells unquoted."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    out = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        out.append([c.strip().replace("`", "") for c in line.strip("|").split("|")])
    return out


@pytest.mark.parametrize("row", rows("level"), ids=lambda r: r[0])
def test_the_level_table_is_the_mapping_applied(row: list[str]) -> None:
    label, sev, urgent, urgent_predicted, response, response_predicted, _ = row
    level = cast(Level, label)
    assert severity("raised", level) == sev
    assert urgency("raised", level, predicted=False) == urgent
    assert urgency("raised", level, predicted=True) == urgent_predicted
    assert response_type("raised", level, False, False) == response
    assert response_type("raised", level, True, True) == response_predicted


def test_the_event_type_table_lists_every_type_mapping() -> None:
    documented = {}
    for cell, categories in rows("event type"):
        for code in re.findall(r"\b[A-Z]{2}\d\d\b", cell):
            documented[code] = tuple(c.strip() for c in categories.split(","))
    assert documented == CATEGORY_BY_TYPE


def test_the_event_class_table_lists_every_class_mapping() -> None:
    documented = {
        cls: tuple(c.strip() for c in cats.split(",")) for cls, cats in rows("event class")
    }
    assert documented == CATEGORY_BY_CLASS
