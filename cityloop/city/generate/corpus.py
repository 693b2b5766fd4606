"""The demo city's classifier corpus: `corpus/classify.tsv`.

The examples are hand-written data shipped in `data/corpus/*.tsv` (one file per group of event
types, same columns as the city file). The writer merges them in the canonical order, so the
output is the same bytes whatever the seed: the corpus is data, not drawn at random.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cityloop.dispatch.classify.corpus import (
    CORPUS_FILE,
    CorpusError,
    CorpusRow,
    parse_corpus,
    write_corpus_file,
)

_DATA_PACKAGE = "cityloop.city.generate"


def demo_corpus_rows() -> list[CorpusRow]:
    """Every row of the shipped corpus files; `CorpusError` names a broken file and line."""
    folder = resources.files(_DATA_PACKAGE).joinpath("data", "corpus")
    rows: list[CorpusRow] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".tsv"):
            continue
        parsed = parse_corpus(entry.read_text(encoding="utf-8"))
        if parsed.problems:
            first = parsed.problems[0]
            raise CorpusError(f"{entry.name}: line {first.line}: {first.message}")
        rows.extend(parsed.rows)
    return rows


def write_corpus(out: Path, seed: int) -> None:
    """Write `out/corpus/classify.tsv`, sorted by type, language and text (seed-independent)."""
    write_corpus_file(Path(out) / CORPUS_FILE, demo_corpus_rows())
