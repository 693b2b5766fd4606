"""Warning levels: China's four warning colours, ordered, plus "none" (no warning)."""

from __future__ import annotations

from enum import IntEnum


class WarningLevel(IntEnum):
    """blue < yellow < orange < red; `NONE` means no active warning. Stored as int8 in arrays."""

    NONE = 0
    BLUE = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4

    @property
    def label(self) -> str:
        """The lower-case name used in files and outputs: "none", "blue", … "red"."""
        return self.name.lower()

    @classmethod
    def parse(cls, label: str) -> WarningLevel:
        try:
            return cls[label.upper()]
        except KeyError:
            raise ValueError(f"unknown warning level {label!r}") from None


COLOURS: tuple[WarningLevel, ...] = (
    WarningLevel.BLUE,
    WarningLevel.YELLOW,
    WarningLevel.ORANGE,
    WarningLevel.RED,
)
"""The four warning colours, lowest first."""
