"""Read each file of a city folder into its schema model, collecting every problem found."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cityloop.city.issues import ConfigIssue, issues_from_validation
from cityloop.city.schema import (
    CityFile,
    DepartmentsFile,
    EventTypesFile,
    JurisdictionsFile,
    ResponsibilitiesFile,
    RiversFile,
    UsersFile,
)

CITY_FILE = "city.yaml"
JURISDICTIONS_FILE = "jurisdictions.geojson"
DEPARTMENTS_FILE = "departments.yaml"
EVENT_TYPES_FILE = "event_types.yaml"
RESPONSIBILITIES_FILE = "responsibilities.yaml"
USERS_FILE = "users.yaml"
RIVERS_FILE = "rivers.geojson"

M = TypeVar("M", bound=BaseModel)


@dataclass
class ParsedFolder:
    """The files of a city folder that passed their schema (None when missing or invalid)."""

    root: Path
    city: CityFile | None = None
    jurisdictions: JurisdictionsFile | None = None
    departments: DepartmentsFile | None = None
    event_types: EventTypesFile | None = None
    responsibilities: ResponsibilitiesFile | None = None
    users: UsersFile | None = None
    rivers: RiversFile | None = None
    issues: list[ConfigIssue] = field(default_factory=list)


def _load_raw(path: Path, issues: list[ConfigIssue]) -> Any:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        issues.append(ConfigIssue(name, "", "file is missing"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(ConfigIssue(name, "", f"cannot read file: {exc}"))
        return None
    try:
        if path.suffix in (".json", ".geojson"):
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        issues.append(ConfigIssue(name, f"line {exc.lineno}", f"invalid JSON: {exc.msg}"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        issues.append(ConfigIssue(name, where, f"invalid YAML: {problem}"))
    return None


def _parse(root: Path, name: str, model: type[M], issues: list[ConfigIssue]) -> M | None:
    raw = _load_raw(root / name, issues)
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        issues.extend(issues_from_validation(name, exc))
        return None


def read_folder(root: Path) -> ParsedFolder:
    """Parse every known file of the folder; unknown extra files are ignored."""
    parsed = ParsedFolder(root=root)
    if not root.is_dir():
        parsed.issues.append(ConfigIssue(str(root), "", "not a directory"))
        return parsed
    issues = parsed.issues
    parsed.city = _parse(root, CITY_FILE, CityFile, issues)
    parsed.jurisdictions = _parse(root, JURISDICTIONS_FILE, JurisdictionsFile, issues)
    parsed.departments = _parse(root, DEPARTMENTS_FILE, DepartmentsFile, issues)
    parsed.event_types = _parse(root, EVENT_TYPES_FILE, EventTypesFile, issues)
    parsed.responsibilities = _parse(root, RESPONSIBILITIES_FILE, ResponsibilitiesFile, issues)
    parsed.users = _parse(root, USERS_FILE, UsersFile, issues)
    if (root / RIVERS_FILE).exists():
        parsed.rivers = _parse(root, RIVERS_FILE, RiversFile, issues)
    return parsed
