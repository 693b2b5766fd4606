"""`cityloop report`: a weekly report of a district renders to HTML and PDF from the database,
on events that went through the API; the PDF has pages, the headings and the Chinese text."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from cityloop.cli import app
from cityloop.domain.clock import FixedClock
from cityloop.reporting.document import SECTIONS
from cityloop.reporting.fonts import FontMissing, cjk_font
from tests.e2e.conftest import Api
from tests.services import missing

runner = CliRunner()


@pytest.fixture(scope="module")
def font() -> Path:
    try:
        return cjk_font()
    except FontMissing as exc:
        missing("a CJK font", str(exc))
        raise


@pytest.fixture(scope="module")
def seeded(api: Api, module_clock: FixedClock) -> None:
    """Street lights out in two streets of YZ01 (most in one grid), some round-tripped."""
    for i in range(8):
        street = "YZ01S01" if i < 6 else "YZ01S02"
        lon, lat = api.point_in(street)
        r = api.post(
            "/api/v1/events",
            "city_op",
            {"title": f"路灯不亮 report {i}", "lon": lon, "lat": lat, "type_code": "UM09"},
        )
        assert r.status_code == 201, r.text
        eid = r.json()["id"]
        if i % 2 == 0:
            api.post(f"/api/v1/events/{eid}/triage", "city_op", {"type_code": "UM09"})
            api.post(f"/api/v1/events/{eid}/dispatch", "city_op", {"level": "street"})
        module_clock.advance(hours=6)
        api._tokens.clear()  # log in again: the tokens expire as the clock moves on


def test_a_weekly_report_renders_to_html_and_pdf(
    api: Api,
    seeded: None,
    module_clock: FixedClock,
    font: Path,
    tmp_path: Path,
    demo_city_dir: Path,
) -> None:
    end = module_clock.now() + timedelta(minutes=1)
    out = tmp_path / "weekly"
    result = runner.invoke(
        app,
        [
            "report",
            "--period",
            "week",
            "--territory",
            "YZ01",
            "--out",
            str(out),
            "--end",
            end.isoformat(),
            "--city",
            str(demo_city_dir),
            "--database-url",
            api.container.settings.database_url,
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "weekly.html").read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in page
    assert page.count("<table>") >= 5
    assert page.count('src="data:image/png;base64,') >= 4
    assert "<td>受理事件 Events received</td><td>8</td>" in page
    assert "YZ01S01" in page
    assert "路灯" in page
    reader = PdfReader(tmp_path / "weekly.pdf")
    assert len(reader.pages) >= 2
    text = "\n".join(p.extract_text() for p in reader.pages)
    for heading in SECTIONS:
        assert re.sub(r"\s+", "", heading) in re.sub(r"\s+", "", text)
    assert "城市运行周报" in re.sub(r"\s+", "", text)
    assert [o.title for o in reader.outline] == list(SECTIONS)


def test_the_report_refuses_a_bad_territory_and_period(
    api: Api, tmp_path: Path, demo_city_dir: Path, font: Path
) -> None:
    base = ["report", "--out", str(tmp_path / "x"), "--city", str(demo_city_dir)]
    base += ["--database-url", api.container.settings.database_url]
    bad = runner.invoke(app, [*base, "--territory", "NOPE"])
    assert bad.exit_code == 2
    assert "NOPE" in bad.output
    month = runner.invoke(app, [*base, "--territory", "YZ01", "--period", "year"])
    assert month.exit_code == 2
    assert "week or month" in month.output
    nofont = runner.invoke(app, [*base, "--territory", "YZ01", "--font", str(tmp_path / "no.ttf")])
    assert nofont.exit_code == 2
