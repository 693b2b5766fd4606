"""The report's output names and the clear refusal when no CJK font is installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityloop.reporting import fonts
from cityloop.reporting.cli import outputs


@pytest.mark.parametrize("name", ["weekly", "weekly.html", "weekly.pdf", "weekly.PDF"])
def test_both_files_share_the_stem(name: str, tmp_path: Path) -> None:
    assert outputs(tmp_path / name) == (tmp_path / "weekly.html", tmp_path / "weekly.pdf")


def test_a_missing_cjk_font_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(fonts, "CANDIDATES", (tmp_path / "none.ttf",))
    with pytest.raises(fonts.FontMissing, match="fonts-droid-fallback"):
        fonts.cjk_font()
    with pytest.raises(fonts.FontMissing, match="does not exist"):
        fonts.cjk_font(tmp_path / "other.ttf")
    given = tmp_path / "given.ttf"
    given.write_bytes(b"\0")
    assert fonts.cjk_font(given) == given
