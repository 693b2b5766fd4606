"""Report texts that vary like real speech, composed from the shipped corpus.

A report is the corpus's sentences of its type (one, sometimes two), wrapped in what people add
when they call or type: a greeting or an opener, where it is, how long it has lasted, how they
feel, what they ask for; punctuation and spacing vary; some texts are in English. No two types
share a template, and the same type rarely gives the same text twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from cityloop.city.generate.corpus import demo_corpus_rows

OPENERS_ZH = (
    "", "", "", "你好，", "您好，", "喂，你好，", "我要反映一个问题，", "麻烦问一下，",
    "投诉一下，", "想反映个情况：", "打扰了，", "12345吗？", "我是附近居民，",
    "我是这边的住户，", "师傅你好，",
)  # fmt: skip
PLACES_ZH = (
    "", "", "{place}这边", "在{place}", "{place}附近", "就在{place}旁边", "{place}门口",
    "{place}那一段",
)  # fmt: skip
SINCE_ZH = (
    "", "", "", "已经好几天了，", "从昨天开始", "刚刚发现，", "半个多小时了，", "每天都这样，",
    "今天早上看到", "这两天一直是这样，",
)  # fmt: skip
FEELINGS_ZH = (
    "", "", "", "太危险了", "实在受不了了", "大家意见很大", "老人小孩都不敢走", "影响很大",
    "很着急", "看着就吓人",
)  # fmt: skip
ASKS_ZH = (
    "", "", "请尽快处理。", "麻烦派人来看看。", "希望有关部门管一管。", "谢谢！",
    "请早点解决，谢谢。", "能不能尽快安排一下？", "请回复处理结果。", "再不处理要出事了！",
)  # fmt: skip
OPENERS_EN = ("", "", "Hello, ", "Hi, ", "I'd like to report that ", "Just to let you know, ")
ASKS_EN = ("", "", " Please send someone.", " Please fix it soon.", " Thanks.", " It's urgent!")


@dataclass(frozen=True)
class Composed:
    type_code: str
    text: str
    lang: str


class ReportComposer:
    """Texts for citizens' reports, hotline calls and grid workers' notes."""

    def __init__(self, rng: np.random.Generator, english_share: float = 0.05) -> None:
        self.rng = rng
        self.english_share = english_share
        self.texts: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in demo_corpus_rows():
            self.texts[(row.type_code, row.lang)].append(row.text)
        self.types = sorted({code for code, _ in self.texts})

    def _pick(self, options: tuple[str, ...] | list[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def compose(
        self, type_code: str, place: str | None = None, grid_worker: bool = False
    ) -> Composed:
        """One text for an event of `type_code`, optionally naming `place`."""
        english = self.rng.random() < self.english_share and (type_code, "en") in self.texts
        if english:
            core = self._pick(self.texts[(type_code, "en")])
            where = f" near {place}" if place and self.rng.random() < 0.5 else ""
            text = f"{self._pick(OPENERS_EN)}{core}{where}.{self._pick(ASKS_EN)}"
            return Composed(type_code, text[0].upper() + text[1:], "en")
        pool = self.texts[(type_code, "zh")]
        core = self._pick(pool).rstrip("。！!")
        if grid_worker:  # a grid worker's note is short and factual
            where = f"{place}，" if place else ""
            tail = self._pick(("", "已拍照。", "现场已设警示。", "需要处置。", "已告知物业。"))
            return Composed(type_code, f"巡查发现：{where}{core}。{tail}", "zh")
        parts = [self._pick(OPENERS_ZH)]
        if place:
            parts.append(self._pick(PLACES_ZH).format(place=place))
            if parts[-1]:
                parts.append("，")
        parts.append(self._pick(SINCE_ZH))
        parts.append(core)
        if self.rng.random() < 0.25 and len(pool) > 1:
            parts.append("，而且" + self._pick(pool).rstrip("。！!"))
        feeling = self._pick(FEELINGS_ZH)
        parts.append(f"，{feeling}。" if feeling else self._pick(("。", "！", "。", "，")))
        parts.append(self._pick(ASKS_ZH))
        text = "".join(parts).replace("，，", "，").replace("，。", "。").strip("，")
        if self.rng.random() < 0.1:  # typed in a hurry: no punctuation at the end, spaces
            text = text.rstrip("。！").replace("，", " ")
        return Composed(type_code, text, "zh")
