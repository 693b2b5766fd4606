"""SQL repository of plan activations (tasks and timeline stored with the activation)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.db import Db
from cityloop.domain.plan_activation import (
    ActivationStatus,
    PlanActivation,
    PlanTask,
    TaskStatus,
)
from cityloop.services.ports import ConcurrencyError


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _task_json(task: PlanTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "level": task.level,
        "department": task.department,
        "role": task.role,
        "action_zh": task.action_zh,
        "action_en": task.action_en,
        "assigned_at": task.assigned_at.isoformat(),
        "due_at": task.due_at.isoformat(),
        "resources": [list(r) for r in task.resources],
        "checks": list(task.checks),
        "status": task.status.value,
        "acknowledged_at": task.acknowledged_at.isoformat() if task.acknowledged_at else None,
        "done_at": task.done_at.isoformat() if task.done_at else None,
        "overdue_at": task.overdue_at.isoformat() if task.overdue_at else None,
        "feedback": task.feedback,
        "assignments": task.assignments,
    }


def _task(d: dict[str, Any]) -> PlanTask:
    assigned, due = _dt(d["assigned_at"]), _dt(d["due_at"])
    assert assigned is not None
    assert due is not None
    return PlanTask(
        id=d["id"],
        level=d["level"],
        department=d["department"],
        role=d["role"],
        action_zh=d["action_zh"],
        action_en=d["action_en"],
        assigned_at=assigned,
        due_at=due,
        resources=tuple((str(k), int(n)) for k, n in d["resources"]),
        checks=tuple(d["checks"]),
        status=TaskStatus(d["status"]),
        acknowledged_at=_dt(d["acknowledged_at"]),
        done_at=_dt(d["done_at"]),
        overdue_at=_dt(d["overdue_at"]),
        feedback=list(d["feedback"]),
        assignments=list(d.get("assignments") or []),
    )


def _row(a: PlanActivation) -> dict[str, Any]:
    return {
        "id": a.id,
        "plan_id": a.plan_id,
        "level": a.level,
        "status": a.status.value,
        "jurisdiction": a.jurisdiction,
        "activated_by": a.activated_by,
        "activated_role": a.activated_role,
        "reason": a.reason,
        "activated_at": a.activated_at,
        "updated_at": a.updated_at or a.activated_at,
        "terminated_at": a.terminated_at,
        "event_ids": list(a.event_ids),
        "warning_ids": list(a.warning_ids),
        "message": a.message,
        "tasks": [_task_json(task) for task in a.tasks],
        "timeline": a.timeline,
        "version": a.version,
    }


def _activation(row: Any) -> PlanActivation:
    m = row._mapping
    return PlanActivation(
        id=m["id"],
        plan_id=m["plan_id"],
        level=m["level"],
        activated_at=m["activated_at"],
        activated_by=m["activated_by"],
        activated_role=m["activated_role"],
        reason=m["reason"],
        jurisdiction=m["jurisdiction"],
        event_ids=tuple(m["event_ids"] or ()),
        warning_ids=tuple(m["warning_ids"] or ()),
        status=ActivationStatus(m["status"]),
        updated_at=m["updated_at"],
        terminated_at=m["terminated_at"],
        message=dict(m["message"] or {}),
        tasks=[_task(d) for d in m["tasks"] or []],
        timeline=list(m["timeline"] or []),
        version=m["version"],
    )


_A = t.plan_activations
_UPDATE = (
    _A.update()
    .where(_A.c.id == sa.bindparam("a_id"), _A.c.version == sa.bindparam("a_expected"))
    .values({c.name: sa.bindparam(c.name) for c in _A.columns if c.name != "id"})
)


class SqlPlanActivationRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, a: PlanActivation) -> None:
        self.db.execute(_A.insert(), [_row(a)])
        self._outbox(a)

    def _outbox(self, a: PlanActivation) -> None:
        """Queue the activation's domain events in the outbox of the same transaction."""
        rows = [
            {"aggregate_id": e.aggregate_id, "name": e.name, "at": e.at, "payload": e.payload}
            for e in a.events
        ]
        self.db.insert_later(t.outbox, rows)

    def get(self, activation_id: str) -> PlanActivation | None:
        row = self.db.execute(_A.select().where(_A.c.id == activation_id)).first()
        return _activation(row) if row is not None else None

    def save(self, a: PlanActivation) -> None:
        values = _row(a)
        values["a_id"] = values.pop("id")
        values["a_expected"] = a.version
        values["version"] = a.version + 1
        if self.db.execute(_UPDATE, values).rowcount != 1:
            raise ConcurrencyError(f"plan activation {a.id} was changed by someone else")
        a.version += 1
        self._outbox(a)

    def list(
        self, *, status: str | None = None, plan_id: str | None = None, limit: int = 200
    ) -> builtins.list[PlanActivation]:
        stmt = sa.select(_A)
        if status is not None:
            stmt = stmt.where(_A.c.status == status)
        if plan_id is not None:
            stmt = stmt.where(_A.c.plan_id == plan_id)
        stmt = stmt.order_by(_A.c.activated_at.desc(), _A.c.id).limit(limit)
        return [_activation(r) for r in self.db.execute(stmt)]
