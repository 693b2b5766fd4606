"""Telemetry ingestion and warnings: the confirmation queue and false-alarm counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from cityloop.api.deps import ContainerDep, PrincipalDep, territory_of
from cityloop.domain.access import Forbidden, NotFound, Role
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.territory import Level
from cityloop.domain.warning import Warning

router = APIRouter(tags=["perception"])

MAX_TELEMETRY_BYTES = 64 * 1024 * 1024
FEEDERS = {Role.ADMIN, Role.DATA_ADMIN}


@router.post("/telemetry")
async def ingest_telemetry(
    request: Request,
    container: ContainerDep,
    content_type: Annotated[str, Header()] = "application/json",
    x_api_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Readings as columnar JSON (`{"sensor": [...], "ts": [...], "value": [...]}`), NDJSON
    (`application/x-ndjson`) or Arrow IPC (`application/vnd.apache.arrow.stream`).

    Authenticated by an API key (``X-API-Key``, for gateways) or an admin's bearer token. Each
    rejected record is listed with its index and reason; valid records are always kept.
    """
    if container.api_keys.verify(x_api_key) is None:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            raise Forbidden("telemetry needs an API key (X-API-Key) or an admin's token")
        principal = container.auth.principal(auth[7:].strip())
        if principal.role not in FEEDERS:
            raise Forbidden(f"role '{principal.role.value}' may not send telemetry")
    body = await request.body()
    if len(body) > MAX_TELEMETRY_BYTES:
        raise InvalidCommand("a telemetry batch may be at most 64 MB")
    summary = container.telemetry.ingest(body, content_type)
    return {
        "accepted": summary.accepted,
        "rejected": len(summary.rejections),
        "rejections": [{"index": i, "reason": r} for i, r in summary.rejections[:10_000]],
        "warning_changes": summary.changes,
        "events_created": summary.events_created,
    }


def _warning_out(w: Warning, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": w.id,
        "rule": w.rule_id,
        "rule_type": w.rule_type,
        "subject": w.subject,
        "subject_kind": w.subject_kind,
        "level": w.level,
        "active": w.active,
        "confirmation": w.confirmation.value,
        "predicted": w.predicted,
        "anomaly": w.anomaly,
        "event_type": w.event_type,
        "event_id": w.event_id,
        "lon": w.lon,
        "lat": w.lat,
        "chain": w.chain.as_dict() if w.chain else None,
        "value": w.value,
        "threshold": w.threshold,
        "raised_at": w.raised_at.isoformat(),
        "updated_at": w.updated_at.isoformat(),
        "cleared_at": w.cleared_at.isoformat() if w.cleared_at else None,
        "cap": f"/cap/alerts/{w.id}.xml",
    }
    if full:
        out["history"] = w.history
    return out


@router.get("/warnings")
def list_warnings(
    container: ContainerDep,
    principal: PrincipalDep,
    active: bool | None = True,
    confirmation: Annotated[
        str | None, Query(pattern="^(pending|confirmed|dismissed|not_needed)$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[dict[str, Any]]:
    """Warnings in the caller's territory; ``confirmation=pending`` is the confirmation queue."""
    district, street = territory_of(container, principal)
    with container.reader() as uow:
        found = uow.warnings.list(
            active=active,
            confirmation=confirmation,
            district=district,
            street=street,
            limit=limit,
        )
    return [_warning_out(w) for w in found]


@router.get("/warnings/false-alarms")
def false_alarms(container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Per rule: warnings a person was asked to confirm, how many were dismissed, the rate."""
    with container.reader() as uow:
        counts = uow.warnings.dismissal_counts()
    return [
        {
            "rule": rule,
            "asked": asked,
            "dismissed": dismissed,
            "false_alarm_rate": round(dismissed / asked, 3) if asked else 0.0,
        }
        for rule, (dismissed, asked) in sorted(counts.items())
    ]


@router.get("/warnings/{warning_id:path}")
def get_warning(
    warning_id: str, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    with container.reader() as uow:
        w = uow.warnings.get(warning_id)
    if w is None or not principal.covers(w.chain):
        raise NotFound("warning not found")
    return _warning_out(w, full=True)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=2000)


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/warning-confirmations/{warning_id:path}/confirm")
def confirm_warning(
    warning_id: str, body: DecisionIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A person confirms a predicted or anomalous warning: it becomes an event."""
    w = container.telemetry.confirm(principal, warning_id, body.note)
    container.bus.relay()
    return _warning_out(w, full=True)


@router.post("/warning-confirmations/{warning_id:path}/dismiss")
def dismiss_warning(
    warning_id: str, body: DismissIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A person dismisses it as a false alarm (counted per rule)."""
    return _warning_out(container.telemetry.dismiss(principal, warning_id, body.reason), True)


@router.get("/vital-signs")
def vital_signs(
    container: ContainerDep, principal: PrincipalDep, jurisdiction: str | None = None
) -> dict[str, Any]:
    """The vital signs of a city, district or street (default: your own territory), each with
    how it is computed."""
    code = jurisdiction or principal.jurisdiction
    j = container.city.jurisdictions.get(code)
    if j is None or not principal.covers(j.chain):
        raise NotFound(f"no jurisdiction '{code}' in your territory")
    if j.level.depth > Level.STREET.depth:
        raise InvalidCommand("vital signs are kept for the city, districts and streets")
    _ = container.telemetry.engine if container.telemetry.available else None
    current = container.vitals.current(code)
    if (container.city.root / "resources.csv").is_file():
        by_district = container.plans.availability(principal)["districts"]
        districts = [d for d in by_district if j.level is Level.CITY or d == j.chain.district]
        current["values"]["resources_available"] = sum(
            by_district[d]["total_available"] for d in districts
        )
        current["how"] = {
            **current["how"],
            "resources_available": "emergency resources marked available and held by no "
            "active plan activation, in the district (or the whole city)",
        }
    return current


@router.get("/vital-signs/history")
def vital_signs_history(
    container: ContainerDep,
    principal: PrincipalDep,
    jurisdiction: str | None = None,
    resolution: Annotated[str, Query(pattern="^(minute|hour)$")] = "minute",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Samples of the vital signs: per minute (7 days, city and districts) or per hour (a year,
    down to streets)."""
    code = jurisdiction or principal.jurisdiction
    j = container.city.jurisdictions.get(code)
    if j is None or not principal.covers(j.chain):
        raise NotFound(f"no jurisdiction '{code}' in your territory")
    now = container.clock.now()
    until = until or now
    since = since or until - timedelta(hours=6 if resolution == "minute" else 24 * 7)
    return container.vitals.history(code, resolution, since, until)
