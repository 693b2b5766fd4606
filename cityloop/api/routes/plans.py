"""Emergency plans: the city's plans, trigger conditions, one-click activation, tasks, resources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from cityloop.api.deps import ContainerDep, LangDep, PrincipalDep
from cityloop.bootstrap import Container
from cityloop.domain.plan_activation import PlanActivation
from cityloop.plans.resources import CATEGORIES, RESOURCE_TYPES
from cityloop.plans.schema import PlanFile
from cityloop.plans.service import PlanService, resource_registry
from cityloop.plans.travel import travel_model

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
        "pending_level": act.pending_level,
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
    every department of the level gets its task. On an active activation whose graver level
    waits for confirmation (`pending_level`), carries out that upgrade. Needs the level's
    authority."""
    act = _service(container).confirm(activation_id, principal, body.reason)
    return _activation_out(act, container, lang)


@router.post("/plan-activations/{activation_id}/decline-upgrade")
def decline_upgrade(
    activation_id: str,
    body: ReasonIn,
    container: ContainerDep,
    principal: PrincipalDep,
    lang: LangDep,
) -> Any:
    """Decline the upgrade that waits for confirmation (`pending_level`), with a reason."""
    act = _service(container).decline_upgrade(activation_id, principal, body.reason)
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
    """The nearest (available) resources by travel time — over the city's road graph when it
    has `roads.geojson`, else straight line — quickest first."""
    if type is not None and type not in RESOURCE_TYPES and type not in CATEGORIES:
        from cityloop.domain.errors import InvalidCommand

        raise InvalidCommand(f"unknown resource type '{type}'")
    registry = resource_registry(container.city.root)
    travel = travel_model(Path(container.city.root))
    hits = registry.nearest(
        lon, lat, type=type, limit=limit, available_only=not include_unavailable, travel=travel
    )
    return {
        "how": "ordered by travel time (eta_min): " + travel.how + "; distance_m is the "
        "great-circle (haversine) distance on a sphere of radius 6,371,008.8 m",
        "travel": travel.kind,
        "items": [
            {**h.resource.model_dump(), "category": h.resource.category,
             "distance_m": round(h.distance_m, 1),
             "eta_min": round(h.eta_min, 2) if h.eta_min is not None else None}
            for h in hits
        ],
    }  # fmt: skip


@router.get("/decision-support")
def decision_support(
    container: ContainerDep,
    principal: PrincipalDep,
    event_id: str | None = None,
    activation_id: str | None = None,
    radius_m: Annotated[float, Query(ge=50, le=10_000)] = 1000.0,
) -> Any:
    """For an event or a plan activation: key sites and estimated population within the radius,
    the nearest available resources, and the plan's levels compared by a documented score."""

    from cityloop.domain.access import NotFound
    from cityloop.domain.errors import InvalidCommand
    from cityloop.plans.decision import decision_support as compute
    from cityloop.plans.decision import load_places

    if (event_id is None) == (activation_id is None):
        raise InvalidCommand("give exactly one of event_id and activation_id")
    service = _service(container)
    city = container.city
    subject: dict[str, Any]
    if event_id is not None:
        with container.reader() as uow:
            event = uow.events.get(event_id) or uow.events.get_by_ref(event_id)
        if event is None or not principal.sees(event):
            raise NotFound("event not found")
        if event.location.lon is None or event.location.lat is None:
            raise InvalidCommand("the event has no location")
        lon, lat = event.location.lon, event.location.lat
        plan = next(
            (p for _, p in sorted(service.plans.items())
             if event.type_code in p.triggers.event_types),
            None,
        )  # fmt: skip
        subject = {"event_id": event.id, "type_code": event.type_code,
                   "how": "the event's location; the plan is the first (by id) whose "
                   "triggers include the event's type"}  # fmt: skip
    else:
        act = service.get(str(activation_id), principal)
        plan = service.plan(act.plan_id)
        located = None
        with container.reader() as uow:
            for eid in act.event_ids:
                ev = uow.events.get(eid)
                if ev is not None and ev.location.lon is not None and ev.location.lat is not None:
                    located = (ev.location.lon, ev.location.lat, eid)
                    break
        if located is not None:
            lon, lat, where = located[0], located[1], f"the location of its event {located[2]}"
        else:
            p = city.jurisdictions[act.jurisdiction].geometry.representative_point()
            lon, lat = float(p.x), float(p.y)
            where = f"a representative point inside its jurisdiction {act.jurisdiction}"
        subject = {
            "activation_id": act.id,
            "level": act.level,
            "how": f"the activation's point is {where}; the plan is the activation's",
        }
    out = compute(
        lon=lon,
        lat=lat,
        radius_m=radius_m,
        places=load_places(Path(city.root)),
        registry=service.registry,
        travel=travel_model(Path(city.root)),
        held=set(service.held()),
        plan=plan,
    )
    return {"subject": subject, **out}
