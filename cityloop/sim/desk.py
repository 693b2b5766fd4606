"""The centre's desks: the confirmation queue (predicted and anomaly warnings) and emergency
plans (confirm proposals and upgrades, departments acknowledge and finish their tasks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cityloop.sim.client import ApiError, CityLoopClient
from cityloop.sim.workforce import OPERATOR, Delays, Workforce

PLAN_DESK = "city_op"  # a city-level operator has the authority of every level


@dataclass
class Desks:
    client: CityLoopClient
    workforce: Workforce
    rng: np.random.Generator
    #: Which pending warnings this desk answers (by subject), None for all.
    subjects: Callable[[str], bool] | None = None
    plans: set[str] | None = None
    confirmed_warnings: list[str] = field(default_factory=list)
    plan_actions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delays(self) -> Delays:
        return self.workforce.delays

    def round(self) -> None:
        self.warnings()
        self.activations()

    def warnings(self) -> None:
        pending = self.client.get("/api/v1/warnings", OPERATOR, confirmation="pending")
        for w in pending:
            if self.subjects is not None and not self.subjects(w["subject"]):
                continue
            if not self.workforce._due(w["id"], "confirm-warning", self.delays.triage):
                continue
            try:
                self.client.post(
                    f"/api/v1/warning-confirmations/{w['id']}/confirm",
                    OPERATOR,
                    {"note": "值班员复核：趋势属实，转为事件"},
                )
                self.confirmed_warnings.append(w["id"])
            except ApiError as exc:
                if exc.status not in (404, 409, 422):
                    raise

    def activations(self) -> None:
        for act in self.client.get("/api/v1/plan-activations", PLAN_DESK, limit=200):
            if self.plans is not None and act["plan_id"] not in self.plans:
                continue
            aid = act["id"]
            if act["status"] == "proposed" and self.workforce._due(aid, "confirm", 2.0):
                self._do(act, "confirm", {"reason": "值班领导同意启动预案"})
            elif act["status"] == "active" and act.get("pending_level"):
                key = f"upgrade-{act['pending_level']}"
                if self.workforce._due(aid, key, 2.0):
                    self._do(act, "confirm", {"reason": f"同意升级至{act['pending_level']}级响应"})
            if act["status"] == "active":
                self._tasks(act)

    def _do(self, act: dict[str, Any], action: str, payload: dict[str, Any]) -> None:
        try:
            self.client.post(f"/api/v1/plan-activations/{act['id']}/{action}", PLAN_DESK, payload)
            self.plan_actions.append({"activation": act["id"], "action": action, **payload})
        except ApiError as exc:
            if exc.status not in (404, 409, 422):
                raise

    def _tasks(self, act: dict[str, Any]) -> None:
        detail = self.client.get(f"/api/v1/plan-activations/{act['id']}", PLAN_DESK)
        for task in detail.get("tasks", []):
            status = task.get("status")
            dept = task.get("department")
            user = self.workforce.user_for(dept, {"location": {"chain": {}}})
            base = f"/api/v1/plan-activations/{act['id']}/tasks/{task['id']}"
            acked = (task["id"], "acked") in self.workforce.planned
            try:
                if status in ("assigned", "overdue") and not acked:
                    if self.workforce._due(task["id"], "ack", 3.0):
                        self.client.post(
                            f"{base}/acknowledge", user, {"feedback": "已收到，正在部署"}
                        )
                        self.workforce.planned[(task["id"], "acked")] = self.workforce.now()
                elif (
                    status in ("acknowledged", "overdue")
                    and acked
                    and self.workforce._due(task["id"], "task-done", self.delays.resolve)
                ):
                    self.client.post(f"{base}/done", user, {"feedback": "任务已完成"})
            except ApiError as exc:
                if exc.status not in (403, 404, 409, 422):
                    raise
