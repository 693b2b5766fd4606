"""Severity of an event, China's four grades for emergencies (I is the gravest)."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    I = "I"  # 特别重大 extremely serious  # noqa: E741
    II = "II"  # 重大 serious
    III = "III"  # 较大 major
    IV = "IV"  # 一般 general

    @property
    def rank(self) -> int:
        """1 for I (gravest) to 4 for IV."""
        return ("I", "II", "III", "IV").index(self.value) + 1

    @property
    def label_zh(self) -> str:
        return {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般"}[self.value]

    @property
    def label_en(self) -> str:
        return {"I": "extremely serious", "II": "serious", "III": "major", "IV": "general"}[
            self.value
        ]
