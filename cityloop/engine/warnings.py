"""Warning changes: the edge-triggered output of the engine, and the warnings still active.

One warning exists per (rule, subject) from the moment it is raised until it is cleared; every
change of level in between is a `WarningChange` carrying its cause. The warning id is derived
from the rule, the subject and the raise time, so that it is the same on every replay.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cityloop.engine.levels import WarningLevel


class ChangeKind(StrEnum):
    RAISED = "raised"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"
    CLEARED = "cleared"

    @classmethod
    def of(cls, previous: WarningLevel, level: WarningLevel) -> ChangeKind:
        if previous is WarningLevel.NONE:
            return cls.RAISED
        if level is WarningLevel.NONE:
            return cls.CLEARED
        return cls.UPGRADED if level > previous else cls.DOWNGRADED


def warning_id(rule: str, subject: str, raised_ts: float) -> str:
    """Deterministic id of a warning: `rule/subject/raise time in epoch milliseconds`."""
    return f"{rule}/{subject}/{round(raised_ts * 1000)}"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class WarningChange:
    """One change of one warning: raised, upgraded, downgraded or cleared."""

    warning_id: str
    rule: str
    rule_type: str
    subject: str
    subject_kind: str
    """"sensor" or "area"."""
    kind: ChangeKind
    level: WarningLevel
    previous: WarningLevel
    ts: float
    """Epoch seconds of the reading (or clock tick) that caused the change."""
    raised_ts: float
    value: float | None
    """The value judged against the threshold (after aggregation and transform)."""
    threshold: float | None
    cause: dict[str, Any]
    predicted: bool
    anomaly: bool
    needs_confirmation: bool
    event_type: str | None
    event_at: WarningLevel | None
    creates_event: bool
    """True when this change brings the warning to or above `event_at` from below it."""

    @property
    def at_event_level(self) -> bool:
        return self.event_at is not None and self.level >= self.event_at

    def summary(self) -> dict[str, Any]:
        """The compact form printed by `cityloop rules run --json`."""
        return {
            "rule": self.rule,
            "subject": self.subject,
            "kind": self.kind.value,
            "level": self.level.label,
            "ts": iso(self.ts),
        }

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind.value
        out["level"] = self.level.label
        out["previous"] = self.previous.label
        out["event_at"] = self.event_at.label if self.event_at is not None else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WarningChange:
        values = dict(data)
        values["kind"] = ChangeKind(values["kind"])
        values["level"] = WarningLevel.parse(values["level"])
        values["previous"] = WarningLevel.parse(values["previous"])
        at = values["event_at"]
        values["event_at"] = WarningLevel.parse(at) if at is not None else None
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ActiveWarning:
    """A warning not yet cleared, with every change since it was raised."""

    warning_id: str
    rule: str
    subject: str
    level: WarningLevel
    history: tuple[WarningChange, ...]
