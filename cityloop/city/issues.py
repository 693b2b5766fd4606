"""A problem found in a city folder, located by file and by path inside the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One error in a city folder: `file` (relative name), dotted `path`, human `message`."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.path}: {self.message}"
            if self.path
            else (f"{self.file}: {self.message}")
        )


def format_loc(loc: Sequence[int | str]) -> str:
    """Turn a pydantic location such as ('types', 3, 'board') into 'types[3].board'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def issues_from_validation(file: str, error: ValidationError) -> list[ConfigIssue]:
    """One issue per pydantic error, with the dotted path of the offending value."""
    issues = []
    for err in error.errors(include_url=False):
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        issues.append(ConfigIssue(file, format_loc(err["loc"]), message))
    return issues
