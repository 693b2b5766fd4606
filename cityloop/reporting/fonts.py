"""The CJK font that the PDF and the charts need for Chinese text.

Nothing is downloaded: the font comes from the Debian package ``fonts-droid-fallback`` (one
TrueType file, which both fpdf2 and matplotlib read), installed by ``make fonts`` and CI.
"""

from __future__ import annotations

from pathlib import Path

DEBIAN_PACKAGE = "fonts-droid-fallback"
CANDIDATES = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts-droid-fallback/truetype/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf"),
)


class FontMissing(RuntimeError):
    """No CJK font: the message says which package to install."""


def cjk_font(explicit: Path | None = None) -> Path:
    """The TrueType file to use: ``explicit`` if given, else the first installed candidate."""
    if explicit is not None:
        if not explicit.is_file():
            raise FontMissing(f"the font file {explicit} does not exist")
        return explicit
    for path in CANDIDATES:
        if path.is_file():
            return path
    raise FontMissing(
        "no CJK font for the Chinese text of the report: install the Debian package "
        f"{DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}, or `make fonts`), "
        "or pass --font with a TrueType (.ttf) file that has CJK glyphs"
    )
