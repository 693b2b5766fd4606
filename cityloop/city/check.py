"""Validate a city folder as a whole and report every problem with its file and path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cityloop.city.check_geometry import check_geometry, feature_geometries
from cityloop.city.check_refs import check_references
from cityloop.city.extras import extra_checks
from cityloop.city.issues import ConfigIssue
from cityloop.city.read import ParsedFolder, read_folder

__all__ = ["ConfigIssue", "Inspection", "check_city", "inspect_folder"]


@dataclass
class Inspection:
    """A parsed folder, the jurisdiction geometries (file order) and every issue found."""

    parsed: ParsedFolder
    geometries: np.ndarray[Any, np.dtype[np.object_]] | None
    issues: list[ConfigIssue]


def inspect_folder(path: Path) -> Inspection:
    parsed = read_folder(Path(path))
    issues = list(parsed.issues)
    issues.extend(check_references(parsed))
    geoms = None
    if parsed.jurisdictions is not None:
        geoms = feature_geometries(parsed.jurisdictions)
        issues.extend(check_geometry(parsed.jurisdictions, geoms))
    for extra in extra_checks():
        issues.extend(extra(Path(path), parsed))
    return Inspection(parsed, geoms, issues)


def check_city(path: Path) -> list[ConfigIssue]:
    """Every problem of the city folder at `path` (empty when the folder is valid)."""
    return inspect_folder(path).issues
