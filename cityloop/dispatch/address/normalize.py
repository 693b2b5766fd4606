"""Text normalisation shared by the address index and the queries.

`normalize` folds full-width characters (NFKC), lower-cases, turns Chinese numerals before 号
into digits (一百二十八号 → 128号), drops apostrophes and reads `#` as "no". `en_tokens` splits
the result into Latin words and digit runs and expands common abbreviations (rd → road).
"""

from __future__ import annotations

import re
import unicodedata

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千]+(?=[号號])")
_TOKEN = re.compile(r"[a-z]+|\d+")

#: Abbreviations of English address words, and their full form.
ABBREVIATIONS: dict[str, str] = {
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "avn": "avenue",
    "st": "street",
    "str": "street",
    "ln": "lane",
    "blvd": "boulevard",
    "num": "no",
    "number": "no",
    "nr": "no",
    "hosp": "hospital",
    "sch": "school",
    "mkt": "market",
    "stn": "station",
}


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral (一百二十八, 一二八, 三十五), or None if it is not one."""
    if not text:
        return None
    if all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total, current = 0, 0
    for c in text:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[c]
            current = 0
        else:
            return None
    return total + current


def _numeral(match: re.Match[str]) -> str:
    value = chinese_number(match.group(0))
    return match.group(0) if value is None else str(value)


def normalize(text: str) -> str:
    """Fold width and case, digits for Chinese house numbers, no apostrophes, `#` as "no"."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = folded.replace("'", "").replace("’", "").replace("#", " no ")
    if "号" in folded or "號" in folded:
        folded = _CN_NUMBER.sub(_numeral, folded)
    return folded


def en_tokens(normalized: str) -> list[str]:
    """Latin words and digit runs of a normalised text, abbreviations expanded."""
    return [ABBREVIATIONS.get(t, t) for t in _TOKEN.findall(normalized)]


def is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def has_cjk(text: str) -> bool:
    return any(is_cjk(c) for c in text)
