"""The report's charts as PNG bytes (matplotlib's object API on the Agg canvas, no pyplot and
no display), with the CJK font for the Chinese labels."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Polygon as PolygonPatch

from cityloop.city import City
from cityloop.evaluation.scorecard import Scorecard

DPI = 110


@contextmanager
def cjk(font: Path) -> Iterator[None]:
    """Draw with ``font`` (registered once with matplotlib's font manager)."""
    font_manager.fontManager.addfont(str(font))
    name = font_manager.FontProperties(fname=str(font)).get_name()
    with matplotlib.rc_context({"font.family": ["DejaVu Sans", name], "axes.unicode_minus": False}):
        yield


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight")
    return out.getvalue()


def trend_chart(days: list[str], current: list[int], previous: list[int]) -> bytes:
    fig = Figure(figsize=(7.5, 3.0))
    ax = fig.add_subplot()
    x = list(range(len(days)))
    ax.plot(x, current, marker="o", label="本期 this period", color="#c0392b")
    ax.plot(x, previous, marker=".", linestyle="--", label="上期 previous", color="#7f8c8d")
    step = max(1, len(days) // 10)
    ax.set_xticks(x[::step], days[::step])
    ax.set_ylabel("诉求数 reports / day")
    ax.set_title("每日诉求趋势 Daily reports")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return _png(fig)


def types_chart(rows: list[dict[str, Any]], limit: int = 10) -> bytes:
    rows = rows[:limit][::-1]
    fig = Figure(figsize=(7.5, 0.45 * max(len(rows), 3) + 1.0))
    ax = fig.add_subplot()
    y = list(range(len(rows)))
    ax.barh([v + 0.2 for v in y], [r["current"] for r in rows], 0.4, label="本期 this period")
    ax.barh([v - 0.2 for v in y], [r["previous"] for r in rows], 0.4, label="上期 previous")
    ax.set_yticks(y, [r["name"] + (" ↑" if r["rising"] else "") for r in rows])
    ax.set_xlabel("诉求数 reports")
    ax.set_title("问题类型 本期与上期 Types: this period against the previous")
    ax.legend(loc="lower right")
    return _png(fig)


def ranking_chart(cards: list[Scorecard], labels: dict[str, str], title: str) -> bytes:
    ranked = [c for c in cards if c.ranking_score is not None][:15][::-1]
    fig = Figure(figsize=(7.5, 0.35 * max(len(ranked), 3) + 1.0))
    ax = fig.add_subplot()
    y = list(range(len(ranked)))
    ax.barh(y, [c.ranking_score or 0 for c in ranked], 0.6, color="#2e86c1")
    ax.set_ylim(-0.8, max(len(ranked), 3) - 0.2)
    ax.set_yticks(y, [labels.get(c.key, c.key) for c in ranked])
    for i, c in enumerate(ranked):
        ax.text((c.ranking_score or 0) + 1, i, f"{c.ranking_score:.1f}", va="center", fontsize=8)
    ax.set_xlim(0, 105)
    ax.set_xlabel("排名得分 ranking score (0–100)")
    ax.set_title(title)
    return _png(fig)


def _rings(geometry: Any) -> list[list[tuple[float, float]]]:
    parts = getattr(geometry, "geoms", [geometry])
    return [list(p.exterior.coords) for p in parts if hasattr(p, "exterior")]


def hotspot_map(city: City, counts: dict[str, int], flagged: set[str]) -> bytes:
    """Every grid of the territory filled by its number of reports; flagged grids outlined."""
    patches, values, outlines = [], [], []
    for code, n in counts.items():
        j = city.jurisdictions.get(code)
        if j is None or j.geometry is None:
            continue
        for ring in _rings(j.geometry):
            patches.append(PolygonPatch(ring, closed=True))
            values.append(n)
            if code in flagged:
                outlines.append(PolygonPatch(ring, closed=True))
    fig = Figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot()
    if patches:
        grid = PatchCollection(patches, cmap="YlOrRd", edgecolor="#999999", linewidth=0.3)
        grid.set_array(values)
        ax.add_collection(grid)
        fig.colorbar(grid, ax=ax, label="诉求数 reports", shrink=0.8)
        ax.add_collection(
            PatchCollection(outlines, facecolor="none", edgecolor="#1a5276", linewidth=1.8)
        )
        ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("网格热点 Hot spots by grid (蓝框 flagged)")
    return _png(fig)
