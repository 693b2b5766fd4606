"""What the intake pipeline needs from a text classifier and an address locator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class TypeSuggestion(Protocol):
    """A classifier's answer: an event type, how sure, and why."""

    @property
    def type_code(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def reasons(self) -> tuple[str, ...]: ...
    @property
    def needs_triage(self) -> bool: ...
    def as_dict(self) -> dict[str, Any]: ...


class TextClassifier(Protocol):
    def predict(self, text: str) -> TypeSuggestion: ...

    def predict_many(self, texts: Sequence[str]) -> Sequence[TypeSuggestion]:
        """``predict`` for each text, in order (one vectorised pass where the model can)."""
        ...


class AddressHit(Protocol):
    """Where an address text points: a unified address code and coordinates."""

    @property
    def code(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def score(self) -> float: ...
    @property
    def precision(self) -> str: ...
    @property
    def reasons(self) -> tuple[str, ...]: ...


class AddressLocator(Protocol):
    def match(self, text: str) -> AddressHit | None: ...
