"""Default CAP texts of a warning, in Chinese and English: headline, description, instruction.

A plan may override the headline and instruction (`CapWarning.headline_zh` …); the description
always says what was judged, the value, the threshold and the standard cited by the rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cityloop.adapters.cap import CapWarning

COLOUR_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色", "none": ""}
COLOUR_EN = {"blue": "Blue", "yellow": "Yellow", "orange": "Orange", "red": "Red", "none": ""}

INSTRUCTION_ZH = {
    "blue": "请关注预警信息，做好防范准备。",
    "yellow": "相关部门和单位按职责做好防范准备，公众注意防范。",
    "orange": "相关部门按应急预案开展处置，公众避开危险区域。",
    "red": "立即启动应急预案，公众服从现场指挥，远离危险区域。",
    "none": "预警解除，无需进一步行动。",
}
INSTRUCTION_EN = {
    "blue": "Stay informed and be ready to act.",
    "yellow": "Departments prepare to respond as their duties require; the public should take "
    "precautions.",
    "orange": "Departments act under the emergency plan; keep away from the affected area.",
    "red": "The emergency plan is activated: follow the instructions of responders and stay away "
    "from the affected area.",
    "none": "The warning is lifted; no further action is needed.",
}
UNCONFIRMED_ZH = "本预警待人工核实。"
UNCONFIRMED_EN = "This warning awaits confirmation by an operator."


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:g} {unit}".strip()


def subject_en(w: CapWarning) -> str:
    return w.subject_name_en or w.subject_name


def _marks_zh(w: CapWarning) -> str:
    return "（预测）" * w.predicted + "（待核实）" * (w.needs_confirmation and not w.predicted)


def _marks_en(w: CapWarning) -> str:
    return "Forecast: " * w.predicted + "Unconfirmed: " * (w.needs_confirmation and not w.predicted)


def headline_zh(w: CapWarning) -> str:
    if w.headline_zh:
        return w.headline_zh
    colour = COLOUR_ZH[w.level]
    action = {
        "raised": f"{colour}预警",
        "upgraded": f"预警升级为{colour}",
        "downgraded": f"预警降为{colour}",
        "cleared": "预警解除",
    }[w.kind]
    return f"{_marks_zh(w)}{w.subject_name}：{w.rule_name_zh}{action}"


def headline_en(w: CapWarning) -> str:
    if w.headline_en:
        return w.headline_en
    colour = COLOUR_EN[w.level]
    what = f"{w.rule_name_en} at {subject_en(w)}"
    text = {
        "raised": f"{colour} warning: {what}",
        "upgraded": f"{what} upgraded to {colour.lower()}",
        "downgraded": f"{what} downgraded to {colour.lower()}",
        "cleared": f"{what}: warning cleared",
    }[w.kind]
    return _marks_en(w) + text


def description_zh(w: CapWarning) -> str:
    judged = "预测值" if w.predicted else ("异常评分" if w.anomaly else "监测值")
    value = number(w.value, w.unit)
    if w.kind == "cleared":
        text = f"{w.subject_name}{judged}{value}，已恢复正常，{w.rule_name_zh}预警解除。"
    else:
        threshold = number(w.threshold, w.unit)
        colour = COLOUR_ZH[w.level]
        text = f"{w.subject_name}{judged}{value}，{colour}预警阈值{threshold}（规则 {w.rule_id}）。"
    if w.source:
        text += f"依据：{w.source}。"
    return text + UNCONFIRMED_ZH * (w.needs_confirmation and w.kind != "cleared")


def description_en(w: CapWarning) -> str:
    judged = "forecast value" if w.predicted else ("anomaly score" if w.anomaly else "reading")
    value = number(w.value, w.unit)
    if w.kind == "cleared":
        text = (
            f"The {judged} at {subject_en(w)} is back to normal ({value}); "
            f"the {w.rule_name_en} warning is cleared."
        )
    else:
        threshold = number(w.threshold, w.unit)
        text = (
            f"The {judged} at {subject_en(w)} is {value}; the {w.level} threshold is {threshold} "
            f"(rule {w.rule_id}, {w.rule_name_en})."
        )
    if w.source:
        text += f" Standard: {w.source}."
    return text + (" " + UNCONFIRMED_EN) * (w.needs_confirmation and w.kind != "cleared")


def instruction_zh(w: CapWarning) -> str:
    if w.instruction_zh:
        return w.instruction_zh
    level = "none" if w.kind == "cleared" else w.level
    return INSTRUCTION_ZH[level] + UNCONFIRMED_ZH * (w.needs_confirmation and level != "none")


def instruction_en(w: CapWarning) -> str:
    if w.instruction_en:
        return w.instruction_en
    level = "none" if w.kind == "cleared" else w.level
    unconfirmed = w.needs_confirmation and level != "none"
    return INSTRUCTION_EN[level] + (" " + UNCONFIRMED_EN) * unconfirmed
