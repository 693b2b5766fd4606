"""Every setting is documented in the README's settings table."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityloop.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"CITYLOOP_{name.upper()}" in README.read_text(encoding="utf-8")
