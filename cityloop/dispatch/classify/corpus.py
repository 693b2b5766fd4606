"""The labelled corpus of a city: `corpus/classify.tsv`, one example report per line.

The file is UTF-8, tab-separated, with the header `type_code<TAB>lang<TAB>text`. Reading collects
every problem with its line number, so that `cityloop city check` can list them all; the
classifier reads through `read_corpus`, which refuses a file with any problem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cityloop.city.schema import Code

CORPUS_FILE = "corpus/classify.tsv"
HEADER = ("type_code", "lang", "text")
MAX_TEXT_CHARS = 1000


class CorpusRow(BaseModel):
    """One labelled example of `corpus/classify.tsv`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type_code: Code
    """The event type the text belongs to (a code of `event_types.yaml`)."""
    lang: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]
    """The language of the text, e.g. `zh` or `en`."""
    text: Annotated[str, Field(min_length=2, max_length=MAX_TEXT_CHARS)]
    """The report as a caller or grid worker would say it (no tabs, no line breaks)."""


@dataclass(frozen=True, slots=True)
class CorpusProblem:
    """A line of the corpus that cannot be used, and why (line 1 is the header)."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ParsedCorpus:
    rows: list[CorpusRow]
    lines: list[int]
    """The line number of each row (parallel to `rows`)."""
    problems: list[CorpusProblem]


class CorpusError(ValueError):
    """A corpus file that cannot be used; the message names the file and the line."""


def corpus_path(city_root: Path) -> Path:
    return Path(city_root) / CORPUS_FILE


def _row_problem(error: ValidationError) -> str:
    parts = []
    for err in error.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def parse_corpus(text: str) -> ParsedCorpus:
    """Parse the content of a corpus file, keeping every valid row and every problem."""
    rows: list[CorpusRow] = []
    lines: list[int] = []
    problems: list[CorpusProblem] = []
    all_lines = text.splitlines()
    if not all_lines or tuple(all_lines[0].lstrip("\ufeff").split("\t")) != HEADER:
        problems.append(CorpusProblem(1, f"the header must be {'<TAB>'.join(HEADER)}"))
        return ParsedCorpus(rows, lines, problems)
    first_text: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(all_lines[1:], start=2):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        if len(fields) != len(HEADER):
            problems.append(
                CorpusProblem(number, f"expected 3 tab-separated fields, found {len(fields)}")
            )
            continue
        try:
            row = CorpusRow(type_code=fields[0], lang=fields[1], text=fields[2].strip())
        except ValidationError as exc:
            problems.append(CorpusProblem(number, _row_problem(exc)))
            continue
        seen = first_text.get(row.text)
        if seen is not None and seen[0] != row.type_code:
            problems.append(
                CorpusProblem(
                    number,
                    f"the same text is labelled {seen[0]} on line {seen[1]} "
                    f"and {row.type_code} here",
                )
            )
            continue
        first_text.setdefault(row.text, (row.type_code, number))
        rows.append(row)
        lines.append(number)
    return ParsedCorpus(rows, lines, problems)


def read_corpus(path: Path) -> list[CorpusRow]:
    """Every row of a corpus file; `CorpusError` on the first problem (file and line named)."""
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read file: {exc}") from exc
    parsed = parse_corpus(content)
    if parsed.problems:
        first = parsed.problems[0]
        raise CorpusError(f"{path}: line {first.line}: {first.message}")
    return parsed.rows


def sort_rows(rows: Iterable[CorpusRow]) -> list[CorpusRow]:
    """The canonical order of a corpus file: by type, language, then text."""
    return sorted(rows, key=lambda r: (r.type_code, r.lang, r.text))


def format_corpus(rows: Iterable[CorpusRow]) -> str:
    """The content of a corpus file for `rows`, in the canonical order."""
    body = "".join(f"{r.type_code}\t{r.lang}\t{r.text}\n" for r in sort_rows(rows))
    return "\t".join(HEADER) + "\n" + body


def write_corpus_file(path: Path, rows: Iterable[CorpusRow]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_corpus(rows), encoding="utf-8", newline="\n")


def examples(rows: Iterable[CorpusRow]) -> list[tuple[str, str]]:
    """(text, type_code) pairs, the training input of the classifier."""
    return [(r.text, r.type_code) for r in rows]


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, recorded with a model to say which corpus it learned from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
