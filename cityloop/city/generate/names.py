"""Fictional place names of the demo city, in Chinese and English."""

from __future__ import annotations

import numpy as np

DISTRICTS: tuple[tuple[str, str], ...] = (
    ("江城区", "Jiangcheng District"),
    ("临江区", "Linjiang District"),
    ("云岭区", "Yunling District"),
    ("石门区", "Shimen District"),
    ("龙溪区", "Longxi District"),
    ("青枫区", "Qingfeng District"),
    ("金湾区", "Jinwan District"),
    ("桂岩区", "Guiyan District"),
    ("白鹭区", "Bailu District"),
)

_FIRST: tuple[tuple[str, str], ...] = (
    ("望", "Wang"), ("朝", "Chao"), ("龙", "Long"), ("凤", "Feng"), ("石", "Shi"),
    ("桂", "Gui"), ("松", "Song"), ("柏", "Bai"), ("梅", "Mei"), ("兰", "Lan"),
    ("竹", "Zhu"), ("翠", "Cui"), ("锦", "Jin"), ("华", "Hua"), ("明", "Ming"),
    ("宁", "Ning"), ("新", "Xin"), ("和", "He"), ("清", "Qing"), ("文", "Wen"),
    ("振", "Zhen"), ("兴", "Xing"), ("南", "Nan"), ("北", "Bei"), ("东", "Dong"),
    ("西", "Xi"), ("金", "Jin"), ("玉", "Yu"),
)  # fmt: skip

_SECOND: tuple[tuple[str, str], ...] = (
    ("江", "jiang"), ("山", "shan"), ("湖", "hu"), ("溪", "xi"), ("园", "yuan"),
    ("林", "lin"), ("桥", "qiao"), ("湾", "wan"), ("岭", "ling"), ("坪", "ping"),
    ("台", "tai"), ("门", "men"), ("阳", "yang"), ("泉", "quan"), ("峰", "feng"),
    ("坝", "ba"), ("塘", "tang"), ("沙", "sha"), ("坡", "po"), ("洲", "zhou"),
    ("场", "chang"), ("河", "he"),
)  # fmt: skip


class PlaceNames:
    """Draws unique two-syllable place names (unique in both languages) in a seeded order."""

    def __init__(self, rng: np.random.Generator) -> None:
        combos = [(a + b, A + bb) for a, A in _FIRST for b, bb in _SECOND]
        order = rng.permutation(len(combos))
        self._pool = [combos[i] for i in order]
        self._used_en: set[str] = set()
        self._next = 0

    def draw(self) -> tuple[str, str]:
        while self._next < len(self._pool):
            zh, en = self._pool[self._next]
            self._next += 1
            if en not in self._used_en:
                self._used_en.add(en)
                return zh, en
        raise RuntimeError("ran out of place names")


def street_name(base: tuple[str, str]) -> tuple[str, str]:
    return f"{base[0]}街道", f"{base[1]} Street"


def community_name(base: tuple[str, str]) -> tuple[str, str]:
    return f"{base[0]}社区", f"{base[1]} Community"


def grid_name(number: int) -> tuple[str, str]:
    return f"第{number}网格", f"Grid {number}"
