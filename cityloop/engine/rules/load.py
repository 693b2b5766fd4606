"""Read the `rules/` folder of a city: every `*.yaml` file, in name order, rules in file order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from cityloop.city.issues import ConfigIssue, issues_from_validation
from cityloop.engine.rules.base import AnyRule
from cityloop.engine.rules.schema import RulesFile

RULES_DIR = "rules"


@dataclass(frozen=True)
class LoadedRule:
    file: str
    """Path relative to the city folder, e.g. `rules/rainstorm.yaml`."""
    index: int
    rule: AnyRule


def read_rules(root: Path) -> tuple[list[LoadedRule], list[ConfigIssue]]:
    """Every rule of `root/rules/*.yaml` and every issue found (bad YAML, schema, duplicate id)."""
    folder = Path(root) / RULES_DIR
    if not folder.is_dir():
        return [], []
    out: list[LoadedRule] = []
    issues: list[ConfigIssue] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        name = f"{RULES_DIR}/{path.name}"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            issues.append(ConfigIssue(name, "", f"cannot read file: {exc}"))
            continue
        try:
            parsed = RulesFile.model_validate(raw or {})
        except ValidationError as exc:
            issues.extend(issues_from_validation(name, exc))
            continue
        for k, rule in enumerate(parsed.rules):
            if rule.id in seen:
                issues.append(
                    ConfigIssue(
                        name,
                        f"rules[{k}].id",
                        f"duplicate rule id {rule.id!r} (first in {seen[rule.id]})",
                    )
                )
                continue
            seen[rule.id] = name
            out.append(LoadedRule(name, k, rule))
    return out, issues


def load_rules(root: Path) -> list[AnyRule]:
    """The rules of a city folder; raise `ValueError` listing the issues if any."""
    loaded, issues = read_rules(root)
    if issues:
        raise ValueError("invalid rules: " + "; ".join(str(i) for i in issues[:10]))
    return [r.rule for r in loaded]
