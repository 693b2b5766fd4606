"""How a CityLoop warning maps onto the CAP 1.2 vocabulary (documented in docs/cap.md).

Pure functions of a warning's level, change kind and flags: `severity`, `urgency`, `certainty`,
`response_type` and `categories`. Text (headline, description, instruction) is in `cap_text`.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["raised", "upgraded", "downgraded", "cleared"]
Level = Literal["blue", "yellow", "orange", "red", "none"]

KINDS: tuple[Kind, ...] = ("raised", "upgraded", "downgraded", "cleared")
LEVELS: tuple[Level, ...] = ("blue", "yellow", "orange", "red", "none")

MSG_TYPE: dict[Kind, str] = {
    "raised": "Alert",
    "upgraded": "Update",
    "downgraded": "Update",
    "cleared": "Cancel",
}

SEVERITY: dict[Level, str] = {
    "blue": "Minor",
    "yellow": "Moderate",
    "orange": "Severe",
    "red": "Extreme",
    "none": "Minor",
}
"""China's four colours (四级 blue … 一级 red) onto CAP's four grades; a clear is Minor."""

URGENCY_OBSERVED: dict[Level, str] = {
    "blue": "Expected",
    "yellow": "Expected",
    "orange": "Immediate",
    "red": "Immediate",
}
URGENCY_PREDICTED: dict[Level, str] = {
    "blue": "Future",
    "yellow": "Expected",
    "orange": "Expected",
    "red": "Expected",
}

CATEGORY_BY_TYPE: dict[str, tuple[str, ...]] = {
    "ND01": ("Met",), "ND02": ("Met",), "ND03": ("Geo",), "ND04": ("Fire",), "ND05": ("Met",),
    "ND06": ("Geo",),
    "AC01": ("Fire",), "AC02": ("Transport",), "AC03": ("Safety", "Infra"),
    "AC04": ("CBRNE", "Env"), "AC05": ("Safety",), "AC06": ("Safety",),
    "AC07": ("Infra", "Transport"), "AC08": ("Infra",), "AC09": ("Infra",), "AC10": ("Env",),
    "AC11": ("Env", "Health"),
    "SS01": ("Safety",),
    "UM12": ("Transport",), "UM13": ("Transport",), "UM16": ("Infra",), "UM17": ("Fire", "Infra"),
    "LS01": ("Infra",),
}  # fmt: skip
"""The demo city's event types that sensors raise, or where the class default would mislead."""

CATEGORY_BY_CLASS: dict[str, tuple[str, ...]] = {
    "natural": ("Met",),
    "accident": ("Safety",),
    "health": ("Health",),
    "social": ("Security",),
    "urban": ("Infra",),
    "livelihood": ("Other",),
    "device": ("Other",),
}

CAP_CATEGORIES = frozenset(
    {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
     "CBRNE", "Other"}
)  # fmt: skip


def severity(kind: Kind, level: Level) -> str:
    return SEVERITY["none" if kind == "cleared" else level]


def urgency(kind: Kind, level: Level, predicted: bool) -> str:
    if kind == "cleared" or level == "none":
        return "Past"
    return (URGENCY_PREDICTED if predicted else URGENCY_OBSERVED)[level]


def certainty(kind: Kind, predicted: bool, needs_confirmation: bool) -> str:
    """Observed from readings; Likely for a forecast; Possible while a person must confirm.

    An anomaly warning needs confirmation until a person confirms it (then Observed).
    """
    if kind == "cleared":
        return "Observed"
    if predicted:
        return "Likely"
    return "Possible" if needs_confirmation else "Observed"


def response_type(kind: Kind, level: Level, predicted: bool, needs_confirmation: bool) -> str:
    if kind == "cleared" or level == "none":
        return "AllClear"
    if level == "blue" or (needs_confirmation and not predicted):
        return "Monitor"
    if level == "yellow" or predicted:
        return "Prepare"
    return "Execute"


def categories(
    event_type: str | None, event_class: str | None, given: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """CAP categories: `given` if any, else by event type, else by event class, else Other."""
    if given:
        unknown = [c for c in given if c not in CAP_CATEGORIES]
        if unknown:
            raise ValueError(f"not CAP 1.2 categories: {unknown}")
        return given
    if event_type in CATEGORY_BY_TYPE:
        return CATEGORY_BY_TYPE[event_type]
    return CATEGORY_BY_CLASS.get(event_class or "", ("Other",))
