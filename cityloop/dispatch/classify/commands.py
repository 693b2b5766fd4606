"""What the classification commands of the CLI do; each returns JSON-ready dicts.

`classify_text` and `classify_file` answer from the city's saved model (trained on first use),
`train_model` retrains it from the corpus plus confirmed corrections, `eval_classify` measures
accuracy and macro-F1 on a held-out split, and `bench_classify` measures latency and throughput.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from cityloop.dispatch.classify.corpus import corpus_path, read_corpus
from cityloop.dispatch.classify.evaluate import evaluate
from cityloop.dispatch.classify.model import DEFAULT_THRESHOLD
from cityloop.dispatch.classify.service import ClassifierService, NoCorpusError

#: How many rows of a file are classified together.
BATCH_ROWS = 512
N_WORST = 5


def classify_text(city_root: Path, text: str, model_dir: Path | None = None) -> dict[str, Any]:
    """The prediction for one text: type, confidence, reasons, alternatives, needs_triage."""
    return ClassifierService(city_root, model_dir).predict(text).as_dict()


def _rows(tsv_path: Path) -> Iterator[tuple[int, str | None, str | None, str]]:
    """(line, text, id, error) for each data line of a TSV file with a `text` column."""
    with Path(tsv_path).open("rb") as handle:
        raw_header = handle.readline()
        try:
            header = raw_header.decode("utf-8-sig").rstrip("\r\n").split("\t")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{tsv_path}: line 1: the header is not UTF-8: {exc}") from None
        if "text" not in header:
            raise ValueError(f"{tsv_path}: line 1: the header has no 'text' column")
        text_at = header.index("text")
        id_at = header.index("id") if "id" in header else None
        for number, raw in enumerate(handle, start=2):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                yield number, None, None, f"not UTF-8: {exc.reason} at byte {exc.start}"
                continue
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != len(header):
                yield number, None, None, f"expected {len(header)} fields, found {len(fields)}"
                continue
            text = fields[text_at].strip()
            if not text:
                yield number, None, None, "the text is empty"
                continue
            yield number, text, fields[id_at] if id_at is not None else None, ""


def classify_file(
    city_root: Path, tsv_path: Path, model_dir: Path | None = None
) -> Iterator[dict[str, Any]]:
    """One result per data line of a TSV file with a `text` column (and optionally `id`), in
    order; a line that cannot be read yields `{"line": n, "error": "..."}` and the file goes on.

    A file without a `text` column raises `ValueError` before any result.
    """
    rows = _rows(tsv_path)
    first = next(rows, None)  # reads the header now, so a bad file fails before any output
    if first is None:
        return iter(())
    service = ClassifierService(city_root, model_dir)
    return _classified(service, _chain(first, rows))


def _chain(
    first: tuple[int, str | None, str | None, str],
    rest: Iterator[tuple[int, str | None, str | None, str]],
) -> Iterator[tuple[int, str | None, str | None, str]]:
    yield first
    yield from rest


def _classified(
    service: ClassifierService, rows: Iterable[tuple[int, str | None, str | None, str]]
) -> Iterator[dict[str, Any]]:
    batch: list[tuple[int, str | None, str | None, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            yield from _answer(service, batch)
            batch = []
    yield from _answer(service, batch)


def _answer(
    service: ClassifierService, batch: Sequence[tuple[int, str | None, str | None, str]]
) -> Iterator[dict[str, Any]]:
    texts = [text for _, text, _, error in batch if not error and text is not None]
    predictions = iter(service.predict_many(texts)) if texts else iter(())
    for number, text, row_id, error in batch:
        if error or text is None:
            yield {"line": number, "error": error}
            continue
        head: dict[str, Any] = {"line": number}
        if row_id is not None:
            head["id"] = row_id
        yield head | next(predictions).as_dict()


def _known_types(city_root: Path) -> set[str]:
    path = Path(city_root) / "event_types.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(t["code"]) for t in document.get("types", []) if isinstance(t, dict)}


def train_model(
    city_root: Path,
    model_dir: Path | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Retrain from the corpus plus confirmed (text, type_code) examples; save; summarise.

    Raises `ValueError` when a confirmed example names a type the city does not define.
    """
    known = _known_types(city_root)
    unknown = sorted({code for _, code in extra if code not in known})
    if unknown:
        raise ValueError(f"confirmed examples name unknown event types: {', '.join(unknown)}")
    started = time.perf_counter()
    service = ClassifierService(city_root, model_dir)
    model = service.retrain(extra)
    meta = model.metadata
    return {
        "model": str(service.model_file),
        "trained_at": meta["trained_at"],
        "n_examples": meta["n_examples"],
        "n_corpus": meta["n_corpus"],
        "n_confirmed": meta["n_confirmed"],
        "n_overridden": meta["n_overridden"],
        "n_labels": len(meta["labels"]),
        "n_features": meta["n_features"],
        "temperature": meta["temperature"],
        "sklearn_version": meta["sklearn_version"],
        "train_s": round(time.perf_counter() - started, 2),
    }


def _city_rows(city_root: Path) -> list[tuple[str, str, str]]:
    path = corpus_path(city_root)
    if not path.is_file():
        raise NoCorpusError(f"{path}: the city has no classifier corpus")
    return [(r.text, r.type_code, r.lang) for r in read_corpus(path)]


def eval_classify(city_root: Path, seed: int = 0) -> dict[str, Any]:
    """Accuracy and macro-F1 on a held-out stratified 20 % of the city's corpus."""
    rows = _city_rows(city_root)
    result = evaluate([(t, c) for t, c, _ in rows], seed=seed, groups=[lang for *_, lang in rows])
    per_class: dict[str, float] = result.pop("per_class_f1")
    worst = sorted(per_class.items(), key=lambda kv: (kv[1], kv[0]))[:N_WORST]
    return {
        "bench": "classify",
        "accuracy": result["accuracy"],
        "macro_f1": result["macro_f1"],
        "n_train": result["n_train"],
        "n_test": result["n_test"],
        "per_class_f1_min": worst[0][1] if worst else 0.0,
        "worst_classes": [{"type": code, "f1": f1} for code, f1 in worst],
        "accuracy_by_lang": result["accuracy_by_group"],
        "ece": result["ece"],
        "threshold": DEFAULT_THRESHOLD,
        "triage_rate": result["triage_rate"],
        "accuracy_above_threshold": result["accuracy_above_threshold"],
        "seed": seed,
    }


def bench_classify(
    city_root: Path,
    model_dir: Path | None = None,
    texts: int = 2000,
    batch: int = 1000,
    repeats: int = 5,
) -> dict[str, Any]:
    """Latency of one `predict` (p50, p99 over `texts` corpus texts) and batch throughput
    (`predict_many` on `batch` texts, median of `repeats` runs, at least 3)."""
    service = ClassifierService(city_root, model_dir)
    started = time.perf_counter()
    model = service.classifier
    load_s = time.perf_counter() - started
    pool = [text for text, _, _ in _city_rows(city_root)]
    sample = [pool[i % len(pool)] for i in range(texts)]
    for text in sample[:100]:
        model.predict(text)  # warm-up
    single = []
    for text in sample:
        t = time.perf_counter()
        model.predict(text)
        single.append(time.perf_counter() - t)
    chunk = [pool[i % len(pool)] for i in range(batch)]
    runs = []
    for _ in range(max(3, repeats)):
        t = time.perf_counter()
        model.predict_many(chunk)
        runs.append(time.perf_counter() - t)
    median = statistics.median(runs)
    micros = np.asarray(single) * 1e6
    return {
        "bench": "classify_speed",
        "texts": texts,
        "p50_us": round(float(np.percentile(micros, 50)), 1),
        "p99_us": round(float(np.percentile(micros, 99)), 1),
        "single_per_s": round(texts / float(np.sum(single))),
        "batch": batch,
        "batch_per_s": round(batch / median),
        "load_or_train_s": round(load_s, 3),
        "trained_on_first_use": service.trained_on_first_use,
    }
