"""Emerging complaints: cluster the texts of reports that fit no event type well.

The texts are those the classifier was not confident about (or had no suggestion for). They are
turned into character n-gram TF-IDF vectors like the classifier's features (``char_wb``, 2–4
characters, sublinear tf, unit rows, IDF learned with the city's labelled corpus as background),
compared by cosine distance, and grouped by average-linkage agglomerative clustering; the number
of clusters k is the one with the best silhouette (texts in clusters under ``min_size`` count 0).
Only
clusters of at least ``min_size`` texts that hold together (mean cosine similarity to their
centroid at least ``min_cohesion``) are listed: the rest is noise, not a theme.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_samples

from cityloop.dispatch.classify.features import normalize
from cityloop.evaluation.demand import rate_test
from cityloop.evaluation.frames import Floats, Strs

METHOD = (
    "texts of reports with no type given and a classifier confidence below its triage threshold "
    "(or no suggestion); character 2–4-gram TF-IDF (sublinear, unit rows, IDF with the city's "
    "labelled corpus as background); average-linkage agglomerative clustering on cosine "
    "distance, k chosen by the best silhouette (texts in clusters under min_size count 0); "
    "clusters of "
    "≥ min_size texts with mean cosine similarity to the centroid ≥ min_cohesion; growth: the "
    "period against the one of the same length before, one-sided conditional binomial test"
)

_PHONE = re.compile(r"\+?\d[\d\s-]{5,}\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_ID_NUMBER = re.compile(r"\b\d{15,18}[\dXx]?\b")


def redact(text: str, names: Sequence[str] = ()) -> str:
    """The text without e-mail addresses, phone or ID numbers and the given names."""
    text = _EMAIL.sub("[email]", text)
    text = _ID_NUMBER.sub("[id]", text)
    text = _PHONE.sub("[phone]", text)
    for name in names:
        if name and len(name) >= 2:
            text = text.replace(name, "[name]")
    return text


@dataclass
class TextClusters:
    labels: np.ndarray  # one cluster label per text, 0..k-1
    k: int
    silhouette: float | None
    vectors: Any  # the TF-IDF rows (sparse)
    grams: list[str]


def candidate_ks(n: int, max_k: int | None = None) -> list[int]:
    """The numbers of clusters tried: every k from 2 to 50, then 5 % apart, up to n // 3 (a
    theme needs a few texts) or ``max_k``."""
    top = min(n - 1, max_k if max_k is not None else max(2, n // 3))
    ks = set(range(2, min(top, 50) + 1))
    k = 50.0
    while k < top:
        k *= 1.05
        ks.add(min(top, round(k)))
    return sorted(ks)


def cluster_texts(
    texts: Sequence[str],
    background: Sequence[str] = (),
    min_size: int = 3,
    max_k: int | None = None,
) -> TextClusters:
    """Average-linkage clusters of the texts with the silhouette-best k (``candidate_ks``).

    The IDF weights are learned from the texts *and* the ``background`` (the city's labelled
    corpus): a theme's own words are common among the texts but rare in the background, so
    they keep their weight. The silhouette counts texts in clusters smaller than ``min_size``
    as 0 (noise, not a theme), so splitting the texts into pairs does not win.
    """
    folded = [normalize(t) for t in texts]
    vectorizer = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        sublinear_tf=True,
        lowercase=True,
        min_df=2,
        max_df=0.2 if len(texts) + len(background) >= 50 else 1.0,  # drop the commonest
    )
    try:
        vectorizer.fit(folded + [normalize(t) for t in background])
    except ValueError:  # no n-gram occurs twice: nothing in common
        return TextClusters(np.arange(len(texts)), len(texts), None, None, [])
    x = vectorizer.transform(folded)
    grams = [str(g) for g in vectorizer.get_feature_names_out()]
    n = x.shape[0]
    if n < 3:
        return TextClusters(np.zeros(n, dtype=np.int64), 1, None, x, grams)
    similarity = np.asarray((x @ x.T).todense(), dtype=np.float64)
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    distance = (distance + distance.T) / 2
    tree = linkage(squareform(distance, checks=False), method="average")
    best: tuple[float, np.ndarray] | None = None
    for k in candidate_ks(n, max_k):
        labels = fcluster(tree, k, criterion="maxclust") - 1
        if len(np.unique(labels)) < 2:
            continue
        samples = silhouette_samples(distance, labels, metric="precomputed")
        samples[np.bincount(labels)[labels] < min_size] = 0.0
        score = float(samples.mean())
        if best is None or score > best[0]:
            best = (score, labels)
    if best is None:
        return TextClusters(np.zeros(n, dtype=np.int64), 1, None, x, grams)
    labels = best[1].astype(np.int64)
    return TextClusters(labels, int(labels.max()) + 1, round(best[0], 4), x, grams)


def _overlap(a: str, b: str) -> bool:
    """Whether two n-grams share a two-character piece (parts of one word, not two terms)."""
    pieces = {a[i : i + 2] for i in range(len(a) - 1)}
    return any(b[i : i + 2] in pieces for i in range(len(b) - 1))


_PUNCT = re.compile(r"[^\w]")
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")


def _word_of(gram: str, texts: Sequence[str]) -> str:
    """An n-gram widened to the word it is part of: a Latin one to the commonest whole word
    holding it (``meo`` → ``someone``); one of a script without spaces by a character left or
    right while the wider string is in at least 80 % of the texts holding the n-gram
    (``递柜`` → ``快递柜``)."""
    if _WORD.fullmatch(gram):
        words = Counter(w for t in texts for w in _WORD.findall(t) if gram in w)
        return words.most_common(1)[0][0] if words else gram
    holding = [t for t in texts if gram in t]
    while len(holding) >= 2 and len(gram) < 8:
        wider: set[str] = set()
        for t in holding:
            for i in range(len(t) - len(gram) + 1):
                if t.startswith(gram, i):
                    if i > 0:
                        wider.add(t[i - 1] + gram)
                    if i + len(gram) < len(t):
                        wider.add(gram + t[i + len(gram)])
        counted = [(sum(w in t for t in holding), w) for w in wider if not _PUNCT.search(w)]
        if not counted:
            break
        n, best = max(counted)
        if n < 0.8 * len(holding):
            break
        gram = best
    return gram


def top_terms(
    rows: Any, others: Any, grams: list[str], texts: Sequence[str], limit: int = 8
) -> list[str]:
    """The n-grams that weigh most in the cluster against the other texts (``texts``, folded
    to lower case, are the cluster's), Latin ones widened to whole words, skipping one that
    shares a two-character piece with a term already chosen (a part of the same word)."""
    inside = np.asarray(rows.mean(axis=0)).ravel()
    outside = np.asarray(others.mean(axis=0)).ravel() if others.shape[0] else 0.0
    present = np.flatnonzero(inside > 0)
    order = present[np.argsort(-(inside - outside)[present], kind="stable")][:300]
    chosen: list[str] = []
    for i in order:
        gram = grams[i].strip()
        if len(gram) < 2 or inside[i] <= 0 or _PUNCT.search(gram):
            continue
        if sum(gram in t for t in texts) < 2:  # a term is shared by the cluster's texts
            continue
        gram = _word_of(gram, texts)
        if any(gram in c or c in gram or _overlap(gram, c) for c in chosen):
            continue
        chosen.append(gram)
        if len(chosen) == limit:
            break
    return chosen


def _support(terms: list[str], texts: list[str]) -> float:
    """The share of the texts that contain every one of the terms (0 when there is none)."""
    if not terms or not texts:
        return 0.0
    return sum(all(t in text for t in terms) for text in texts) / len(texts)


@dataclass
class EmergingCluster:
    size: int
    current: int
    previous: int
    change: float | None
    p_value: float
    rising: bool
    cohesion: float
    support: float
    top_terms: list[str]
    examples: list[str]
    places: list[dict[str, Any]]
    lon: float | None
    lat: float | None
    suggested_types: list[dict[str, Any]] = field(default_factory=list)
    members: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("members")
        return out


def emerging(
    texts: Sequence[str],
    received: Floats,
    places: Strs,
    lon: Floats,
    lat: Floats,
    suggested: Strs,
    start: float,
    end: float,
    *,
    min_size: int = 3,
    min_cohesion: float = 0.3,
    min_support: float = 0.8,
    alpha: float = 0.05,
    names: Sequence[str] = (),
    background: Sequence[str] = (),
) -> tuple[dict[str, Any], list[EmergingCluster]]:
    """Clusters of the texts received in ``[start − (end − start), end)`` with their growth
    (texts in ``[start, end)`` against the period before), places and redacted examples."""
    summary: dict[str, Any] = {"texts": len(texts), "k": 0, "silhouette": None}
    if len(texts) < min_size:
        return summary, []
    result = cluster_texts(texts, background, min_size)
    summary.update(k=result.k, silhouette=result.silhouette)
    if result.vectors is None:
        return summary, []
    x = result.vectors
    current = (received >= start) & (received < end)
    out: list[EmergingCluster] = []
    for label in range(result.k):
        members = np.flatnonzero(result.labels == label)
        if len(members) < min_size:
            continue
        rows = x[members]
        centroid = np.asarray(rows.mean(axis=0)).ravel()
        norm = float(np.linalg.norm(centroid))
        if norm == 0:
            continue
        to_centroid = np.asarray(rows @ (centroid / norm)).ravel()
        cohesion = float(to_centroid.mean())
        if cohesion < min_cohesion:
            continue
        others = x[np.flatnonzero(result.labels != label)]
        folded = [normalize(str(texts[int(i)])).lower() for i in members]
        terms = top_terms(rows, others, result.grams, folded)
        support = _support(terms[:2], folded)
        if support < min_support:
            continue
        c, q = int(current[members].sum()), int((~current[members]).sum())
        p = rate_test(c, q)
        nearest = members[np.argsort(-to_centroid)[:3]]
        where = Counter(str(places[i]) for i in members if places[i])
        ok = members[~np.isnan(lon[members]) & ~np.isnan(lat[members])]
        types = Counter(str(suggested[i]) for i in members if suggested[i])
        out.append(
            EmergingCluster(
                size=len(members),
                current=c,
                previous=q,
                change=None if q == 0 else round((c - q) / q, 4),
                p_value=round(p, 6),
                rising=bool(p < alpha and c > q),
                cohesion=round(cohesion, 4),
                support=round(support, 4),
                top_terms=terms,
                examples=[redact(str(texts[int(i)]), names)[:160] for i in nearest],
                places=[{"code": k, "reports": v} for k, v in where.most_common(5)],
                lon=round(float(lon[ok].mean()), 6) if len(ok) else None,
                lat=round(float(lat[ok].mean()), 6) if len(ok) else None,
                suggested_types=[{"type_code": k, "reports": v} for k, v in types.most_common(3)],
                members=[int(i) for i in members],
            )
        )
    out.sort(key=lambda e: (not e.rising, e.p_value, -e.size))
    return summary, out
