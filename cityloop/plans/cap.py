"""A plan activation's public message as CAP 1.2 alerts: one message per change.

Starting the plan (one click, automatic, or the confirmation of a proposal) is an `Alert`, an
upgrade or downgrade an `Update` referencing the earlier messages, termination a `Cancel`.
Proposals are not published. Response levels map to CAP's colours as IV blue, III yellow,
II orange, I red (so to severity Minor … Extreme, see `cap_mapping`). The area is a circle around
the centroid of the activation's jurisdiction, its radius reaching the farthest corner of the
jurisdiction's bounding box.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cityloop.adapters.cap import CapWarning, reference_of
from cityloop.adapters.cap_mapping import Kind, Level
from cityloop.city import City
from cityloop.domain.plan_activation import PlanActivation
from cityloop.plans.resources import haversine_m
from cityloop.plans.schema import PlanFile

GRADE_COLOUR: dict[str, Level] = {"IV": "blue", "III": "yellow", "II": "orange", "I": "red"}
_KINDS: dict[str, Kind] = {
    "activated": "raised",
    "confirmed": "raised",
    "upgraded": "upgraded",
    "downgraded": "downgraded",
    "terminated": "cleared",
}


def _texts(plan: PlanFile, grade: str, city: City, area: str) -> dict[str, str]:
    j = city.jurisdictions[area]
    spec = plan.level(grade) or plan.levels[0]
    m = spec.message
    zh = {"plan": plan.name.zh, "level": grade, "area": j.name_zh}
    en = {"plan": plan.name.en, "level": grade, "area": j.name_en}
    return {
        "headline_zh": m.headline.zh.format(**zh),
        "headline_en": m.headline.en.format(**en),
        "instruction_zh": m.instruction.zh.format(**zh),
        "instruction_en": m.instruction.en.format(**en),
    }


def _circle(city: City, area: str) -> tuple[float, float, float]:
    geom = city.jurisdictions[area].geometry
    c = geom.centroid
    x0, y0, x1, y1 = geom.bounds
    corners = haversine_m(c.x, c.y, [x0, x0, x1, x1], [y0, y1, y0, y1])
    return float(c.x), float(c.y), max(0.1, round(float(corners.max()) / 1000, 2))


def activation_messages(
    act: PlanActivation, plan: PlanFile, city: City, sender: str, public_url: str
) -> list[CapWarning]:
    """Every CAP message of the activation, oldest first (none while it is a proposal)."""
    lon, lat, radius = _circle(city, act.jurisdiction)
    j = city.jurisdictions[act.jurisdiction]
    etype = city.event_types.get(plan.triggers.event_types[0])
    out: list[CapWarning] = []
    grade = act.level
    for entry in act.timeline:
        kind = _KINDS.get(str(entry.get("kind")))
        if kind is None or (kind != "raised" and not out):
            continue
        grade = str(entry.get("level") or grade)
        texts: dict[str, Any] = _texts(plan, grade, city, act.jurisdiction)
        if kind == "cleared":
            texts = {
                "headline_zh": f"{j.name_zh}{plan.name.zh}应急响应终止",
                "headline_en": f"{j.name_en}: {plan.name.en} response ended",
                "instruction_zh": None,
                "instruction_en": None,
            }
        out.append(
            CapWarning(
                id=f"plan-{act.id}",
                sequence=len(out) + 1,
                kind=kind,
                level="none" if kind == "cleared" else GRADE_COLOUR[grade],
                sent=datetime.fromisoformat(str(entry["at"])),
                rule_id=plan.id,
                rule_name_zh=plan.name.zh,
                rule_name_en=plan.name.en,
                event_type=etype.code if etype else None,
                event_name_zh=plan.name.zh,
                event_name_en=plan.name.en,
                subject=act.jurisdiction,
                subject_name=j.name_zh,
                subject_name_en=j.name_en,
                sender=sender,
                sender_name=f"{city.name_zh}城市运行和治理中心 / {city.name_en} operations",
                web=f"{public_url.rstrip('/')}/api/v1/plan-activations/{act.id}",
                lon=lon,
                lat=lat,
                radius_km=radius,
                references=tuple(reference_of(m) for m in out),
                event_class=etype.class_code if etype else None,
                **texts,
            )
        )
    return out
