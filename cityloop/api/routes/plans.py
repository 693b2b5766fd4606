"""Emergency plans: the city's plans, trigger conditions, one-click activation, tasks, resources."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from cityloop.api.deps import ContainerDep, LangDep, PrincipalDep
from cityloop.bootstrap import Container
from cityloop.domain.plan_activation import PlanActivation
from cityloop.plans.resources import CATEGORIES, RESOURCE_TYPES
from cityloop.plans.schema import PlanFile
from cityloop.plans.service import PlanService, resource_registry

router = APIRouter(tags=["plans"])

Grade = Annotated[str, Field(pattern="^(I|II|III|IV)$")]


def _service(container: Container) -> PlanService:
    return container.plans


class ActivateIn(BaseModel):
    level: Grade = Field(description="Response level: IV, III, II or I")
    reason: str = Field(min_length=1, max_length=2000)
    event_ids: list[str] = Field(default_factory=list, max_length=500)
    warning_ids: list[str] = Field(default_factory=list, max_length=500)
    jurisdiction: str | None = Field(None, description="Area of the response (default: yours)")


class LevelChangeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    level: Grade | None = Field(None, description="Target level (default: one step)")


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ConfirmIn(BaseModel):
    reason: str = Field("", max_length=2000)


class ResourceIn(BaseModel):
    resource_id: str = Field(min_length=1, max_length=40)


class FeedbackIn(BaseModel):
    feedback: str = Field("", max_length=4000, description="What was done (required for done)")


def _plan_out(plan: PlanFile, lang: str) -> dict[str, Any]:
    return {
        "id": plan.id,
        "name": plan.name.zh if lang == "zh" else plan.name.en,
        "name_zh": plan.name.zh,
        "name_en": plan.name.en,
        "event_types": plan.triggers.event_types,
        "warning_rules": plan.triggers.warning_rules,
        "confirm": plan.confirm,
        "levels": [
            {
                "level": lv.level,
                "departments": sorted({t.department for t in lv.tasks}),
                "tasks": [t.model_dump() for t in lv.tasks],
                "conditions": lv.conditions.model_dump(by_alias=True, exclude_none=True),
            }
            for lv in plan.levels
        ],
    }


def _activation_out(act: PlanActivation, container: Container, lang: str) -> dict[str, Any]:
    now = container.clock.now()
    return {
        "id": act.id,
        "plan_id": act.plan_id,
        "level": act.level,
        "status": act.status.value,
        "jurisdiction": act.jurisdiction,
        "activated_at": act.activated_at.isoformat(),
        "activated_by": act.activated_by,
        "activated_role": act.activated_role,
        "reason": act.reason,
        "event_ids": list(act.event_ids),
        "warning_ids": list(act.warning_ids),
        "terminated_at": act.terminated_at.isoformat() if act.terminated_at else None,
        "message": act.message,
        "tasks": [
            {
                "id": t.id,
                "level": t.level,
                "department": t.department,
                "role": t.role,
                "action": t.action_zh if lang == "zh" else t.action_en,
                "status": t.shown_status(now),
                "assigned_at": t.assigned_at.isoformat(),
                "due_at": t.due_at.isoformat(),
                "resources": [{"type": k, "count": n} for k, n in t.resources],
                "checks": list(t.checks),
                "feedback": t.feedback,
                "assignments": t.assignments,
            }
            for t in act.tasks
        ],
        "progress": act.progress(now),
        "timeline": act.timeline,
    }


@router.get("/plans")
def list_plans(container: ContainerDep, principal: PrincipalDep, lang: LangDep) -> Any:
    """The city's plans, each with its levels, departments and tasks."""
    return [_plan_out(p, lang) for p in _service(container).plans.values()]


@router.get("/plans/{plan_id}/conditions")
def plan_conditions(plan_id: str, container: ContainerDep, principal: PrincipalDep) -> Any:
    """Which levels' activation conditions hold now in your territory, and why."""
    return _service(container).conditions(plan_id, principal)


@router.post("/plans/{plan_id}/activations", status_code=status.HTTP_201_CREATED)
def activate_plan(
    plan_id: str, body: ActivateIn, container: ContainerDep, principal: PrincipalDep, lang: LangDep
) -> Any:
    """One click: start the plan at a level; every department of the level gets its task."""
    act = _service(container).activate(
        plan_id,
        principal,
        level=body.level,
        reason=body.reason,
        event_ids=body.event_ids,
        warning_ids=body.warning_ids,
        jurisdiction=body.jurisdiction,
    )
    return _activation_out(act, container, lang)


@router.get("/plan-activations")
def list_activations(
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
    status: Annotated[str | None, Query(pattern="^(proposed|active|terminated)$")] = None,
    plan_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    acts = _service(container).list(principal, status=status, plan_id=plan_id, limit=limit)
    return [_activation_out(a, container, lang) for a in acts]


@router.get("/plan-activations/{activation_id}")
def get_activation(
    activation_id: str, container: ContainerDep, principal: PrincipalDep, lang: LangDep
) -> Any:
    """The activation with its tasks, progress board (per department) and timeline."""
    act = _service(container).get(activation_id, principal)
    return _activation_out(act, container, lang)


@router.post("/plan-activations/{activation_id}/upgrade")
def upgrade(
    activation_id: str,
    body: LevelChangeIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> Any:
    act = _service(container).change_level(
        activation_id, principal, direction="upgrade", level=body.level, reason=body.reason
    )
    return _activation_out(act, container, lang)


@router.post("/plan-activations/{activation_id}/downgrade")
def downgrade(
    activation_id: str,
    body: LevelChangeIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> Any:
    act = _service(container).change_level(
        activation_id, principal, direction="downgrade", level=body.level, reason=body.reason
    )
    return _activation_out(act, container, lang)


@router.post("/plan-activations/{activation_id}/terminate")
def terminate(
    activation_id: str,
    body: ReasonIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> Any:
    act = _service(container).terminate(activation_id, principal, body.reason)
    return _activation_out(act, container, lang)


@router.post("/plan-activations/{activation_id}/confirm")
def confirm_activation(
    activation_id: str,
    body: ConfirmIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> Any:
    """Confirm a proposal (a plan with `confirm: true` whose conditions held): the plan starts,
    every department of the level gets its task. Needs the level's authority."""
    act = _service(container).confirm(activation_id, principal, body.reason)
    return _activation_out(act, container, lang)


@router.post("/plan-activations/{activation_id}/tasks/{task_id}/resources")
def assign_resource(
    activation_id: str,
    task_id: str,
    body: ResourceIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> Any:
    """Commit an available resource (of `resources.csv`, not held elsewhere) to a task."""
    act = _service(container).assign_resource(activation_id, task_id, body.resource_id, principal)
    return _activation_out(act, container, lang)


@router.post("/plan-activations/{activation_id}/tasks/{task_id}/resources/{resource_id}/release")
def release_resource(
    activation_id: str,
    task_id: str,
    resource_id: str,
    body: FeedbackIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> Any:
    """Release a resource the task holds (recorded on the timeline)."""
    act = _service(container).release_resource(
        activation_id, task_id, resource_id, principal, body.feedback
    )
    return _activation_out(act, container, lang)


@router.get("/resources/availability")
def resource_availability(container: ContainerDep, principal: PrincipalDep) -> Any:
    """Per district of your territory: available, assigned and unavailable resources by type."""
    return _service(container).availability(principal)


@router.post("/plan-activations/{activation_id}/tasks/{task_id}/acknowledge")
def acknowledge_task(
    activation_id: str,
    task_id: str,
    body: FeedbackIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> Any:
    act = _service(container).task_action(
        activation_id, task_id, principal, "acknowledge", body.feedback
    )
    return _activation_out(act, container, lang)


@router.post("/plan-activations/{activation_id}/tasks/{task_id}/done")
def finish_task(
    activation_id: str,
    task_id: str,
    body: FeedbackIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> Any:
    act = _service(container).task_action(activation_id, task_id, principal, "done", body.feedback)
    return _activation_out(act, container, lang)


@router.get("/resources/nearest")
def nearest_resources(
    container: ContainerDep,
    principal: PrincipalDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    type: Annotated[
        str | None,
        Query(description=f"A resource type or category ({', '.join(CATEGORIES)})"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    include_unavailable: bool = False,
) -> Any:
    """The nearest (available) resources by great-circle distance, nearest first."""
    if type is not None and type not in RESOURCE_TYPES and type not in CATEGORIES:
        from cityloop.domain.errors import InvalidCommand

        raise InvalidCommand(f"unknown resource type '{type}'")
    registry = resource_registry(container.city.root)
    hits = registry.nearest(
        lon, lat, type=type, limit=limit, available_only=not include_unavailable
    )
    return {
        "how": "great-circle (haversine) distance on a sphere of radius 6,371,008.8 m",
        "items": [
            {**h.resource.model_dump(), "category": h.resource.category,
             "distance_m": round(h.distance_m, 1)}
            for h in hits
        ],
    }  # fmt: skip
