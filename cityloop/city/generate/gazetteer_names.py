"""Fictional road and place names of the demo city's address table, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Road names that real cities repeat from district to district (人民路 in three districts…),
#: so that the matcher has same-named roads to tell apart by their district.
COMMON_ROAD_BASES: tuple[tuple[str, str], ...] = (
    ("人民", "Renmin"), ("解放", "Jiefang"), ("中山", "Zhongshan"),
    ("建设", "Jianshe"), ("新华", "Xinhua"), ("和平", "Heping"),
)  # fmt: skip

#: The riverside avenue, one per district along the main river.
RIVERSIDE_BASE: tuple[str, str] = ("滨江", "Binjiang")

_ROAD_BASES: tuple[tuple[str, str], ...] = (
    ("民生", "Minsheng"), ("胜利", "Shengli"), ("文化", "Wenhua"), ("健康", "Jiankang"),
    ("长江", "Changjiang"), ("青年", "Qingnian"), ("工业", "Gongye"), ("光明", "Guangming"),
    ("团结", "Tuanjie"), ("友谊", "Youyi"), ("红旗", "Hongqi"), ("东风", "Dongfeng"),
    ("学府", "Xuefu"), ("科园", "Keyuan"), ("环城", "Huancheng"), ("体育", "Tiyu"),
    ("幸福", "Xingfu"), ("建国", "Jianguo"), ("复兴", "Fuxing"), ("民主", "Minzhu"),
    ("中华", "Zhonghua"), ("新民", "Xinmin"), ("大同", "Datong"), ("永安", "Yongan"),
    ("人和", "Renhe"), ("劳动", "Laodong"), ("朝天", "Chaotian"), ("沙坪", "Shaping"),
    ("迎宾", "Yingbin"), ("五一", "Wuyi"), ("七星", "Qixing"), ("八一", "Bayi"),
    ("天府", "Tianfu"), ("凯旋", "Kaixuan"), ("红岩", "Hongyan"), ("嘉陵", "Jialing"),
    ("歌乐", "Gele"), ("兴业", "Xingye"), ("丰收", "Fengshou"), ("育才", "Yucai"),
    ("书院", "Shuyuan"), ("府前", "Fuqian"), ("盐市", "Yanshi"), ("米市", "Mishi"),
    ("草市", "Caoshi"), ("码头", "Matou"), ("渡口", "Dukou"), ("银杏", "Yinxing"),
    ("梧桐", "Wutong"), ("香樟", "Xiangzhang"), ("海棠", "Haitang"), ("紫荆", "Zijing"),
    ("芙蓉", "Furong"), ("桃源", "Taoyuan"), ("杏林", "Xinglin"), ("荷花", "Hehua"),
    ("菜园", "Caiyuan"), ("果园", "Guoyuan"), ("茶园", "Chayuan"), ("黄桷", "Huangjue"),
    ("鹅岭", "Eling"), ("观音", "Guanyin"), ("双碑", "Shuangbei"), ("大坪", "Daping"),
    ("杨家", "Yangjia"), ("李家", "Lijia"), ("陈家", "Chenjia"), ("张家", "Zhangjia"),
    ("刘家", "Liujia"), ("赵家", "Zhaojia"), ("周家", "Zhoujia"), ("何家", "Hejia"),
    ("高新", "Gaoxin"), ("创新", "Chuangxin"), ("科技", "Keji"), ("工贸", "Gongmao"),
    ("物流", "Wuliu"), ("港城", "Gangcheng"), ("机场", "Jichang"), ("纺织", "Fangzhi"),
)  # fmt: skip

_ROAD_FIRST: tuple[tuple[str, str], ...] = (
    ("泰", "Tai"), ("康", "Kang"), ("瑞", "Rui"), ("福", "Fu"), ("嘉", "Jia"), ("荣", "Rong"),
    ("昌", "Chang"), ("盛", "Sheng"), ("德", "De"), ("顺", "Shun"), ("恒", "Heng"),
    ("永", "Yong"), ("广", "Guang"), ("春", "Chun"), ("秋", "Qiu"), ("霞", "Xia"),
)  # fmt: skip

_ROAD_SECOND: tuple[tuple[str, str], ...] = (
    ("平", "ping"), ("乐", "le"), ("源", "yuan"), ("祥", "xiang"), ("丰", "feng"),
    ("达", "da"), ("通", "tong"), ("隆", "long"), ("宁", "ning"), ("华", "hua"), ("泰", "tai"),
)  # fmt: skip

_PLACE_FIRST: tuple[tuple[str, str], ...] = (
    ("碧", "Bi"), ("御", "Yu"), ("君", "Jun"), ("鑫", "Xin"), ("紫", "Zi"), ("银", "Yin"),
    ("星", "Xing"), ("晨", "Chen"), ("曦", "Xi"), ("悦", "Yue"), ("怡", "Yi"), ("雅", "Ya"),
    ("润", "Run"), ("卓", "Zhuo"), ("博", "Bo"), ("启", "Qi"), ("航", "Hang"), ("蓉", "Rong"),
)  # fmt: skip

_PLACE_SECOND: tuple[tuple[str, str], ...] = (
    ("苑", "yuan"), ("庭", "ting"), ("城", "cheng"), ("湾", "wan"), ("府", "fu"),
    ("轩", "xuan"), ("居", "ju"), ("景", "jing"), ("辰", "chen"), ("澜", "lan"),
    ("都", "du"), ("汇", "hui"), ("邦", "bang"), ("晟", "sheng"),
)  # fmt: skip

#: Road classes: (class, Chinese suffix, English suffix).
ROAD_CLASSES: dict[str, tuple[str, str]] = {
    "avenue": ("大道", "Avenue"),
    "road": ("路", "Road"),
    "street": ("街", "Street"),
    "lane": ("巷", "Lane"),
}

#: Kinds of named places and their name patterns: (Chinese suffix, English suffix).
PLACE_PATTERNS: dict[str, tuple[tuple[str, str], ...]] = {
    "compound": (("小区", "Estate"), ("花园", "Garden")),
    "school": (("小学", "Primary School"), ("中学", "Middle School"), ("幼儿园", "Kindergarten")),
    "hospital": (("医院", "Hospital"), ("中医院", "TCM Hospital")),
    "elderly_home": (("养老院", "Elderly Home"), ("敬老院", "Home for the Aged")),
    "market": (("菜市场", "Market"), ("农贸市场", "Farmers Market")),
    "station": (("站", "Station"),),
    "park": (("公园", "Park"),),
    "mall": (("广场", "Plaza"), ("购物中心", "Shopping Centre")),
}

#: How many places of each kind a district gets (besides offices, hospitals and bridges).
PLACES_PER_DISTRICT: dict[str, int] = {
    "compound": 30,
    "school": 12,
    "hospital": 4,
    "market": 8,
    "station": 8,
    "park": 6,
    "mall": 5,
}

#: Elderly homes per district (drawn after every other place, from a random stream of their own,
#: so that adding them left every other row of the table as it was).
ELDERLY_HOMES_PER_DISTRICT = 3

#: Places named after their road rather than a place name, by kind.
ROAD_NAMED_SHARE: dict[str, float] = {
    "compound": 0.1,
    "school": 0.4,
    "hospital": 0.2,
    "elderly_home": 0.3,
    "market": 0.6,
    "station": 1.0,
    "park": 0.2,
    "mall": 0.3,
}


def road_name(base: tuple[str, str], road_class: str) -> tuple[str, str]:
    zh, en = ROAD_CLASSES[road_class]
    return f"{base[0]}{zh}", f"{base[1]} {en}"


def house_name(road_zh: str, road_en: str, number: int) -> tuple[str, str]:
    return f"{road_zh}{number}号", f"{number} {road_en}"


@dataclass
class NamePool:
    """Draws names from a seeded shuffle, never the same twice and never a reserved one."""

    pool: list[tuple[str, str]]
    reserved_zh: set[str]
    reserved_en: set[str]
    position: int = 0

    def draw(self) -> tuple[str, str]:
        while self.position < len(self.pool):
            zh, en = self.pool[self.position]
            self.position += 1
            if zh not in self.reserved_zh and en.lower() not in self.reserved_en:
                self.reserved_zh.add(zh)
                self.reserved_en.add(en.lower())
                return zh, en
        raise RuntimeError("ran out of names")


def _combos(
    first: tuple[tuple[str, str], ...], second: tuple[tuple[str, str], ...]
) -> list[tuple[str, str]]:
    return [(a + b, A + bb) for a, A in first for b, bb in second if a != b]


def road_pool(rng: np.random.Generator, reserved_zh: set[str], reserved_en: set[str]) -> NamePool:
    """Road name bases: the curated list first (shuffled), then composed ones (shuffled)."""
    curated = [_ROAD_BASES[i] for i in rng.permutation(len(_ROAD_BASES))]
    composed = _combos(_ROAD_FIRST, _ROAD_SECOND)
    composed = [composed[i] for i in rng.permutation(len(composed))]
    return NamePool(curated + composed, reserved_zh, reserved_en)


def place_bases(rng: np.random.Generator) -> list[tuple[str, str]]:
    """Place name bases (estates, schools, parks…), composed and shuffled; reused across kinds."""
    composed = _combos(_PLACE_FIRST, _PLACE_SECOND)
    return [composed[i] for i in rng.permutation(len(composed))]
