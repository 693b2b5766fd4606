"""Fakes of the classifier and the address table: simple, deterministic, contract-true."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cityloop.city import City


@dataclass(frozen=True)
class FakeSuggestion:
    type_code: str
    confidence: float
    reasons: tuple[str, ...]
    threshold: float = 0.6

    @property
    def needs_triage(self) -> bool:
        return self.confidence < self.threshold

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_code,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "needs_triage": self.needs_triage,
            "threshold": self.threshold,
        }


class KeywordClassifier:
    """Picks the type whose keywords appear in the text; confident only on a clear hit."""

    def __init__(self, city: City) -> None:
        self.keywords = {
            code: (*t.keywords_zh, *t.keywords_en) for code, t in city.event_types.items()
        }

    def predict(self, text: str) -> FakeSuggestion:
        lowered = text.lower()
        hits = {
            code: [k for k in words if k.lower() in lowered]
            for code, words in self.keywords.items()
        }
        best = max(hits, key=lambda c: len(hits[c]))
        found = hits[best]
        confidence = 0.9 if found else 0.2
        return FakeSuggestion(best, confidence, tuple(f'"{k}"' for k in found))

    def predict_many(self, texts: Sequence[str]) -> list[FakeSuggestion]:
        return [self.predict(t) for t in texts]


@dataclass(frozen=True)
class FakeHit:
    code: str
    label: str
    lon: float
    lat: float
    score: float = 0.95
    precision: str = "house"
    reasons: tuple[str, ...] = ("exact name",)


class FakeAddresses:
    """An address table of a few names, matched by substring."""

    def __init__(self, entries: dict[str, tuple[float, float]]) -> None:
        self.entries = entries

    def match(self, text: str) -> FakeHit | None:
        for name, (lon, lat) in self.entries.items():
            if name in text:
                return FakeHit(code=f"ADDR-{name}", label=name, lon=lon, lat=lat)
        return None
