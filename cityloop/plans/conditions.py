"""Evaluate a plan's activation conditions on a snapshot of open events and active warnings.

Every result carries its reasons, e.g. "23 open ND01 events in YZ01 (≥ 20 per district)".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cityloop.plans.schema import GRADES, WARNING_LEVELS, Condition, PlanFile

#: Warning colour → rank (blue 1 … red 4).
_WRANK = {level: i + 1 for i, level in enumerate(WARNING_LEVELS)}


def _severity_rank(grade: str) -> int:
    """1 for I (gravest) to 4 for IV."""
    return GRADES.index(grade) + 1


@dataclass(frozen=True, slots=True)
class OpenEvent:
    id: str
    type_code: str | None
    severity: str
    district: str | None
    street: str | None


@dataclass(frozen=True, slots=True)
class ActiveWarning:
    id: str
    rule_id: str
    level: str
    district: str | None = None


@dataclass
class Snapshot:
    events: list[OpenEvent] = field(default_factory=list)
    warnings: list[ActiveWarning] = field(default_factory=list)


@dataclass
class Outcome:
    holds: bool
    reasons: list[str]
    event_ids: list[str] = field(default_factory=list)
    warning_ids: list[str] = field(default_factory=list)


def evaluate(cond: Condition, plan: PlanFile, snap: Snapshot) -> Outcome:
    """Whether the condition holds now, why (or why not), and the events/warnings behind it."""
    if cond.warning is not None:
        c = cond.warning
        rules = {c.rule} if c.rule else set(plan.triggers.warning_rules)
        whits = [
            w
            for w in snap.warnings
            if w.rule_id in rules and _WRANK.get(w.level, 0) >= _WRANK[c.level]
        ]
        what = f"warning of {c.rule or 'the plan’s rules'} at {c.level} or above"
        if whits:
            top = max(whits, key=lambda w: _WRANK.get(w.level, 0))
            return Outcome(
                True,
                [f"{len(whits)} active {what} (highest {top.level}, rule {top.rule_id})"],
                warning_ids=[w.id for w in whits],
            )
        return Outcome(False, [f"no active {what}"])
    if cond.severity is not None:
        s = cond.severity
        types = {s.event_type} if s.event_type else set(plan.triggers.event_types)
        hits = [
            e
            for e in snap.events
            if e.type_code in types and _severity_rank(e.severity) <= _severity_rank(s.at_least)
        ]
        what = f"open {'/'.join(sorted(types))} event of severity {s.at_least} or graver"
        if hits:
            return Outcome(True, [f"{len(hits)} {what}"], event_ids=[e.id for e in hits])
        return Outcome(False, [f"no {what}"])
    if cond.count is not None:
        n = cond.count
        pool = [
            e
            for e in snap.events
            if e.type_code == n.event_type
            and (
                n.min_severity is None
                or _severity_rank(e.severity) <= _severity_rank(n.min_severity)
            )
        ]
        counts: Counter[str] = Counter()
        for e in pool:
            area = "city" if n.per == "city" else (e.district if n.per == "district" else e.street)
            if area is not None:
                counts[area] += 1
        rule = f"≥ {n.at_least} per {n.per}"
        if not counts:
            return Outcome(False, [f"no open {n.event_type} events ({rule})"])
        area, most = counts.most_common(1)[0]
        where = "in the city" if n.per == "city" else f"in {area}"
        holds = most >= n.at_least
        ids = [
            e.id
            for e in pool
            if holds
            and ("city" if n.per == "city" else (e.district if n.per == "district" else e.street))
            == area
        ]
        return Outcome(
            holds, [f"{most} open {n.event_type} events {where} ({rule})"], event_ids=ids
        )
    subs = [evaluate(c, plan, snap) for c in (cond.all_of or cond.any_of or [])]
    if cond.all_of is not None:
        holds = all(o.holds for o in subs)
        head = "all of:" if holds else "not all of:"
    else:
        holds = any(o.holds for o in subs)
        head = "any of:" if holds else "none of:"
    used = [o for o in subs if o.holds] if holds else subs
    return Outcome(
        holds,
        [head] + [f"{'✓' if o.holds else '✗'} {r}" for o in subs for r in o.reasons],
        event_ids=sorted({i for o in used if o.holds for i in o.event_ids}),
        warning_ids=sorted({i for o in used if o.holds for i in o.warning_ids}),
    )


def evaluate_plan(plan: PlanFile, snap: Snapshot) -> dict[str, Any]:
    """Each level's outcome, gravest first, and the gravest level whose conditions hold."""
    levels = []
    suggested = None
    for grade in ("I", "II", "III", "IV"):
        spec = plan.level(grade)
        if spec is None:
            continue
        out = evaluate(spec.conditions, plan, snap)
        if out.holds and suggested is None:
            suggested = grade
        levels.append(
            {
                "level": grade,
                "holds": out.holds,
                "reasons": out.reasons,
                "event_ids": out.event_ids,
                "warning_ids": out.warning_ids,
            }
        )
    return {"plan_id": plan.id, "suggested_level": suggested, "levels": levels}
