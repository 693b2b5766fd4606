"""The Warning aggregate: one warning per (rule, subject), raised, changed and cleared.

It keeps its whole history and its cause (rule, readings, values that crossed), whether a
person must confirm it (predicted, anomaly), and the event it became.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cityloop.domain.errors import InvalidCommand
from cityloop.domain.records import DomainEvent
from cityloop.domain.severity import Severity
from cityloop.domain.territory import JurisdictionChain

LEVELS = ("none", "blue", "yellow", "orange", "red")

#: China's warning colours → emergency grades (突发事件应对法 Art. 42: blue IV … red I).
SEVERITY_OF_LEVEL = {
    "blue": Severity.IV,
    "yellow": Severity.III,
    "orange": Severity.II,
    "red": Severity.I,
}


class Confirmation(StrEnum):
    NOT_NEEDED = "not_needed"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


@dataclass
class Warning:
    id: str
    rule_id: str
    rule_type: str
    subject: str
    subject_kind: str
    level: str
    raised_at: datetime
    updated_at: datetime
    event_type: str | None = None
    event_at: str | None = None
    predicted: bool = False
    anomaly: bool = False
    confirmation: Confirmation = Confirmation.NOT_NEEDED
    active: bool = True
    cleared_at: datetime | None = None
    lon: float | None = None
    lat: float | None = None
    chain: JurisdictionChain | None = None
    value: float | None = None
    threshold: float | None = None
    event_id: str | None = None
    sequence: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @property
    def severity(self) -> Severity:
        return SEVERITY_OF_LEVEL.get(self.level, Severity.IV)

    @property
    def at_event_level(self) -> bool:
        if self.event_at is None or self.level == "none":
            return False
        return LEVELS.index(self.level) >= LEVELS.index(self.event_at)

    @property
    def wants_event(self) -> bool:
        """At or above its rule's event level, confirmed where needed, not yet an event."""
        return (
            self.active
            and self.event_id is None
            and self.event_type is not None
            and self.at_event_level
            and self.confirmation in (Confirmation.NOT_NEEDED, Confirmation.CONFIRMED)
        )

    def apply(
        self,
        *,
        kind: str,
        level: str,
        at: datetime,
        value: float | None,
        threshold: float | None,
        cause: dict[str, Any],
    ) -> None:
        """Record one change from the engine (raised, upgraded, downgraded, cleared)."""
        self.sequence += 1
        self.level = level
        self.value, self.threshold = value, threshold
        self.updated_at = at
        if kind == "cleared":
            self.active = False
            self.cleared_at = at
        self.history.append(
            {
                "seq": self.sequence,
                "kind": kind,
                "level": level,
                "at": at.isoformat(),
                "value": value,
                "threshold": threshold,
                "cause": cause,
            }
        )
        name = {"raised": "WarningRaised", "cleared": "WarningCleared"}.get(kind)
        self._record(
            name or ("WarningUpgraded" if kind == "upgraded" else "WarningDowngraded"),
            at,
            {"kind": kind, "level": level, "value": value},
        )

    def holds_change(self, kind: str, level: str, at: datetime) -> bool:
        """Whether this change (kind, level, time) is already in the history."""
        stamp = at.isoformat()
        return any(
            h.get("kind") == kind and h.get("level") == level and h.get("at") == stamp
            for h in reversed(self.history)
        )

    def confirm(self, *, at: datetime, by: str, note: str | None) -> None:
        if self.confirmation is not Confirmation.PENDING:
            raise InvalidCommand(f"this warning is {self.confirmation.value}, not pending")
        self.confirmation = Confirmation.CONFIRMED
        self._note("confirmed", at, by, note)
        self._record("WarningConfirmed", at, {"by": by})

    def dismiss(self, *, at: datetime, by: str, reason: str) -> None:
        if self.confirmation is not Confirmation.PENDING:
            raise InvalidCommand(f"this warning is {self.confirmation.value}, not pending")
        if not reason.strip():
            raise InvalidCommand("dismissing a warning needs a reason")
        self.confirmation = Confirmation.DISMISSED
        self._note("dismissed", at, by, reason)
        self._record("WarningDismissed", at, {"by": by, "reason": reason})

    def link_event(self, event_id: str, at: datetime) -> None:
        self.event_id = event_id
        self._note("event", at, "system", event_id)

    def _note(self, kind: str, at: datetime, by: str, note: str | None) -> None:
        self.history.append({"kind": kind, "at": at.isoformat(), "by": by, "note": note})
        self.updated_at = at

    def _record(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        body = {"rule": self.rule_id, "subject": self.subject, **payload}
        self.events.append(DomainEvent(name, self.id, self.id, at, body))
