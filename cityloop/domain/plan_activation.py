"""The PlanActivation aggregate: one emergency plan started at a response level.

It holds the tasks the plan's level gives to each department (assigned → acknowledged → done;
overdue once past its deadline and not done), every level change (upgrade, downgrade,
termination) with who and why, a timeline and domain events. It never does I/O.

Authority (who may activate a plan at a level, or move an activation to or from it):

- level I or II: a city-level operator — ``city_operator``, ``admin`` or ``leader``;
- level III: a district operator or above (``district_operator`` and the roles above);
- level IV: a street operator or above (``street_operator`` and the roles above).

A change of level needs the authority of the graver of the two levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cityloop.domain.access import Forbidden, Principal, Role
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.records import DomainEvent

#: From the least to the gravest response level.
GRADES = ("IV", "III", "II", "I")

_CITY = frozenset({Role.CITY_OPERATOR, Role.ADMIN, Role.LEADER})
_DISTRICT = _CITY | {Role.DISTRICT_OPERATOR}
_STREET = _DISTRICT | {Role.STREET_OPERATOR}
#: Response level → the roles that may activate it or move an activation to or from it.
AUTHORITY: dict[str, frozenset[Role]] = {"I": _CITY, "II": _CITY, "III": _DISTRICT, "IV": _STREET}


def graver(a: str, b: str) -> str:
    return a if GRADES.index(a) >= GRADES.index(b) else b


def check_grade(grade: str) -> str:
    if grade not in GRADES:
        raise InvalidCommand(f"unknown response level '{grade}' (IV, III, II or I)")
    return grade


def authorize_level(principal: Principal, grade: str) -> None:
    """Raise Forbidden unless the principal's role has the authority the level requires."""
    if principal.role not in AUTHORITY[check_grade(grade)]:
        needed = {"I": "city", "II": "city", "III": "district", "IV": "street"}[grade]
        raise Forbidden(
            f"level {grade} needs a {needed}-level operator or above; "
            f"role '{principal.role.value}' may not"
        )


class ActivationStatus(StrEnum):
    PROPOSED = "proposed"  # conditions held; waits for a person to confirm (plans with confirm)
    ACTIVE = "active"
    TERMINATED = "terminated"


class TaskStatus(StrEnum):
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    CANCELLED = "cancelled"  # the level went down or the activation ended before it was done


_OPEN = (TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED)


@dataclass(frozen=True, slots=True)
class TaskTemplate:
    """A task as a plan's level defines it."""

    id: str
    department: str
    role: str  # lead | support
    action_zh: str
    action_en: str
    deadline_minutes: int
    resources: tuple[tuple[str, int], ...] = ()
    checks: tuple[str, ...] = ()


@dataclass
class PlanTask:
    """One department's task in an activation; its cause is the activation and its level."""

    id: str
    level: str
    department: str
    role: str
    action_zh: str
    action_en: str
    assigned_at: datetime
    due_at: datetime
    resources: tuple[tuple[str, int], ...] = ()
    checks: tuple[str, ...] = ()
    status: TaskStatus = TaskStatus.ASSIGNED
    acknowledged_at: datetime | None = None
    done_at: datetime | None = None
    overdue_at: datetime | None = None
    feedback: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    """Resources committed to the task: resource, type, assigned_at/by, released_at/by."""

    @property
    def held(self) -> list[str]:
        """Ids of the resources the task holds now (assigned, not released)."""
        return [a["resource"] for a in self.assignments if a.get("released_at") is None]

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN

    def overdue(self, now: datetime) -> bool:
        return self.is_open and now > self.due_at

    def shown_status(self, now: datetime) -> str:
        return "overdue" if self.overdue(now) else self.status.value


@dataclass
class PlanActivation:
    id: str
    plan_id: str
    level: str
    activated_at: datetime
    activated_by: str
    activated_role: str
    reason: str
    jurisdiction: str
    event_ids: tuple[str, ...] = ()
    warning_ids: tuple[str, ...] = ()
    status: ActivationStatus = ActivationStatus.ACTIVE
    updated_at: datetime | None = None
    terminated_at: datetime | None = None
    message: dict[str, str] = field(default_factory=dict)
    tasks: list[PlanTask] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    # ---- creation -----------------------------------------------------------------------

    @classmethod
    def activate(
        cls,
        *,
        id: str,
        plan_id: str,
        level: str,
        by: Principal,
        reason: str,
        at: datetime,
        templates: list[TaskTemplate],
        jurisdiction: str,
        event_ids: tuple[str, ...] = (),
        warning_ids: tuple[str, ...] = (),
        message: dict[str, str] | None = None,
    ) -> PlanActivation:
        """Start a plan at a level (one click): every department of the level gets its task."""
        authorize_level(by, level)
        if not reason.strip():
            raise InvalidCommand("activating a plan needs a reason")
        if not templates:
            raise InvalidCommand(f"level {level} of plan {plan_id} has no tasks")
        act = cls(
            id=id,
            plan_id=plan_id,
            level=level,
            activated_at=at,
            activated_by=by.user_id,
            activated_role=by.role.value,
            reason=reason,
            jurisdiction=jurisdiction,
            event_ids=event_ids,
            warning_ids=warning_ids,
            updated_at=at,
            message=dict(message or {}),
        )
        act._note(
            "activated",
            at,
            by,
            reason,
            level=level,
            event_ids=list(event_ids),
            warning_ids=list(warning_ids),
        )
        act._record(
            "PlanActivated",
            at,
            {"plan": plan_id, "level": level, "by": by.user_id, "events": list(event_ids)},
        )
        act._assign(templates, level, at)
        return act

    @classmethod
    def propose(
        cls,
        *,
        id: str,
        plan_id: str,
        level: str,
        by: Principal,
        reason: str,
        at: datetime,
        jurisdiction: str,
        event_ids: tuple[str, ...] = (),
        warning_ids: tuple[str, ...] = (),
        message: dict[str, str] | None = None,
    ) -> PlanActivation:
        """Conditions hold for a plan that wants a person's confirmation: a pending proposal
        without tasks; `confirm` starts it."""
        check_grade(level)
        act = cls(
            id=id,
            plan_id=plan_id,
            level=level,
            activated_at=at,
            activated_by=by.user_id,
            activated_role=by.role.value,
            reason=reason,
            jurisdiction=jurisdiction,
            event_ids=event_ids,
            warning_ids=warning_ids,
            status=ActivationStatus.PROPOSED,
            updated_at=at,
            message=dict(message or {}),
        )
        act._note("proposed", at, by, reason, level=level, event_ids=list(event_ids))
        act._record("PlanProposed", at, {"plan": plan_id, "level": level, "area": jurisdiction})
        return act

    def confirm(
        self, *, by: Principal, reason: str, at: datetime, templates: list[TaskTemplate]
    ) -> None:
        """A person with the level's authority confirms a proposal: the plan starts."""
        if self.status is not ActivationStatus.PROPOSED:
            raise InvalidCommand(f"the activation is {self.status.value}, not proposed")
        authorize_level(by, self.level)
        if not templates:
            raise InvalidCommand(f"level {self.level} of plan {self.plan_id} has no tasks")
        self.status = ActivationStatus.ACTIVE
        self.activated_at = at
        self.activated_by = by.user_id
        self.activated_role = by.role.value
        self._note("confirmed", at, by, reason or "confirmed", level=self.level)
        self._record(
            "PlanActivated",
            at,
            {"plan": self.plan_id, "level": self.level, "by": by.user_id,
             "events": list(self.event_ids)},
        )  # fmt: skip
        self._assign(templates, self.level, at)

    def repropose(self, *, level: str, by: Principal, reason: str, at: datetime) -> None:
        """A graver level's conditions hold while the proposal waits: raise its level."""
        if self.status is not ActivationStatus.PROPOSED:
            raise InvalidCommand("only a proposal can be re-proposed")
        previous, self.level = self.level, check_grade(level)
        self._note("proposal_upgraded", at, by, reason, level=level, previous=previous)
        self._record("PlanProposed", at, {"plan": self.plan_id, "level": level})

    # ---- upgrades that wait for a person (plans with confirm) -----------------------------

    @property
    def pending_level(self) -> str | None:
        """A graver level whose conditions held while the plan wants a person to confirm it,
        and that nobody has confirmed or declined yet (read from the timeline)."""
        pending: str | None = None
        for entry in self.timeline:
            kind = entry.get("kind")
            if kind == "upgrade_proposed":
                pending = entry["level"]
            elif pending is not None and kind == "upgraded":
                if GRADES.index(entry["level"]) >= GRADES.index(pending):
                    pending = None
            elif kind in ("downgraded", "upgrade_declined", "terminated"):
                pending = None
        return pending

    def propose_upgrade(self, *, level: str, by: Principal, reason: str, at: datetime) -> bool:
        """A graver level's conditions hold for a plan that wants confirmation: the upgrade
        waits for a person (`confirm_upgrade`); returns False when nothing new is proposed."""
        self._ensure_active()
        check_grade(level)
        if GRADES.index(level) <= GRADES.index(self.level):
            return False
        pending = self.pending_level
        if pending is not None and GRADES.index(level) <= GRADES.index(pending):
            return False
        self._note("upgrade_proposed", at, by, reason, level=level, previous=self.level)
        self._record(
            "PlanUpgradeProposed", at, {"plan": self.plan_id, "level": level, "from": self.level}
        )
        return True

    def confirm_upgrade(
        self, *, by: Principal, reason: str, at: datetime, templates: list[TaskTemplate]
    ) -> None:
        """A person with the authority of the proposed level confirms the waiting upgrade."""
        level = self.pending_level
        if level is None:
            raise InvalidCommand("no upgrade of this activation is waiting for confirmation")
        self.change_level(
            level=level, by=by, reason=reason or "upgrade confirmed", at=at, templates=templates
        )

    def decline_upgrade(self, *, by: Principal, reason: str, at: datetime) -> None:
        """A person with the authority of the proposed level declines the waiting upgrade."""
        level = self.pending_level
        if level is None:
            raise InvalidCommand("no upgrade of this activation is waiting for confirmation")
        authorize_level(by, level)
        if not reason.strip():
            raise InvalidCommand("declining an upgrade needs a reason")
        self._note("upgrade_declined", at, by, reason, level=level)
        self._record("PlanUpgradeDeclined", at, {"plan": self.plan_id, "level": level})

    # ---- resources ------------------------------------------------------------------------

    def assign_resource(
        self, task_id: str, *, resource: str, type: str, by: Principal, at: datetime
    ) -> None:
        self._ensure_active()
        authorize_level(by, "IV")
        task = self.task(task_id)
        if not task.is_open:
            raise InvalidCommand(f"task {task_id} is {task.status.value}")
        if resource in task.held:
            raise InvalidCommand(f"resource {resource} is already assigned to task {task_id}")
        task.assignments.append(
            {"resource": resource, "type": type, "assigned_at": at.isoformat(),
             "assigned_by": by.user_id, "released_at": None, "released_by": None}
        )  # fmt: skip
        self.timeline.append(
            {"at": at.isoformat(), "kind": "resource_assigned", "by": by.user_id,
             "task": task_id, "unit": task.department, "resource": resource, "type": type}
        )  # fmt: skip
        self.updated_at = at
        self._record("PlanResourceAssigned", at, {"task": task_id, "resource": resource})

    def release_resource(
        self, task_id: str, *, resource: str, by: Principal, at: datetime, why: str = ""
    ) -> None:
        task = self.task(task_id)
        entry = next(
            (a for a in task.assignments
             if a["resource"] == resource and a.get("released_at") is None),
            None,
        )  # fmt: skip
        if entry is None:
            raise InvalidCommand(f"task {task_id} does not hold resource {resource}")
        entry["released_at"] = at.isoformat()
        entry["released_by"] = by.user_id
        self.timeline.append(
            {"at": at.isoformat(), "kind": "resource_released", "by": by.user_id,
             "task": task_id, "unit": task.department, "resource": resource, "note": why}
        )  # fmt: skip
        self.updated_at = at
        self._record("PlanResourceReleased", at, {"task": task_id, "resource": resource})

    def held_resources(self) -> dict[str, str]:
        """Resource id → task id, for every resource the activation holds now."""
        return {r: t.id for t in self.tasks for r in t.held}

    # ---- level changes --------------------------------------------------------------------

    def change_level(
        self,
        *,
        level: str,
        by: Principal,
        reason: str,
        at: datetime,
        templates: list[TaskTemplate],
    ) -> str:
        """Upgrade or downgrade; returns "upgraded" or "downgraded"."""
        self._ensure_active()
        check_grade(level)
        if level == self.level:
            raise InvalidCommand(f"the activation is already at level {level}")
        authorize_level(by, graver(level, self.level))
        if not reason.strip():
            raise InvalidCommand("changing the level needs a reason")
        up = GRADES.index(level) > GRADES.index(self.level)
        kind = "upgraded" if up else "downgraded"
        previous, self.level = self.level, level
        self._note(kind, at, by, reason, level=level, previous=previous)
        self._record(
            "PlanUpgraded" if up else "PlanDowngraded",
            at,
            {"plan": self.plan_id, "level": level, "previous": previous, "by": by.user_id},
        )
        keep = {t.id for t in templates}
        if not up:
            for task in self.tasks:
                if task.is_open and task.id not in keep:
                    self._cancel(task, at, f"level {previous} → {level}")
        self._assign(templates, level, at)
        return kind

    def terminate(self, *, by: Principal, reason: str, at: datetime) -> None:
        """End an activation (or reject a proposal); every held resource is released."""
        if self.status is ActivationStatus.TERMINATED:
            raise InvalidCommand("the activation has been terminated")
        authorize_level(by, self.level)
        if not reason.strip():
            raise InvalidCommand("terminating a plan needs a reason")
        for task in self.tasks:
            for resource in task.held:
                self.release_resource(task.id, resource=resource, by=by, at=at, why="terminated")
            if task.is_open:
                self._cancel(task, at, "terminated")
        self.status = ActivationStatus.TERMINATED
        self.terminated_at = at
        self._note("terminated", at, by, reason, level=self.level)
        self._record("PlanTerminated", at, {"plan": self.plan_id, "by": by.user_id})

    # ---- tasks ----------------------------------------------------------------------------

    def task(self, task_id: str) -> PlanTask:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise InvalidCommand(f"no task '{task_id}' in this activation")

    def acknowledge(self, task_id: str, *, by: Principal, note: str | None, at: datetime) -> None:
        task = self._task_for(task_id, by)
        if task.status is not TaskStatus.ASSIGNED:
            raise InvalidCommand(f"task {task_id} is {task.status.value}, not assigned")
        task.status = TaskStatus.ACKNOWLEDGED
        task.acknowledged_at = at
        self._feedback(task, "acknowledged", by, note, at)
        self._record("PlanTaskAcknowledged", at, {"task": task_id, "unit": task.department})

    def complete(self, task_id: str, *, by: Principal, feedback: str, at: datetime) -> None:
        task = self._task_for(task_id, by)
        if not task.is_open:
            raise InvalidCommand(f"task {task_id} is {task.status.value}")
        if not feedback.strip():
            raise InvalidCommand("finishing a task needs feedback: what was done")
        late = task.overdue(at)
        task.status = TaskStatus.DONE
        task.done_at = at
        self._feedback(task, "done", by, feedback, at)
        self._record("PlanTaskDone", at, {"task": task_id, "unit": task.department, "late": late})

    def mark_overdue(self, now: datetime, escalate_to: str | None = None) -> list[PlanTask]:
        """Flag (once) every open task past its deadline; each is escalated by an event, to the
        centre ``escalate_to`` (the level above the activation's) when one is given."""
        found = []
        for task in self.tasks:
            if task.overdue(now) and task.overdue_at is None:
                task.overdue_at = now
                found.append(task)
                late_min = int((now - task.due_at).total_seconds() // 60)
                why = (
                    f"task {task.id} of {task.department} not done by its deadline "
                    f"{task.due_at.isoformat()} ({late_min} min late)"
                )
                entry: dict[str, Any] = {
                    "at": now.isoformat(),
                    "kind": "task_overdue",
                    "task": task.id,
                    "unit": task.department,
                    "by": "system",
                    "reason": why,
                }
                if escalate_to is not None:
                    entry["escalated_to"] = escalate_to
                self.timeline.append(entry)
                self._record(
                    "PlanTaskOverdue",
                    now,
                    {
                        "task": task.id,
                        "unit": task.department,
                        "due_at": task.due_at.isoformat(),
                        "escalated_to": escalate_to,
                        "reason": why,
                    },
                )
        if found:
            self.updated_at = now
        return found

    def progress(self, now: datetime) -> dict[str, Any]:
        """The progress board: per department, tasks done, open, overdue; the overdue tasks."""
        board: dict[str, dict[str, int]] = {}
        for task in self.tasks:
            if task.status is TaskStatus.CANCELLED:
                continue
            row = board.setdefault(
                task.department, {"total": 0, "done": 0, "acknowledged": 0, "overdue": 0}
            )
            row["total"] += 1
            row["done"] += task.status is TaskStatus.DONE
            row["acknowledged"] += task.status is TaskStatus.ACKNOWLEDGED
            row["overdue"] += task.overdue(now)
        live = [t for t in self.tasks if t.status is not TaskStatus.CANCELLED]
        return {
            "departments": board,
            "tasks": len(live),
            "done": sum(t.status is TaskStatus.DONE for t in live),
            "overdue": [t.id for t in live if t.overdue(now)],
            "resources_committed": sum(len(t.held) for t in live),
        }

    # ---- internals ------------------------------------------------------------------------

    def _ensure_active(self) -> None:
        if self.status is ActivationStatus.PROPOSED:
            raise InvalidCommand("the activation is a proposal; confirm it first")
        if self.status is not ActivationStatus.ACTIVE:
            raise InvalidCommand("the activation has been terminated")

    def _task_for(self, task_id: str, by: Principal) -> PlanTask:
        self._ensure_active()
        task = self.task(task_id)
        if by.role is Role.ADMIN:
            return task
        if by.role is not Role.DEPARTMENT_HANDLER or by.department != task.department:
            raise Forbidden(f"only a handler of {task.department} may act on task {task_id}")
        return task

    def _assign(self, templates: list[TaskTemplate], level: str, at: datetime) -> None:
        existing = {t.id: t for t in self.tasks}
        for tpl in templates:
            due = at + timedelta(minutes=tpl.deadline_minutes)
            task = existing.get(tpl.id)
            if task is not None and task.status is not TaskStatus.CANCELLED:
                continue  # already running from a lower level; keeps its deadline
            if task is not None:
                self.tasks.remove(task)
            task = PlanTask(
                id=tpl.id,
                level=level,
                department=tpl.department,
                role=tpl.role,
                action_zh=tpl.action_zh,
                action_en=tpl.action_en,
                assigned_at=at,
                due_at=due,
                resources=tpl.resources,
                checks=tpl.checks,
            )
            self.tasks.append(task)
            self._record(
                "PlanTaskAssigned",
                at,
                {
                    "task": task.id,
                    "unit": task.department,
                    "role": task.role,
                    "due_at": due.isoformat(),
                },
            )

    def _cancel(self, task: PlanTask, at: datetime, why: str) -> None:
        task.status = TaskStatus.CANCELLED
        task.feedback.append({"at": at.isoformat(), "kind": "cancelled", "note": why})

    def _feedback(
        self, task: PlanTask, kind: str, by: Principal, note: str | None, at: datetime
    ) -> None:
        entry = {"at": at.isoformat(), "kind": kind, "by": by.user_id, "note": note}
        task.feedback.append(entry)
        self.timeline.append({**entry, "task": task.id, "unit": task.department})
        self.updated_at = at

    def _note(self, kind: str, at: datetime, by: Principal, reason: str, **extra: Any) -> None:
        self.timeline.append(
            {
                "at": at.isoformat(),
                "kind": kind,
                "by": by.user_id,
                "role": by.role.value,
                "reason": reason,
                **extra,
            }
        )
        self.updated_at = at

    def _record(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        self.events.append(DomainEvent(name, self.id, self.plan_id, at, payload))
