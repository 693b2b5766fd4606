"""Trigger conditions of a plan: warnings, severities, counts per district, all/any."""

from __future__ import annotations

from typing import Any

from cityloop.plans.conditions import ActiveWarning, OpenEvent, Snapshot, evaluate, evaluate_plan
from cityloop.plans.schema import Condition, PlanFile


def plan(levels: dict[str, dict[str, Any]]) -> PlanFile:
    task = {
        "id": "drain",
        "department": "URBAN",
        "role": "lead",
        "action": {"zh": "排水", "en": "Drain"},
        "deadline_minutes": 60,
    }
    text = {"zh": "x", "en": "x"}
    return PlanFile.model_validate(
        {
            "id": "rainstorm",
            "name": {"zh": "暴雨", "en": "Rainstorm"},
            "triggers": {"event_types": ["ND01"], "warning_rules": ["rainstorm-observed"]},
            "levels": [
                {
                    "level": grade,
                    "conditions": cond,
                    "tasks": [task],
                    "message": {"headline": text, "instruction": text},
                }
                for grade, cond in levels.items()
            ],
        }
    )


def events(n: int, district: str, severity: str = "IV", type_code: str = "ND01") -> list[OpenEvent]:
    return [OpenEvent(f"{district}-{i}", type_code, severity, district, None) for i in range(n)]


COUNT_20 = {"count": {"event_type": "ND01", "at_least": 20, "per": "district"}}
P = plan({"IV": COUNT_20})


def test_count_holds_with_20_open_events_in_one_district() -> None:
    out = evaluate(Condition.model_validate(COUNT_20), P, Snapshot(events(20, "YZ01")))
    assert out.holds
    assert out.reasons == ["20 open ND01 events in YZ01 (≥ 20 per district)"]
    assert len(out.event_ids) == 20


def test_count_does_not_add_up_districts() -> None:
    snap = Snapshot(events(12, "YZ01") + events(15, "YZ02") + events(30, "YZ03", type_code="UM01"))
    out = evaluate(Condition.model_validate(COUNT_20), P, snap)
    assert not out.holds
    assert out.reasons == ["15 open ND01 events in YZ02 (≥ 20 per district)"]
    city = {"count": {"event_type": "ND01", "at_least": 20, "per": "city"}}
    assert evaluate(Condition.model_validate(city), P, snap).holds


def test_warning_condition_uses_the_plans_rules_and_the_colour_order() -> None:
    cond = Condition.model_validate({"warning": {"level": "orange"}})
    yellow = Snapshot(warnings=[ActiveWarning("w1", "rainstorm-observed", "yellow")])
    red_elsewhere = Snapshot(warnings=[ActiveWarning("w2", "gas-lel", "red")])
    red = Snapshot(warnings=[ActiveWarning("w3", "rainstorm-observed", "red")])
    assert not evaluate(cond, P, yellow).holds
    assert not evaluate(cond, P, red_elsewhere).holds
    out = evaluate(cond, P, red)
    assert out.holds
    assert out.warning_ids == ["w3"]


def test_severity_condition_counts_graver_events() -> None:
    cond = Condition.model_validate({"severity": {"at_least": "II"}})
    assert not evaluate(cond, P, Snapshot(events(3, "YZ01", "III"))).holds
    assert evaluate(cond, P, Snapshot(events(1, "YZ01", "I"))).holds


def test_all_and_any_combine_with_reasons() -> None:
    both = Condition.model_validate({"all": [{"warning": {"level": "orange"}}, COUNT_20]})
    either = Condition.model_validate({"any": [{"warning": {"level": "orange"}}, COUNT_20]})
    snap = Snapshot(events(25, "YZ01"))
    assert not evaluate(both, P, snap).holds
    out = evaluate(either, P, snap)
    assert out.holds
    assert out.reasons[0] == "any of:"
    assert out.reasons[2].startswith("✓ 25 open ND01")


def test_the_gravest_holding_level_is_suggested() -> None:
    p = plan(
        {
            "IV": {"count": {"event_type": "ND01", "at_least": 5}},
            "III": {"count": {"event_type": "ND01", "at_least": 10}},
            "II": COUNT_20,
            "I": {"severity": {"at_least": "I"}},
        }
    )
    result = evaluate_plan(p, Snapshot(events(12, "YZ01")))
    assert result["suggested_level"] == "III"
    assert [lv["holds"] for lv in result["levels"]] == [False, False, True, True]
    assert evaluate_plan(p, Snapshot())["suggested_level"] is None
