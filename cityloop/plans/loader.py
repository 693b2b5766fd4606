"""Read the plans of a city folder (`plans/*.yaml`), one plan per file."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from cityloop.city.issues import ConfigIssue, issues_from_validation
from cityloop.plans.schema import PlanFile

PLANS_DIR = "plans"


def read_plans(root: Path) -> tuple[dict[str, PlanFile], list[ConfigIssue]]:
    """Every valid plan by id, and every problem found (a missing folder means no plans)."""
    folder = root / PLANS_DIR
    plans: dict[str, PlanFile] = {}
    issues: list[ConfigIssue] = []
    if not folder.is_dir():
        return plans, issues
    for path in sorted(folder.glob("*.yaml")):
        name = f"{PLANS_DIR}/{path.name}"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            issues.append(ConfigIssue(name, "", f"cannot read plan: {exc}"))
            continue
        try:
            plan = PlanFile.model_validate(raw)
        except ValidationError as exc:
            issues.extend(issues_from_validation(name, exc))
            continue
        if plan.id in plans:
            issues.append(ConfigIssue(name, "id", f"duplicate plan id '{plan.id}'"))
            continue
        if path.stem != plan.id:
            issues.append(
                ConfigIssue(name, "id", f"the file of plan '{plan.id}' is {plan.id}.yaml")
            )
        plans[plan.id] = plan
    return plans, issues


def load_plans(root: Path) -> dict[str, PlanFile]:
    """The valid plans of a city folder (problems are reported by `cityloop city check`)."""
    return read_plans(root)[0]
