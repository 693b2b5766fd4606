"""Durations in rule and sensor files: seconds as a number, or text such as "90s", "5m", "12h"."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_duration(value: object) -> float:
    """Seconds in `value`: a number of seconds (also as text) or "<number><s|m|h|d>"."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text such as '5m' or '12h'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _PATTERN.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise ValueError(
            f"invalid duration {value!r}: use seconds or text such as '90s', '5m', '12h', '1d'"
        )
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"invalid duration {value!r}: must be finite and not negative")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact text for `seconds`, e.g. 10800 → "3h", 90 → "90s"."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A duration field: validated from seconds or text, held as float seconds."""
