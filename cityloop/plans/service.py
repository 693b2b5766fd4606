"""Plan activation service: one-click activation, level changes, tasks, condition evaluation.

Each command loads the activation, lets the aggregate decide, and stores it together with its
domain events (outbox) in one transaction.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cityloop.city import City
from cityloop.domain.access import NotFound, Principal, Role
from cityloop.domain.clock import Clock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.plan_activation import (
    GRADES,
    ActivationStatus,
    PlanActivation,
    TaskTemplate,
    authorize_level,
    check_grade,
)
from cityloop.domain.territory import Level
from cityloop.plans.conditions import ActiveWarning, OpenEvent, Snapshot, evaluate_plan
from cityloop.plans.loader import load_plans
from cityloop.plans.resources import ResourceRegistry
from cityloop.plans.schema import LevelSpec, PlanFile
from cityloop.services.ports import Notification, UnitOfWork


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


SYSTEM_USER = "system"
OPEN_STATUSES = (ActivationStatus.ACTIVE.value, ActivationStatus.PROPOSED.value)


def system_principal(city: City) -> Principal:
    """Who acts when CityLoop itself proposes, activates or upgrades a plan."""
    return Principal(SYSTEM_USER, SYSTEM_USER, Role.ADMIN, city.code, Level.CITY)


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

    def _snapshot(self, principal: Principal | None) -> Snapshot:
        """Open events and active warnings in the principal's territory (None: the city)."""
        with self.reader() as uow:
            briefs = uow.events.open_briefs(principal)
            warnings = uow.warnings.list(active=True, limit=10_000)
        return Snapshot(
            events=[OpenEvent(b.id, b.type_code, b.severity, b.district, b.street) for b in briefs],
            warnings=[
                ActiveWarning(w.id, w.rule_id, w.level, w.chain.district if w.chain else None)
                for w in warnings
                if principal is None or principal.covers(w.chain)
            ],
        )

    def conditions(self, plan_id: str, principal: Principal) -> dict[str, Any]:
        """Which levels' conditions hold now (in the caller's territory), with reasons."""
        plan = self.plan(plan_id)
        out = evaluate_plan(plan, self._snapshot(principal))
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
            uow.plan_activations.add(act)
            uow.commit()
            act.events.clear()
        return act

    def _change(
        self, activation_id: str, principal: Principal, apply: Callable[[PlanActivation], None]
    ) -> PlanActivation:
        with self.uow() as uow:
            repo = uow.plan_activations
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
            act = uow.plan_activations.get(activation_id)
        if act is None or not self._visible(act, principal):
            raise NotFound("plan activation not found")
        return act

    def list(
        self, principal: Principal, *, status: str | None, plan_id: str | None, limit: int
    ) -> list[PlanActivation]:
        with self.reader() as uow:
            acts = uow.plan_activations.list(status=status, plan_id=plan_id, limit=limit)
        return [a for a in acts if self._visible(a, principal)]

    # ---- confirmation of a proposal -------------------------------------------------------

    def confirm(self, activation_id: str, principal: Principal, reason: str) -> PlanActivation:
        """A person with the level's authority starts a proposed activation, or carries out
        the upgrade that waits for confirmation on an active one."""

        def apply(act: PlanActivation) -> None:
            plan = self.plan(act.plan_id)
            now = self.clock.now()
            if act.status is ActivationStatus.ACTIVE and act.pending_level is not None:
                spec = self._level(plan, act.pending_level)
                act.mark_overdue(now, escalate_to=self.centre_above(act.jurisdiction))
                act.confirm_upgrade(by=principal, reason=reason, at=now, templates=templates(spec))
                act.message = self._message(plan, spec, act.jurisdiction)
                return
            spec = self._level(plan, act.level)
            act.confirm(by=principal, reason=reason, at=now, templates=templates(spec))

        return self._change(activation_id, principal, apply)

    def decline_upgrade(
        self, activation_id: str, principal: Principal, reason: str
    ) -> PlanActivation:
        """A person with the proposed level's authority declines the waiting upgrade."""
        return self._change(
            activation_id,
            principal,
            lambda act: act.decline_upgrade(by=principal, reason=reason, at=self.clock.now()),
        )

    # ---- background work (Container.tick) -------------------------------------------------

    def tick(self) -> dict[str, int]:
        """Escalate overdue tasks, then activate, propose or upgrade plans whose conditions hold."""
        return {"overdue": self.escalate_overdue(), **self.evaluate_all()}

    def escalate_overdue(self) -> int:
        """Flag every newly overdue task (timeline, `PlanTaskOverdue` event) and put a notice in
        the inbox of the task's department; returns how many tasks were flagged."""
        now = self.clock.now()
        flagged = 0
        with self.uow() as uow:
            repo = uow.plan_activations
            for act in repo.list(status=ActivationStatus.ACTIVE.value, limit=10_000):
                above = self.centre_above(act.jurisdiction)
                late = act.mark_overdue(now, escalate_to=above)
                if not late:
                    continue
                chain = self.city.jurisdictions[act.jurisdiction].chain
                plan = self.plans.get(act.plan_id)
                name = plan.name.zh if plan else act.plan_id
                for task in late:
                    body = f"{task.action_zh} / {task.action_en} (due {task.due_at.isoformat()})"
                    # The late department hears of it, and so does the centre one level up
                    # (督办), as with an overdue event.
                    for kind, recipient, title in (
                        ("unit", task.department, "预案任务超时 / Plan task overdue"),
                        ("centre", above, "预案任务超时督办 / Plan task overdue, escalated"),
                    ):
                        uow.notifications.add(
                            Notification(
                                created_at=now,
                                channel="inbox",
                                recipient_kind=kind,
                                recipient=recipient,
                                kind="plan_task_overdue",
                                title=f"{title}: {name} · {task.id}",
                                body=body if kind == "unit" else f"{task.department}: {body}",
                                district_code=chain.district,
                                street_code=chain.street,
                                status="sent",
                                sent_at=now,
                                link=f"/api/v1/plan-activations/{act.id}",
                            )
                        )
                repo.save(act)
                flagged += len(late)
            uow.commit()
        return flagged

    def centre_above(self, code: str) -> str:
        """The command centre one level above a jurisdiction's (the city's for the city)."""
        j = self.city.jurisdictions[code]
        return j.parent_code or j.code

    def _area_of(
        self, event_ids: builtins.list[str], warning_ids: builtins.list[str], snap: Snapshot
    ) -> str:
        """The one district behind the outcome, else the whole city."""
        districts = {e.district for e in snap.events if e.id in set(event_ids)}
        districts |= {w.district for w in snap.warnings if w.id in set(warning_ids)}
        if len(districts) == 1:
            (only,) = districts
            if only is not None and only in self.city.jurisdictions:
                return only
        return self.city.code

    def evaluate_all(self) -> dict[str, int]:
        """For every plan whose conditions hold in the city: activate it (or propose it, when the
        plan wants confirmation) in the area behind the outcome, unless an open activation of
        the plan already covers that area; upgrade that one when a graver level now holds."""
        snap = self._snapshot(None)
        system = system_principal(self.city)
        now = self.clock.now()
        counts = {"activated": 0, "proposed": 0, "upgraded": 0, "upgrade_proposed": 0}
        with self.uow() as uow:
            repo = uow.plan_activations
            open_acts = [
                a for st in OPEN_STATUSES for a in repo.list(status=st, limit=10_000)
            ]  # fmt: skip
            for plan in self.plans.values():
                result = evaluate_plan(plan, snap)
                grade = result["suggested_level"]
                if grade is None:
                    continue
                level = next(lv for lv in result["levels"] if lv["level"] == grade)
                area = self._area_of(level["event_ids"], level["warning_ids"], snap)
                chain = self.city.jurisdictions[area].chain
                why = f"conditions of level {grade} hold: " + "; ".join(level["reasons"])
                same = [
                    a
                    for a in open_acts
                    if a.plan_id == plan.id
                    and (a.jurisdiction == area or chain.contains(a.jurisdiction))
                ]
                if same:
                    act = same[0]
                    if GRADES.index(grade) <= GRADES.index(act.level):
                        continue  # already at this level or graver
                    spec = self._level(plan, grade)
                    if act.status is ActivationStatus.PROPOSED:
                        act.repropose(level=grade, by=system, reason=why, at=now)
                    elif plan.confirm:
                        # The plan wants a person to decide: the upgrade waits for them.
                        if act.propose_upgrade(level=grade, by=system, reason=why, at=now):
                            counts["upgrade_proposed"] += 1
                            repo.save(act)
                        continue
                    else:
                        act.mark_overdue(now, escalate_to=self.centre_above(act.jurisdiction))
                        act.change_level(
                            level=grade, by=system, reason=why, at=now, templates=templates(spec)
                        )
                        counts["upgraded"] += 1
                    act.message = self._message(plan, spec, act.jurisdiction)
                    repo.save(act)
                    continue
                spec = self._level(plan, grade)
                common: dict[str, Any] = {
                    "id": str(uuid.uuid4()), "plan_id": plan.id, "level": grade, "by": system,
                    "reason": why, "at": now, "jurisdiction": area,
                    "event_ids": tuple(level["event_ids"]),
                    "warning_ids": tuple(level["warning_ids"]),
                    "message": self._message(plan, spec, area),
                }  # fmt: skip
                if plan.confirm:
                    act = PlanActivation.propose(**common)
                    counts["proposed"] += 1
                else:
                    act = PlanActivation.activate(**common, templates=templates(spec))
                    counts["activated"] += 1
                repo.add(act)
                open_acts.append(act)
            uow.commit()
        return counts

    # ---- resources ------------------------------------------------------------------------

    @property
    def registry(self) -> ResourceRegistry:
        return resource_registry(Path(self.city.root))

    def held(self) -> dict[str, tuple[str, str]]:
        """Resource id → (activation id, task id) for every resource held by an activation."""
        with self.reader() as uow:
            acts = uow.plan_activations.list(status=ActivationStatus.ACTIVE.value, limit=10_000)
        return {r: (a.id, t) for a in acts for r, t in a.held_resources().items()}

    def assign_resource(
        self, activation_id: str, task_id: str, resource_id: str, principal: Principal
    ) -> PlanActivation:
        row = next((r for r in self.registry.rows if r.id == resource_id), None)
        if row is None:
            raise NotFound(f"no resource '{resource_id}'")
        if row.status != "available":
            raise InvalidCommand(f"resource {resource_id} is {row.status}")
        holder = self.held().get(resource_id)
        if holder is not None:
            raise InvalidCommand(
                f"resource {resource_id} is assigned to task {holder[1]} of activation {holder[0]}"
            )

        def apply(act: PlanActivation) -> None:
            act.assign_resource(
                task_id, resource=resource_id, type=row.type, by=principal, at=self.clock.now()
            )

        return self._change(activation_id, principal, apply)

    def release_resource(
        self, activation_id: str, task_id: str, resource_id: str, principal: Principal, note: str
    ) -> PlanActivation:
        return self._change(
            activation_id,
            principal,
            lambda act: act.release_resource(
                task_id, resource=resource_id, by=principal, at=self.clock.now(), why=note
            ),
        )

    def availability(self, principal: Principal) -> dict[str, Any]:
        """Per district: resources by type that are available (registry status `available` and
        not held by an active activation), and the totals."""
        held = self.held()
        rows = self.registry.rows
        located = self.city.locator.locate_many(
            [r.lon for r in rows], [r.lat for r in rows]
        ) if rows else None  # fmt: skip
        out: dict[str, dict[str, Any]] = {}
        for i, r in enumerate(rows):
            chain = located.chain(i) if located is not None else None
            district = chain.district if chain is not None and chain.district else "outside"
            if not (principal.covers(chain) if chain is not None else principal.citywide):
                continue
            d = out.setdefault(district, {"available": {}, "assigned": {}, "unavailable": {}})
            state = "assigned" if r.id in held else r.status
            d[state][r.type] = d[state].get(r.type, 0) + 1
        return {
            "how": "each resource of resources.csv is placed in the district containing its "
            "coordinates; 'assigned' = held by a task of an active plan activation or marked "
            "assigned in the registry; counts are numbers of resources (not capacity)",
            "districts": {
                k: {**v, "total_available": sum(v["available"].values())}
                for k, v in sorted(out.items())
            },
        }
