"""The report as a list of blocks (headings, paragraphs, charts, tables), rendered twice: as an
HTML page (``render_html``) and a PDF (``render_pdf``), so both show the same content."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from cityloop.city import City
from cityloop.evaluation.scorecard import Scorecard
from cityloop.reporting import charts
from cityloop.reporting.data import ReportData

LATIN_FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
SECTIONS = (
    "概况 Summary",
    "趋势 Trends",
    "排名 Rankings",
    "热点 Hot spots",
    "优先事项 Priorities",
    "新出现的诉求 Emerging complaints",
)


@dataclass(frozen=True)
class Block:
    kind: str  # h1 | h2 | p | img | table
    text: str = ""
    image: bytes = b""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _num(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _card_row(label: str, c: Scorecard) -> tuple[str, ...]:
    return (
        str(c.rank or "–"),
        label,
        str(c.received),
        _pct(c.dispose_on_time_rate),
        _num(c.rating_mean, 2),
        _pct(c.low_rating_share),
        str(c.anti_gaming.reopened_by_low_rating + c.anti_gaming.bounced_returns),
        _num(c.score),
        _num(c.ranking_score),
    )


CARD_HEADERS = (
    "名次 Rank",
    "单位 Unit",
    "受理 Received",
    "按时处置 On time",
    "满意度 Rating",
    "差评 ≤2",
    "刷分迹象 Gaming",
    "得分 Score",
    "排名分 Ranking",
)


def build(data: ReportData, city: City, progress: Callable[[str], None]) -> list[Block]:
    """The blocks of the report; ``progress`` is called after each chart."""
    period_zh = {"week": "周报", "month": "月报"}[data.period]
    span = f"{data.start:%Y-%m-%d %H:%M} – {data.end:%Y-%m-%d %H:%M} UTC"
    s = data.summary
    blocks = [
        Block("h1", f"{data.name_zh} 城市运行{period_zh} · {data.name_en} {data.period}ly report"),
        Block("p", f"统计区间 Period: {span}（区间内新建的事件 events created in the period）"),
        Block("h2", SECTIONS[0]),
        Block(
            "table",
            headers=("指标 Figure", "数值 Value"),
            rows=(
                ("受理事件 Events received", str(s["received"])),
                ("已处置 Resolved", str(s["resolved"])),
                ("已办结 Closed", str(s["closed"])),
                ("按时签收率 Accepted on time", _pct(s["accept_on_time_rate"])),
                ("按时处置率 Disposed on time", _pct(s["dispose_on_time_rate"])),
                ("处置时长中位数 Median hours to dispose", _num(s["dispose_hours_median"])),
                ("评价数 Ratings", str(s["ratings"])),
                ("平均满意度 Mean rating (1–5)", _num(s["rating_mean"], 2)),
                ("差评占比 Share of ratings ≤ 2", _pct(s["low_rating_share"])),
                ("评价回复率 Rating response rate", _pct(s["rating_response_rate"])),
                ("重新打开率 Reopen rate", _pct(s["reopen_rate"])),
            ),
        ),
        Block("h2", SECTIONS[1]),
        Block(
            "img",
            "每日诉求 Daily reports",
            charts.trend_chart(data.days, data.current_per_day, data.previous_per_day),
        ),
    ]
    progress("trend chart")
    if data.by_type:
        blocks.append(Block("img", "问题类型 Types", charts.types_chart(data.by_type)))
        blocks.append(
            Block(
                "table",
                headers=("类型 Type", "本期 Now", "上期 Before", "p", "上升 Rising"),
                rows=tuple(
                    (
                        r["name"],
                        str(r["current"]),
                        str(r["previous"]),
                        f"{r['p_value']:.3g}",
                        "是 yes" if r["rising"] else "",
                    )
                    for r in data.by_type[:15]
                ),
            )
        )
    else:
        blocks.append(Block("p", "本期无诉求 No reports in the period."))
    progress("type chart")
    blocks.append(Block("h2", SECTIONS[2]))
    blocks.append(
        Block(
            "p",
            "排名分 = (n·得分 + k·均值)/(n + k)：事件少的单位向全体均值收缩，不能凭少量事件排前。"
            " Ranking score = (n·score + k·prior)/(n + k): units with few events are pulled "
            "towards the mean.",
        )
    )
    names = {code: d.name_zh for code, d in city.departments.items()}
    if data.departments:
        blocks.append(
            Block(
                "img",
                "部门排名 Departments",
                charts.ranking_chart(data.departments, names, "部门排名 Departments"),
            )
        )
        blocks.append(
            Block(
                "table",
                headers=CARD_HEADERS,
                rows=tuple(_card_row(names.get(c.key, c.key), c) for c in data.departments),
            )
        )
    if data.children:
        labels = {code: name for code, name, _ in data.children}
        cards = [c for _, _, c in data.children]
        level_zh = {"district": "区 Districts", "street": "街道 Streets"}[data.child_level or ""]
        blocks.append(
            Block("img", level_zh, charts.ranking_chart(cards, labels, f"{level_zh} 排名"))
        )
        blocks.append(
            Block(
                "table",
                headers=CARD_HEADERS,
                rows=tuple(_card_row(labels[c.key], c) for c in cards),
            )
        )
    progress("rankings")
    blocks.append(Block("h2", SECTIONS[3]))
    hs = data.hotspot_summary
    blocks.append(
        Block(
            "p",
            f"{hs.get('grids', 0)} 个网格 grids, 平均 mean {hs.get('mean', 0)}"
            f" / σ {hs.get('std', 0)}"
            "；超过均值 + 2σ 或泊松尾概率显著者标记 flagged above mean + 2σ or by a Poisson tail "
            "test (Bonferroni).",
        )
    )
    blocks.append(
        Block(
            "img",
            "热点地图 Hot spot map",
            charts.hotspot_map(city, data.grid_counts, data.grid_flagged),
        )
    )
    if data.hotspots:
        blocks.append(
            Block(
                "table",
                headers=("网格 Grid", "名称 Name", "诉求 Reports", "z", "p", "标记 Flagged"),
                rows=tuple(
                    (
                        h["grid"],
                        h["name"],
                        str(h["reports"]),
                        _num(h["z"], 2),
                        f"{h['p_value']:.2g}",
                        "是 yes" if h["flagged"] else "",
                    )
                    for h in data.hotspots
                ),
            )
        )
    progress("hot spot map")
    blocks.append(Block("h2", SECTIONS[4]))
    if data.priorities:
        blocks.append(
            Block(
                "table",
                headers=("类型 Type", "优先分 Priority", "原因 Why"),
                rows=tuple((p["name"], f"{p['score']:.1f}", p["why"]) for p in data.priorities),
            )
        )
    else:
        blocks.append(Block("p", "本期无诉求 No reports in the period."))
    blocks.append(Block("h2", SECTIONS[5]))
    if data.emerging:
        blocks.append(
            Block(
                "table",
                headers=("规模 Size", "关键词 Terms", "增长 Growth", "示例 Example"),
                rows=tuple(
                    (
                        str(c["size"]),
                        "、".join(c["top_terms"][:4]),
                        f"{c['current']} / {c['previous']}" + (" ↑" if c["rising"] else ""),
                        c["examples"][0] if c["examples"] else "",
                    )
                    for c in data.emerging
                ),
            )
        )
    else:
        blocks.append(
            Block("p", "未发现无法归类的新诉求 No emerging complaint outside the known types.")
        )
    return blocks


# ---- HTML ----------------------------------------------------------------------------------

CSS = """
body{font-family:"Noto Sans CJK SC","Droid Sans Fallback","Microsoft YaHei",sans-serif;
max-width:960px;margin:2em auto;color:#222;line-height:1.5}
h1{font-size:1.6em;border-bottom:2px solid #c0392b}h2{margin-top:1.6em;color:#1a5276}
table{border-collapse:collapse;width:100%;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#eef3f7}img{max-width:100%}
"""


def render_html(blocks: list[Block]) -> str:
    title = next((b.text for b in blocks if b.kind == "h1"), "CityLoop report")
    out = [
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
    ]
    for b in blocks:
        if b.kind in ("h1", "h2", "p"):
            out.append(f"<{b.kind}>{html.escape(b.text)}</{b.kind}>")
        elif b.kind == "img":
            data = base64.b64encode(b.image).decode("ascii")
            out.append(
                f'<p><img alt="{html.escape(b.text)}" src="data:image/png;base64,{data}"></p>'
            )
        elif b.kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                for row in b.rows
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out)


# ---- PDF -----------------------------------------------------------------------------------


def render_pdf(blocks: list[Block], font: Path) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    # Latin text in DejaVu Sans (shipped inside matplotlib), Chinese from the CJK font
    pdf.add_font("latin", fname=str(LATIN_FONT))
    pdf.add_font("cjk", fname=str(font))
    pdf.set_fallback_fonts(["cjk"], exact_match=False)
    pdf.add_page()
    pdf.set_font("latin", size=10)
    width = pdf.epw
    for b in blocks:
        if b.kind == "h1":
            pdf.set_font("latin", size=16)
            pdf.multi_cell(width, 8, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
        elif b.kind == "h2":
            pdf.ln(3)
            pdf.set_font("latin", size=13)
            pdf.set_text_color(26, 82, 118)
            pdf.start_section(b.text)
            pdf.multi_cell(width, 7, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
        elif b.kind == "p":
            pdf.set_font("latin", size=9)
            pdf.multi_cell(width, 5, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif b.kind == "img":
            pdf.image(io.BytesIO(b.image), w=min(width, 170), alt_text=b.text)
            pdf.ln(2)
        elif b.kind == "table":
            pdf.set_font("latin", size=7.5 if len(b.headers) > 5 else 8.5)
            with pdf.table(
                width=width,
                line_height=4.5,
                headings_style=_headings(),
                text_align="LEFT",
            ) as table:
                table.row(list(b.headers))
                for row in b.rows:
                    table.row(list(row))
            pdf.ln(2)
    return bytes(pdf.output())


def _headings() -> FontFace:
    return FontFace(fill_color=(238, 243, 247))
