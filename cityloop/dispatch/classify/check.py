"""`cityloop city check` for `corpus/classify.tsv`.

A city without a corpus is valid (its classifier is trained elsewhere, or it classifies by
hand). When the file exists, every line must be usable: three tab-separated fields, a known
event type, a language code and a text; the same text may not carry two types; and every event
type of the city needs at least `MIN_EXAMPLES_PER_TYPE` examples, or the classifier could never
learn it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cityloop.city.issues import ConfigIssue
from cityloop.city.read import ParsedFolder
from cityloop.dispatch.classify.corpus import CORPUS_FILE, corpus_path, parse_corpus

MIN_EXAMPLES_PER_TYPE = 10


def check_corpus(root: Path, parsed: ParsedFolder) -> list[ConfigIssue]:
    """Every problem of the city's corpus file (empty when there is none or it is valid)."""
    path = corpus_path(root)
    if not path.exists():
        return []
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [ConfigIssue(CORPUS_FILE, "", f"cannot read file: {exc}")]
    corpus = parse_corpus(content)
    issues = [ConfigIssue(CORPUS_FILE, f"line {p.line}", p.message) for p in corpus.problems]
    if parsed.event_types is None:
        return issues  # event_types.yaml is reported on its own; type codes cannot be checked
    known = [t.code for t in parsed.event_types.types]
    known_set = set(known)
    for row, line in zip(corpus.rows, corpus.lines, strict=True):
        if row.type_code not in known_set:
            issues.append(
                ConfigIssue(
                    CORPUS_FILE,
                    f"line {line}",
                    f"unknown event type {row.type_code!r} (not in event_types.yaml)",
                )
            )
    counts = Counter(row.type_code for row in corpus.rows)
    for code in known:
        if counts[code] < MIN_EXAMPLES_PER_TYPE:
            issues.append(
                ConfigIssue(
                    CORPUS_FILE,
                    f"type {code}",
                    f"{counts[code]} examples; the classifier needs at least "
                    f"{MIN_EXAMPLES_PER_TYPE} of every event type",
                )
            )
    return issues
