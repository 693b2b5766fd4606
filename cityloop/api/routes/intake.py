"""Intake channels: 12345 hotline tickets, grid workers' reports, uploads, department feeds."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cityloop.api.deps import ContainerDep, LangDep, PrincipalDep
from cityloop.api.views import event_out
from cityloop.bootstrap import Container
from cityloop.domain.access import Forbidden, NotFound, Principal, Role
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.event import Source
from cityloop.domain.ids import new_id
from cityloop.domain.report import Channel, Report
from cityloop.domain.severity import Severity
from cityloop.services.commands import Contact
from cityloop.services.intake import AnswerView, IncomingReport, IntakeOutcome, RenderedOutcome

router = APIRouter(tags=["intake"])

OPERATORS = {Role.CITY_OPERATOR, Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.ADMIN}
FEEDERS = {Role.DEPARTMENT_HANDLER, Role.DATA_ADMIN, Role.ADMIN, Role.CITY_OPERATOR}
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_FEED_LINES = 50_000
FEED_CHUNK = 500


def _require(principal: Principal, roles: set[Role], what: str) -> None:
    if principal.role not in roles:
        raise Forbidden(f"role '{principal.role.value}' may not {what}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HotlineTicketIn(Strict):
    text: str = Field(min_length=1, max_length=10_000, description="What the caller said")
    caller_phone: str | None = Field(None, max_length=64)
    caller_name: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=500)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    accept_suggestion: bool = Field(
        False, description="Dispatch at once when the suggestion is confident"
    )


class GridReportIn(Strict):
    text: str = Field(min_length=1, max_length=10_000)
    title: str | None = Field(None, max_length=500)
    type_code: str | None = None
    severity: Severity | None = None
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    address: str | None = Field(None, max_length=500)
    attachments: list[str] = Field(default_factory=list, max_length=20)


class FeedLine(Strict):
    external_id: str | None = Field(None, max_length=200)
    type_code: str | None = None
    title: str | None = Field(None, max_length=500)
    description: str = Field(min_length=1, max_length=10_000)
    severity: Severity | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str | None = Field(None, max_length=500)


def _json(body: Any, status_code: int = 200) -> Response:
    """A JSON answer serialised in one step (orjson), for the hot intake paths."""
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def answer_body(container: Container, out: IntakeOutcome, principal: Principal, lang: str) -> bytes:
    """A stored report's answer as JSON: where it went and the event, as ``principal`` sees it.
    The intake process writes it with this too, for the reports it stores. (The event goes
    in as the JSON its model writes, not as a dictionary for orjson to write again.)"""
    event = event_out(out.event, principal, container.city, lang).model_dump_json()
    return orjson.dumps(_outcome_fields(out, orjson.Fragment(event)))


def _outcome(
    container: Container, out: IntakeOutcome, principal: Principal, lang: str
) -> dict[str, Any]:
    event = event_out(out.event, principal, container.city, lang).model_dump(mode="json")
    return _outcome_fields(out, event)


def _outcome_fields(out: IntakeOutcome, event: Any) -> dict[str, Any]:
    return {
        "report": {"id": out.report.id, "ref": out.report.ref, "channel": out.report.channel},
        "event": event,
        "merged": out.merged,
        "dispatched": out.dispatched,
        "suggestion": out.suggestion,
        "location_reasons": list(out.location_reasons),
        "triage_reasons": list(out.triage_reasons),
    }


@router.post("/hotline/tickets", status_code=status.HTTP_201_CREATED)
def hotline_ticket(
    body: HotlineTicketIn, container: ContainerDep, principal: PrincipalDep, lang: LangDep
) -> dict[str, Any]:
    """A 12345 call: the suggested type and location come back for the operator to confirm.

    Unless ``accept_suggestion`` is set (and the suggestion is confident), the event waits in
    the triage queue; the operator confirms or overrides with ``POST /events/{id}/triage``.
    """
    _require(principal, OPERATORS, "file hotline tickets")
    out = container.intake.submit(
        IncomingReport(
            channel=Channel.HOTLINE,
            text=body.text,
            lon=body.lon,
            lat=body.lat,
            address=body.address,
            contact=Contact(name=body.caller_name, phone=body.caller_phone),
            submitted_by=principal.username,
            auto_dispatch=body.accept_suggestion,
        )
    )
    return _outcome(container, out, principal, lang)


@router.post("/grid/reports", status_code=status.HTTP_201_CREATED)
async def grid_report(
    body: GridReportIn, container: ContainerDep, principal: PrincipalDep, lang: LangDep
) -> Response:
    """A grid worker's report from the field, with photos or videos uploaded beforehand."""
    _require(principal, {Role.GRID_WORKER, *OPERATORS}, "file grid reports")
    chain = container.city.locator.locate(body.lon, body.lat)
    if chain is None:
        raise InvalidCommand("the point is outside the city")
    if principal.role is Role.GRID_WORKER:
        home = container.city.jurisdiction_at(principal.jurisdiction).chain
        if chain.street != home.street:
            raise Forbidden("grid workers report inside their own street")
    elif not principal.covers(chain):
        raise Forbidden("the location is outside your territory")
    if body.type_code is not None and body.type_code not in container.city.event_types:
        raise InvalidCommand(f"unknown event type '{body.type_code}'")
    attachments = container.uploads.attachments(body.attachments) if body.attachments else ()
    out = await container.batcher.submit_for(
        IncomingReport(
            channel=Channel.GRID,
            text=body.text,
            title=body.title,
            type_code=body.type_code,
            severity=body.severity,
            lon=body.lon,
            lat=body.lat,
            address=body.address,
            media=tuple(body.attachments),
            attachments=attachments,
            submitted_by=principal.username,
            source=Source.GRID,
            chain=chain,
        ),
        AnswerView(principal, lang),
    )
    # written by the intake process when it stored the report (with `answer_body`), or here
    answer = (
        out.body
        if isinstance(out, RenderedOutcome)
        else answer_body(container, out, principal, lang)
    )
    return Response(answer, status_code=status.HTTP_201_CREATED, media_type="application/json")


@router.post("/uploads", status_code=status.HTTP_201_CREATED)
async def upload(
    container: ContainerDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="A photo (JPEG, PNG, WebP) or video (MP4)")],
) -> dict[str, Any]:
    """Store a photo (≤ 10 MB) or video (≤ 100 MB); the answer's key goes in a report."""
    data = await file.read(100 * 1024 * 1024 + 1)
    saved = container.uploads.save(file.filename or "upload", data, principal.username)
    return {
        "key": saved.key,
        "name": saved.name,
        "content_type": saved.content_type,
        "size": saved.size,
        "sha256": saved.sha256,
    }


@router.get("/uploads/{key}", response_class=FileResponse)
def download(key: str, container: ContainerDep, principal: PrincipalDep) -> FileResponse:
    meta = container.uploads.get(key)
    path = container.uploads.path(key)
    if meta is None or path is None:
        raise NotFound("no such upload")
    return FileResponse(path, media_type=meta.content_type, filename=meta.name)


def _feed_lines(raw: bytes, fmt: str) -> list[tuple[int, dict[str, Any] | str]]:
    """(line number, parsed object or an error message) for each non-empty line."""
    text = raw.decode("utf-8-sig", errors="replace")
    out: list[tuple[int, dict[str, Any] | str]] = []
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            line = reader.line_num
            cleaned = {k: v for k, v in row.items() if k and v not in (None, "")}
            if None in row:
                out.append((line, "more cells than the header has columns"))
                continue
            for key in ("lon", "lat"):
                if key in cleaned:
                    try:
                        cleaned[key] = float(cleaned[key])
                    except ValueError:
                        out.append((line, f"{key} is not a number: {cleaned[key]!r}"))
                        break
            else:
                out.append((line, cleaned))
        return out
    for n, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            obj = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            out.append((n, f"not valid JSON: {exc}"))
            continue
        out.append((n, obj) if isinstance(obj, dict) else (n, "each line must be a JSON object"))
    return out


@router.post("/feeds/import")
async def import_feed(
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    fmt: Annotated[str, Query(alias="format", pattern="^(ndjson|csv)$")] = "ndjson",
) -> dict[str, Any]:
    """Bulk import from a department system: NDJSON or CSV, one report per line.

    Valid lines are kept when others fail; the answer lists each bad line with its error and
    sums up what was created and merged.
    """
    _require(principal, FEEDERS, "import department feeds")
    raw = await request.body()
    if len(raw) > MAX_FEED_BYTES:
        raise InvalidCommand(f"the feed is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB")
    lines = _feed_lines(raw, fmt)
    if len(lines) > MAX_FEED_LINES:
        raise InvalidCommand(f"the feed has more than {MAX_FEED_LINES} lines: split it")
    errors: list[dict[str, Any]] = []
    valid: list[tuple[int, IncomingReport]] = []
    for line, parsed in lines:
        if isinstance(parsed, str):
            errors.append({"line": line, "error": parsed})
            continue
        try:
            item = FeedLine.model_validate(parsed)
        except ValidationError as exc:
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            errors.append({"line": line, "error": detail})
            continue
        valid.append(
            (
                line,
                IncomingReport(
                    channel=Channel.DEPARTMENT,
                    text=item.description,
                    title=item.title,
                    type_code=item.type_code,
                    severity=item.severity,
                    lon=item.lon,
                    lat=item.lat,
                    address=item.address,
                    external_id=item.external_id,
                    submitted_by=principal.username,
                ),
            )
        )
    if container.intake_queue is not None:  # the bus is NATS: the intake workers do the rest
        queued = container.intake_queue.submit([r for _, r in valid]) if valid else 0
        errors.sort(key=lambda e: e["line"])
        return {
            "summary": {"lines": len(lines), "queued": queued, "rejected": len(errors)},
            "errors": errors,
            "results": [],
        }
    results: list[dict[str, Any]] = []
    created = merged = 0
    for start in range(0, len(valid), FEED_CHUNK):
        chunk = valid[start : start + FEED_CHUNK]
        for (line, _), res in zip(
            chunk, container.intake.submit_lenient([r for _, r in chunk]), strict=True
        ):
            if isinstance(res, InvalidCommand):
                errors.append({"line": line, "error": str(res)})
                continue
            merged += res.merged
            created += not res.merged
            results.append(
                {
                    "line": line,
                    "report": res.report.ref,
                    "event": res.event.ref,
                    "merged": res.merged,
                    "dispatched": res.dispatched,
                }
            )
    errors.sort(key=lambda e: e["line"])
    return {
        "summary": {
            "lines": len(lines),
            "accepted": len(results),
            "rejected": len(errors),
            "events_created": created,
            "merged_into_existing": merged,
        },
        "errors": errors,
        "results": results,
    }


@router.post("/_bench/raw-report", status_code=status.HTTP_201_CREATED, include_in_schema=False)
async def raw_report(
    body: GridReportIn, container: ContainerDep, principal: PrincipalDep
) -> Response:
    """The intake benchmark's baseline: store the raw report (with the same group commit),
    decide nothing."""
    if not container.settings.bench_endpoints:
        raise NotFound("not found")
    report = Report(
        id=new_id(),
        ref=f"BENCH-{uuid.uuid4().hex[:16]}",
        channel=Channel.GRID,
        received_at=container.clock.now(),
        title=body.text[:200],
        text=body.text,
        lon=body.lon,
        lat=body.lat,
        submitted_by=principal.username,
    )
    stored = await container.raw_reports.put(report)
    return _json({"ref": stored.ref}, status.HTTP_201_CREATED)
