"""``cityloop report``: a weekly or monthly report of a territory as HTML and PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

STEPS = (
    "read",
    "scorecards",
    "trends",
    "hot spots",
    "emerging",
    "trend chart",
    "type chart",
    "rankings",
    "hot spot map",
    "html",
    "pdf",
)


def outputs(out: Path) -> tuple[Path, Path]:
    """``--out report`` / ``report.html`` / ``report.pdf`` → (report.html, report.pdf)."""
    stem = out.with_suffix("") if out.suffix.lower() in (".html", ".htm", ".pdf") else out
    return stem.with_name(stem.name + ".html"), stem.with_name(stem.name + ".pdf")


def report_cmd(
    territory: Annotated[str, typer.Option("--territory", help="City, district or street code.")],
    out: Annotated[
        Path, typer.Option("--out", help="Output file; FILE.html and FILE.pdf are written.")
    ],
    period: Annotated[str, typer.Option("--period", help="week or month.")] = "week",
    end: Annotated[
        str | None, typer.Option("--end", help="End of the period, ISO 8601 (default now).")
    ] = None,
    city: Annotated[
        Path | None,
        typer.Option("--city", help="City folder (default: $CITYLOOP_CITY).", file_okay=False),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="SQLAlchemy URL (default: $CITYLOOP_DATABASE_URL)."),
    ] = None,
    font: Annotated[
        Path | None, typer.Option("--font", help="A TrueType font with CJK glyphs.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Write the period's report of a territory — summary, trends, rankings, a map of hot spots,
    priorities and emerging complaints — as an HTML page and a PDF, from the database."""
    from cityloop.adapters.sql.engine import create_engine
    from cityloop.city import load_city
    from cityloop.reporting.charts import cjk
    from cityloop.reporting.data import PERIODS, gather
    from cityloop.reporting.document import build, render_html, render_pdf
    from cityloop.reporting.fonts import FontMissing, cjk_font
    from cityloop.settings import Settings

    console = Console(stderr=True)
    if period not in PERIODS:
        raise typer.BadParameter("use week or month", param_hint="--period")
    try:
        font_path = cjk_font(font)
    except FontMissing as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    try:
        moment = datetime.fromisoformat(end) if end else datetime.now(UTC)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 time: {end!r}", param_hint="--end") from exc
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    settings = Settings()
    if city is not None:
        settings.city = city
    if database_url is not None:
        settings.database_url = database_url
    the_city = load_city(settings.city)
    if territory not in the_city.jurisdictions:
        raise typer.BadParameter(
            f"no territory {territory!r} in the city", param_hint="--territory"
        )
    html_path, pdf_path = outputs(out)
    engine = create_engine(settings.database_url)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, disable=quiet, transient=True) as bar:
            task = bar.add_task("report", total=len(STEPS))

            def step(name: str) -> None:
                bar.update(task, advance=1, description=name)

            try:
                data = gather(engine, the_city, territory, period, moment, step)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--territory") from exc
            with cjk(font_path):
                blocks = build(data, the_city, step)
            html_path.parent.mkdir(parents=True, exist_ok=True)
            html_path.write_text(render_html(blocks), encoding="utf-8")
            step("html")
            pdf_path.write_bytes(render_pdf(blocks, font_path))
            step("pdf")
    finally:
        engine.dispose()
    console.print(f"wrote {html_path} and {pdf_path}")
