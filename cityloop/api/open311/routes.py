"""Open311 GeoReport v2 under /open311/v2/, to the letter of the specification.

Every path takes a format suffix (``.json`` or ``.xml``). Errors are the specification's: an
HTTP 400, 403 or 404 with a list of ``{code, description}`` (``<errors>`` in XML).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from cityloop.api.deps import ContainerDep
from cityloop.api.open311.render import Open311Error, check_format, render
from cityloop.api.open311.requests_view import RequestQuery, search_requests
from cityloop.bootstrap import Container
from cityloop.city.open311 import load_open311
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.report import Channel
from cityloop.services.commands import Contact
from cityloop.services.intake import IncomingReport

router = APIRouter(prefix="/open311/v2", tags=["open311"])

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_WINDOW = timedelta(days=90)

#: Attributes every service accepts (GeoReport v2 service definitions).
ATTRIBUTES: list[dict[str, Any]] = [
    {
        "variable": True,
        "code": "landmark",
        "datatype": "string",
        "required": False,
        "datatype_description": "A landmark near the problem, if the address is unclear",
        "order": 1,
        "description": "附近地标 / Nearby landmark",
        "values": [],
    },
    {
        "variable": True,
        "code": "people_at_risk",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": None,
        "order": 2,
        "description": "是否有人员受困或受伤 / Is anyone trapped or hurt?",
        "values": [{"key": "yes", "name": "是 Yes"}, {"key": "no", "name": "否 No"}],
    },
]


def _lang(request: Request) -> str:
    lang = request.query_params.get("locale") or request.headers.get("accept-language", "")
    return "en" if lang.lower().startswith("en") else "zh"


def _jurisdiction(container: Container, request: Request, fmt: str, value: str | None) -> None:
    if value and value not in (container.city.code, container.city.code.lower()):
        raise Open311Error(404, f"unknown jurisdiction_id '{value}'", fmt)


@router.get("/discovery.{fmt}", summary="Endpoint discovery")
def discovery(fmt: str, request: Request, container: ContainerDep) -> Response:
    fmt = check_format(fmt)
    info = load_open311(container.city.root)
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    body = {
        "changeset": info.changeset if info else "2026-01-01T00:00:00Z",
        "contact": info.contact if info else "",
        "key_service": info.key_service if info else "",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": info.changeset if info else "2026-01-01T00:00:00Z",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(
        body, fmt, root="discovery", item_tags={"endpoints": "endpoint", "formats": "format"}
    )


def _service(container: Container, code: str, lang: str) -> dict[str, Any]:
    t = container.city.event_types[code]
    cls = container.city.event_classes[t.class_code]
    return {
        "service_code": t.code,
        "service_name": t.name_en if lang == "en" else t.name_zh,
        "description": f"{t.name_zh} / {t.name_en}",
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join((*t.keywords_zh, *t.keywords_en)),
        "group": cls.name_en if lang == "en" else cls.name_zh,
    }


@router.get("/services.{fmt}", summary="Service list (the event taxonomy)")
def services(
    fmt: str, request: Request, container: ContainerDep, jurisdiction_id: str | None = None
) -> Response:
    fmt = check_format(fmt)
    _jurisdiction(container, request, fmt, jurisdiction_id)
    lang = _lang(request)
    items = [_service(container, code, lang) for code in container.city.event_types]
    return render(items, fmt, root="services", item="service")


@router.get("/services/{service_code}.{fmt}", summary="Service definition (attributes)")
def service_definition(
    service_code: str,
    fmt: str,
    request: Request,
    container: ContainerDep,
    jurisdiction_id: str | None = None,
) -> Response:
    fmt = check_format(fmt)
    _jurisdiction(container, request, fmt, jurisdiction_id)
    if service_code not in container.city.event_types:
        raise Open311Error(404, f"service_code '{service_code}' not found", fmt)
    body = {"service_code": service_code, "attributes": ATTRIBUTES}
    return render(
        body,
        fmt,
        root="service_definition",
        item_tags={"attributes": "attribute", "values": "value"},
    )


def _float(form: dict[str, str], key: str, fmt: str) -> float | None:
    raw = form.get(key)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, f"{key} must be a number, not '{raw}'", fmt) from None


@router.post("/requests.{fmt}", summary="Create a service request", status_code=201)
async def create_request(fmt: str, request: Request, container: ContainerDep) -> Response:
    fmt = check_format(fmt)
    form = {k: str(v) for k, v in (await request.form()).items()}
    form |= {k: v for k, v in request.query_params.items() if k not in form}
    key = container.api_keys.verify(form.get("api_key"))
    if key is None:
        raise Open311Error(403, "a valid api_key is required", fmt)
    _jurisdiction(container, request, fmt, form.get("jurisdiction_id"))
    code = form.get("service_code", "")
    if not code:
        raise Open311Error(400, "service_code is required", fmt)
    if code not in container.city.event_types:
        raise Open311Error(404, f"service_code '{code}' not found", fmt)
    lat, lon = _float(form, "lat", fmt), _float(form, "long", fmt)
    address, address_id = form.get("address_string"), form.get("address_id")
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat and long must be given together", fmt)
    if lat is None and not address and not address_id:
        raise Open311Error(400, "one of lat & long, address_string or address_id is required", fmt)
    if address_id and lat is None:
        hit = container.lookup_address_id(address_id)
        if hit is None:
            raise Open311Error(400, f"address_id '{address_id}' is not in the address table", fmt)
        lon, lat, address = hit[0], hit[1], address or hit[2]
    attributes = {
        k[10:-1]: v for k, v in form.items() if k.startswith("attribute[") and k[-1] == "]"
    }
    description = form.get("description", "").strip()
    if len(description) > 10_000:
        raise Open311Error(400, "description is longer than 10,000 characters", fmt)
    name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p) or None
    contact = Contact(
        name=name, phone=form.get("phone"), email=form.get("email"), device_id=form.get("device_id")
    )
    token = secrets.token_hex(16)
    media = (form["media_url"],) if form.get("media_url") else ()
    incoming = IncomingReport(
        channel=Channel.OPEN311,
        text=description or container.city.event_types[code].name_zh,
        type_code=code,
        lon=lon,
        lat=lat,
        address=address,
        contact=contact,
        attributes=attributes
        | ({"account_id": form["account_id"]} if form.get("account_id") else {}),
        media=media,
        submitted_by=f"api_key:{key.name}",
        token=token,
    )
    try:
        outcome = container.intake.submit(incoming)
    except InvalidCommand as exc:
        raise Open311Error(400, str(exc), fmt) from exc
    notice = (
        "已与同一问题的其他报告合并处理 / merged with other reports of the same problem"
        if outcome.merged
        else None
    )
    body = [
        {
            "service_request_id": outcome.report.ref,
            "token": token,
            "service_notice": notice,
            "account_id": form.get("account_id"),
        }
    ]
    return render(body, fmt, root="service_requests", item="request", status=201)


@router.get("/tokens/{token}.{fmt}", summary="Service request id from a token")
def token_lookup(token: str, fmt: str, container: ContainerDep) -> Response:
    fmt = check_format(fmt)
    with container.reader() as uow:
        report = uow.reports.get_by_token(token)
    if report is None:
        raise Open311Error(404, f"token '{token}' not found", fmt)
    body = [{"service_request_id": report.ref, "token": token}]
    return render(body, fmt, root="service_requests", item="request")


def _date(value: str | None, name: str, fmt: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date-time, not '{value}'", fmt) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.get("/requests.{fmt}", summary="Search service requests")
def list_requests(fmt: str, request: Request, container: ContainerDep) -> Response:
    fmt = check_format(fmt)
    p = request.query_params
    _jurisdiction(container, request, fmt, p.get("jurisdiction_id"))
    ids = tuple(i.strip() for i in p.get("service_request_id", "").split(",") if i.strip())
    codes = tuple(c.strip() for c in p.get("service_code", "").split(",") if c.strip())
    statuses = tuple(s.strip() for s in p.get("status", "").split(",") if s.strip())
    bad = [s for s in statuses if s not in ("open", "closed")]
    if bad:
        raise Open311Error(400, f"status must be open or closed, not '{bad[0]}'", fmt)
    start, end = (
        _date(p.get("start_date"), "start_date", fmt),
        _date(p.get("end_date"), "end_date", fmt),
    )
    if start and end and end < start:
        raise Open311Error(400, "end_date is before start_date", fmt)
    if start and end and end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date and end_date may be at most 90 days apart", fmt)
    if not ids:
        now = container.clock.now()
        end = end or (start + MAX_WINDOW if start else now)
        start = start or end - MAX_WINDOW
    query = RequestQuery(ids=ids, service_codes=codes, start=start, end=end, statuses=statuses)
    items = search_requests(container.engine, container.city, query, _lang(request))
    return render(items, fmt, root="service_requests", item="request")


@router.get("/requests/{service_request_id}.{fmt}", summary="One service request")
def get_request(
    service_request_id: str, fmt: str, request: Request, container: ContainerDep
) -> Response:
    fmt = check_format(fmt)
    _jurisdiction(container, request, fmt, request.query_params.get("jurisdiction_id"))
    items = search_requests(
        container.engine, container.city, RequestQuery(ids=(service_request_id,)), _lang(request)
    )
    if not items:
        raise Open311Error(404, f"service_request_id '{service_request_id}' not found", fmt)
    return render(items, fmt, root="service_requests", item="request")
