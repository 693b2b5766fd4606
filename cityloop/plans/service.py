"""Plan activation service: one-click activation, level changes, tasks, condition evaluation.

Each command loads the activation, lets the aggregate decide, and stores it together with its
domain events (outbox) in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cityloop.adapters.sql.repository_plans import SqlPlanActivationRepository
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.city import City
from cityloop.domain.access import NotFound, Principal
from cityloop.domain.clock import Clock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.lifecycle import OPEN_STATES
from cityloop.domain.plan_activation import (
    GRADES,
    PlanActivation,
    TaskTemplate,
    authorize_level,
    check_grade,
)
from cityloop.plans.conditions import ActiveWarning, OpenEvent, Snapshot, evaluate_plan
from cityloop.plans.loader import load_plans
from cityloop.plans.resources import ResourceRegistry
from cityloop.plans.schema import LevelSpec, PlanFile
from cityloop.services.ports import EventQuery, UnitOfWork


@lru_cache(maxsize=8)
def _plans(root: Path) -> dict[str, PlanFile]:
    return load_plans(root)


@lru_cache(maxsize=8)
def resource_registry(root: Path) -> ResourceRegistry:
    return ResourceRegistry.load(root)


def templates(spec: LevelSpec) -> list[TaskTemplate]:
    return [
        TaskTemplate(
            id=t.id,
            department=t.department,
            role=t.role,
            action_zh=t.action.zh,
            action_en=t.action.en,
            deadline_minutes=t.deadline_minutes,
            resources=tuple((r.type, r.count) for r in t.resources),
            checks=tuple(f"{c.zh} / {c.en}" for c in t.checks),
        )
        for t in spec.tasks
    ]


def _repo(uow: UnitOfWork) -> SqlPlanActivationRepository:
    if not isinstance(uow, SqlUnitOfWork):  # pragma: no cover - only the SQL store exists
        raise TypeError("plan activations are stored in the SQL store")
    return SqlPlanActivationRepository(uow.db)


@dataclass
class PlanService:
    city: City
    clock: Clock
    uow: Callable[[], UnitOfWork]
    reader: Callable[[], UnitOfWork]

    # ---- plans ----------------------------------------------------------------------------

    @property
    def plans(self) -> dict[str, PlanFile]:
        return _plans(Path(self.city.root))

    def plan(self, plan_id: str) -> PlanFile:
        plan = self.plans.get(plan_id)
        if plan is None:
            raise NotFound(f"no plan '{plan_id}'")
        return plan

    def _level(self, plan: PlanFile, grade: str) -> LevelSpec:
        spec = plan.level(check_grade(grade))
        if spec is None:
            raise InvalidCommand(f"plan {plan.id} has no level {grade}")
        return spec

    def _area(self, principal: Principal, jurisdiction: str | None) -> str:
        code = jurisdiction or principal.jurisdiction
        if code not in self.city.jurisdictions:
            raise InvalidCommand(f"unknown jurisdiction '{code}'")
        chain = self.city.jurisdictions[code].chain
        if not principal.covers(chain):
            raise NotFound(f"jurisdiction '{code}' is outside your territory")
        return code

    def _message(self, plan: PlanFile, spec: LevelSpec, area: str) -> dict[str, str]:
        j = self.city.jurisdictions[area]
        m = spec.message
        zh = {"plan": plan.name.zh, "level": spec.level, "area": j.name_zh}
        en = {"plan": plan.name.en, "level": spec.level, "area": j.name_en}
        return {
            "headline_zh": m.headline.zh.format(**zh),
            "headline_en": m.headline.en.format(**en),
            "instruction_zh": m.instruction.zh.format(**zh),
            "instruction_en": m.instruction.en.format(**en),
        }

    # ---- conditions -----------------------------------------------------------------------

    def conditions(self, plan_id: str, principal: Principal) -> dict[str, Any]:
        """Which levels' conditions hold now (in the caller's territory), with reasons."""
        plan = self.plan(plan_id)
        with self.reader() as uow:
            page = uow.events.list(EventQuery(scope=principal, states=OPEN_STATES, limit=10_000))
            warnings = uow.warnings.list(active=True, limit=10_000)
        snap = Snapshot(
            events=[
                OpenEvent(
                    e.id,
                    e.type_code,
                    e.severity.value,
                    e.location.chain.district if e.location.chain else None,
                    e.location.chain.street if e.location.chain else None,
                )
                for e in page.items
            ],
            warnings=[
                ActiveWarning(w.id, w.rule_id, w.level, w.chain.district if w.chain else None)
                for w in warnings
                if principal.covers(w.chain)
            ],
        )
        out = evaluate_plan(plan, snap)
        out["evaluated_at"] = self.clock.now().isoformat()
        return out

    # ---- commands -------------------------------------------------------------------------

    def activate(
        self,
        plan_id: str,
        principal: Principal,
        *,
        level: str,
        reason: str,
        event_ids: list[str],
        warning_ids: list[str],
        jurisdiction: str | None = None,
    ) -> PlanActivation:
        plan = self.plan(plan_id)
        spec = self._level(plan, level)
        authorize_level(principal, level)
        area = self._area(principal, jurisdiction)
        now = self.clock.now()
        with self.uow() as uow:
            found = uow.events.get_many(event_ids)
            for eid in event_ids:
                event = found.get(eid)
                if event is None or not principal.sees(event):
                    raise NotFound(f"event {eid} not found")
            known = uow.warnings.get_many(warning_ids)
            missing = [w for w in warning_ids if w not in known]
            if missing:
                raise NotFound(f"warning {missing[0]} not found")
            act = PlanActivation.activate(
                id=str(uuid.uuid4()),
                plan_id=plan.id,
                level=level,
                by=principal,
                reason=reason,
                at=now,
                templates=templates(spec),
                jurisdiction=area,
                event_ids=tuple(event_ids),
                warning_ids=tuple(warning_ids),
                message=self._message(plan, spec, area),
            )
            _repo(uow).add(act)
            uow.commit()
            act.events.clear()
        return act

    def _change(
        self, activation_id: str, principal: Principal, apply: Callable[[PlanActivation], None]
    ) -> PlanActivation:
        with self.uow() as uow:
            repo = _repo(uow)
            act = repo.get(activation_id)
            if act is None or not self._visible(act, principal):
                raise NotFound("plan activation not found")
            act.mark_overdue(self.clock.now())
            apply(act)
            repo.save(act)
            uow.commit()
            act.events.clear()
        return act

    def change_level(
        self, activation_id: str, principal: Principal, *, direction: str, level: str | None,
        reason: str,
    ) -> PlanActivation:  # fmt: skip
        def apply(act: PlanActivation) -> None:
            i = GRADES.index(act.level)
            target = level or (
                GRADES[min(i + 1, 3)] if direction == "upgrade" else GRADES[max(i - 1, 0)]
            )
            check_grade(target)
            up = GRADES.index(target) > i
            if (direction == "upgrade") != up or target == act.level:
                raise InvalidCommand(f"cannot {direction} from level {act.level} to {target}")
            spec = self._level(self.plan(act.plan_id), target)
            act.change_level(
                level=target, by=principal, reason=reason, at=self.clock.now(),
                templates=templates(spec),
            )  # fmt: skip
            area = act.jurisdiction
            act.message = self._message(self.plan(act.plan_id), spec, area)

        return self._change(activation_id, principal, apply)

    def terminate(self, activation_id: str, principal: Principal, reason: str) -> PlanActivation:
        return self._change(
            activation_id,
            principal,
            lambda act: act.terminate(by=principal, reason=reason, at=self.clock.now()),
        )

    def task_action(
        self, activation_id: str, task_id: str, principal: Principal, action: str, note: str
    ) -> PlanActivation:
        def apply(act: PlanActivation) -> None:
            if action == "acknowledge":
                act.acknowledge(task_id, by=principal, note=note or None, at=self.clock.now())
            else:
                act.complete(task_id, by=principal, feedback=note, at=self.clock.now())

        return self._change(activation_id, principal, apply)

    # ---- reads ----------------------------------------------------------------------------

    def _visible(self, act: PlanActivation, principal: Principal) -> bool:
        if principal.citywide:
            return True
        j = self.city.jurisdictions.get(act.jurisdiction)
        if j is None:
            return False
        # Operators see activations in their territory and those covering it (city, district).
        mine = self.city.jurisdictions[principal.jurisdiction].chain
        return principal.covers(j.chain) or mine.contains(act.jurisdiction)

    def get(self, activation_id: str, principal: Principal) -> PlanActivation:
        with self.reader() as uow:
            act = _repo(uow).get(activation_id)
        if act is None or not self._visible(act, principal):
            raise NotFound("plan activation not found")
        return act

    def list(
        self, principal: Principal, *, status: str | None, plan_id: str | None, limit: int
    ) -> list[PlanActivation]:
        with self.reader() as uow:
            acts = _repo(uow).list(status=status, plan_id=plan_id, limit=limit)
        return [a for a in acts if self._visible(a, principal)]
