"""The cityloop command: help for every command, check, generate, bench, db upgrade."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from cityloop.adapters.sql.migrate import head_revision
from cityloop.cli import app

runner = CliRunner()


def _all_commands() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        sub = getattr(cmd, "commands", None)
        if sub:
            for name, child in sub.items():
                walk(child, [*prefix, name])
        else:
            paths.append(prefix)

    walk(root, [])
    return paths


def test_the_required_commands_exist() -> None:
    names = {" ".join(p) for p in _all_commands()}
    assert {"serve", "db upgrade", "city generate", "city check", "bench locate"} <= names


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p))
def test_every_command_has_help_a_newcomer_can_follow(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    summary = result.output.split("Usage", 1)[1]
    assert len(summary.split()) > 8


def test_city_check_accepts_the_demo_city(demo_city_dir: Path) -> None:
    result = runner.invoke(app, ["city", "check", str(demo_city_dir)])
    assert result.exit_code == 0, result.output


def test_city_check_rejects_a_broken_city_with_file_and_path(
    demo_city_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(demo_city_dir, broken)
    text = (broken / "departments.yaml").read_text()
    (broken / "departments.yaml").write_text(text.replace("code: PSB", "code: URBAN", 1))
    result = runner.invoke(app, ["city", "check", str(broken)])
    assert result.exit_code == 1
    assert "departments.yaml" in result.output
    assert "URBAN" in result.output


def test_bench_locate_prints_json(demo_city_dir: Path) -> None:
    result = runner.invoke(
        app, ["bench", "locate", "--city", str(demo_city_dir), "--points", "20000", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "locate"
    assert figures["points"] == 20000
    assert figures["points_per_s"] > 0


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 0, result.output
    current = runner.invoke(app, ["db", "current", "--database-url", url])
    assert f"current: {head_revision()}" in current.output


def test_telemetry_import_backfills_through_the_rules(demo_city_dir: Path, tmp_path: Path) -> None:
    import csv as csv_module
    from datetime import UTC, datetime

    with (demo_city_dir / "sensors.csv").open(encoding="utf-8") as f:
        gas = next(r["id"] for r in csv_module.DictReader(f) if r["type"] == "gas_lel")
    now = datetime.now(UTC).timestamp()
    readings = tmp_path / "readings.csv"
    readings.write_text(
        f"sensor,ts,value\n{gas},{now - 300},1.0\n{gas},{now - 240},70.0\nNOPE,{now - 200},1.0\n"
    )
    url = f"sqlite:///{tmp_path / 'tele.db'}"
    result = runner.invoke(
        app,
        ["telemetry", "import", str(readings), "--city", str(demo_city_dir), "--database-url", url],
        env={
            "CITYLOOP_SECRET_FILE": str(tmp_path / "s.key"),
            "CITYLOOP_MODEL_DIR": str(tmp_path / "models"),
        },
    )
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout.strip().splitlines()[-1])
    assert totals["rows"] == 3
    assert totals["accepted"] == 2
    assert totals["rejected"] == 1
    assert totals["events_created"] == 1


def test_rules_run_prints_each_warning_change(demo_city_dir: Path, tmp_path: Path) -> None:
    import csv as csv_module

    with (demo_city_dir / "sensors.csv").open(encoding="utf-8") as f:
        gas = next(r["id"] for r in csv_module.DictReader(f) if r["type"] == "gas_lel")
    readings = tmp_path / "r.csv"
    readings.write_text(
        "sensor,ts,value\n"
        f"{gas},2026-11-23T08:00:00Z,1\n{gas},2026-11-23T08:05:00Z,60\n"
        f"{gas},2026-11-23T08:10:00Z,0\n"
    )
    result = runner.invoke(
        app, ["rules", "run", "--city", str(demo_city_dir), "--readings", str(readings), "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.strip().splitlines()]
    assert [(x["kind"], x["level"]) for x in lines] == [("raised", "red"), ("cleared", "none")]
    assert all(x["rule"] == "gas-lel" and x["subject"] == gas for x in lines)


def test_serve_refuses_postgis_on_a_database_without_it_in_one_plain_line(
    tmp_path: Path, demo_city_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYLOOP_POSTGIS", "on")
    monkeypatch.setenv("CITYLOOP_SECRET_FILE", str(tmp_path / "secret.key"))
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = runner.invoke(app, ["serve", "--city", str(demo_city_dir), "--database-url", url])
    assert result.exit_code == 2
    assert "CITYLOOP_POSTGIS=on, but the database is sqlite" in result.output
    assert "Traceback" not in result.output


def test_bench_intake_runs_both_loads_in_rounds_and_prints_json(demo_city_dir: Path) -> None:
    args = ["--reports", "60", "--concurrency", "4", "--rounds", "2", "--json"]
    result = runner.invoke(app, ["bench", "intake", "--city", str(demo_city_dir), *args])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "intake"
    assert (figures["reports"], figures["rounds"]) == (60, 2)
    assert (figures["errors"], figures["baseline_errors"]) == (0, 0)
    assert figures["statuses"] == {"201": 60}
    assert figures["reports_per_s"] > 0
    assert figures["ratio_to_baseline"] == pytest.approx(
        figures["reports_per_s"] / figures["baseline_reports_per_s"], abs=0.001
    )
