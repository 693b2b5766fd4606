"""The demo plans validate; `cityloop city check` reports broken plans by file and path."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from cityloop.city.read import read_folder
from cityloop.plans.check import check_plans
from cityloop.plans.loader import read_plans


def test_the_demo_city_ships_six_plans_with_four_levels_each(demo_city_dir: Path) -> None:
    plans, issues = read_plans(demo_city_dir)
    assert issues == []
    assert {p.triggers.event_types[0] for p in plans.values()} == {
        "ND01", "ND02", "AC10", "SS01", "AC03", "AC09",
    }  # fmt: skip
    for plan in plans.values():
        assert [lv.level for lv in plan.levels] == ["IV", "III", "II", "I"]
        sizes = [len(lv.tasks) for lv in plan.levels]
        assert sizes == sorted(sizes)
        assert sizes[0] < sizes[-1]
    assert check_plans(demo_city_dir, read_folder(demo_city_dir)) == []
    assert (demo_city_dir / "resources.csv").read_text().count("\n") > 200


def test_broken_plans_are_reported_with_file_and_path(demo_city_dir: Path, tmp_path: Path) -> None:
    city = tmp_path / "city"
    shutil.copytree(demo_city_dir, city, ignore=shutil.ignore_patterns("sensors.csv", "corpus"))
    path = city / "plans" / "gas-leak.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["levels"][0]["tasks"][0]["department"] = "NOPE"
    doc["triggers"]["warning_rules"] = ["no-such-rule"]
    doc["levels"][1]["conditions"] = {"warning": {"level": "red"}, "severity": {"at_least": "I"}}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    found = {str(i) for i in check_plans(city, read_folder(city))}
    assert any("levels[1].conditions" in s and "exactly one" in s for s in found), found
    # After the schema error the plan is not cross-checked; break another one for references.
    path = city / "plans" / "flash-flood.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["levels"][0]["tasks"][0]["department"] = "NOPE"
    doc["triggers"]["warning_rules"] = ["no-such-rule"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    found = {str(i) for i in check_plans(city, read_folder(city))}
    assert (
        "plans/flash-flood.yaml: levels[0].tasks[0].department: unknown department 'NOPE'" in found
    )
    assert (
        "plans/flash-flood.yaml: triggers.warning_rules[0]: unknown warning rule 'no-such-rule'"
        in found
    )
