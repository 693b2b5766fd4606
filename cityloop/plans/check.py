"""`cityloop city check` for plans and resources: schema, then references to the city's files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from cityloop.city.issues import ConfigIssue
from cityloop.city.read import ParsedFolder
from cityloop.plans.loader import PLANS_DIR, read_plans
from cityloop.plans.resources import RESOURCES_FILE, read_resources
from cityloop.plans.schema import Condition, PlanFile


def rule_ids(root: Path) -> set[str] | None:
    """The ids of the rules in `rules/*.yaml` (None when the city has no rules folder)."""
    folder = root / "rules"
    if not folder.is_dir():
        return None
    ids: set[str] = set()
    for path in folder.glob("*.yaml"):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        items = raw.get("rules", []) if isinstance(raw, dict) else raw
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                ids.add(item["id"])
    return ids


def _walk(cond: Condition, path: str) -> Iterator[tuple[str, Condition]]:
    yield path, cond
    for key, subs in (("all", cond.all_of), ("any", cond.any_of)):
        for i, sub in enumerate(subs or []):
            yield from _walk(sub, f"{path}.{key}[{i}]")


def _plan_issues(
    plan: PlanFile, depts: set[str] | None, types: set[str] | None, rules: set[str] | None
) -> list[ConfigIssue]:
    name = f"{PLANS_DIR}/{plan.id}.yaml"
    out: list[ConfigIssue] = []

    def type_ok(code: str | None, path: str) -> None:
        if code is not None and types is not None and code not in types:
            out.append(ConfigIssue(name, path, f"unknown event type '{code}'"))

    def rule_ok(rule: str | None, path: str) -> None:
        if rule is not None and rules is not None and rule not in rules:
            out.append(ConfigIssue(name, path, f"unknown warning rule '{rule}'"))

    for i, code in enumerate(plan.triggers.event_types):
        type_ok(code, f"triggers.event_types[{i}]")
    for i, rule in enumerate(plan.triggers.warning_rules):
        rule_ok(rule, f"triggers.warning_rules[{i}]")
    for li, level in enumerate(plan.levels):
        for path, cond in _walk(level.conditions, f"levels[{li}].conditions"):
            if cond.warning is not None:
                rule_ok(cond.warning.rule, f"{path}.warning.rule")
            if cond.severity is not None:
                type_ok(cond.severity.event_type, f"{path}.severity.event_type")
            if cond.count is not None:
                type_ok(cond.count.event_type, f"{path}.count.event_type")
        for ti, task in enumerate(level.tasks):
            if depts is not None and task.department not in depts:
                out.append(
                    ConfigIssue(
                        name,
                        f"levels[{li}].tasks[{ti}].department",
                        f"unknown department '{task.department}'",
                    )
                )
    return out


def check_plans(root: Path, parsed: ParsedFolder) -> list[ConfigIssue]:
    """Every problem of `plans/*.yaml` and `resources.csv` (none when both are absent)."""
    root = Path(root)
    plans, issues = read_plans(root)
    depts = {d.code for d in parsed.departments.departments} if parsed.departments else None
    types = {t.code for t in parsed.event_types.types} if parsed.event_types else None
    rules = rule_ids(root)
    for plan in plans.values():
        issues += _plan_issues(plan, depts, types, rules)
    resources, resource_issues = read_resources(root)
    issues += resource_issues
    for i, row in enumerate(resources, start=2):
        if depts is not None and row.department not in depts:
            issues.append(
                ConfigIssue(
                    RESOURCES_FILE, f"line {i}.department", f"unknown department '{row.department}'"
                )
            )
    return issues
