"""The pages: server-rendered shells whose scripts call the API with the user's token.

The login page calls ``POST /api/v1/auth/login`` and keeps the token in a same-site cookie; a
page request carries that cookie, so the server knows who asks and renders the navigation, the
territory and the texts for that user (an expired or missing token leads to the login page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from cityloop.api.deps import ContainerDep
from cityloop.domain.access import Principal, Role
from cityloop.domain.errors import DomainError
from cityloop.domain.territory import Level
from cityloop.web.i18n import catalogue, language_of

TOKEN_COOKIE = "cityloop_token"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)

OPERATORS = {Role.CITY_OPERATOR, Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.ADMIN}
#: page → roles that may open it (None: every signed-in user)
PAGES: dict[str, set[Role] | None] = {
    "ops": None,
    "board": None,
    "warnings": None,
    "plans": None,
    "cockpit": {*OPERATORS, Role.LEADER, Role.AUDITOR, Role.DATA_ADMIN},
    "replay": {*OPERATORS, Role.LEADER, Role.AUDITOR},
}
NAV = (
    ("ops", "/ui/ops", "nav_ops"),
    ("board", "/ui/board", "nav_board"),
    ("warnings", "/ui/warnings", "nav_warnings"),
    ("plans", "/ui/plans", "nav_plans"),
    ("cockpit", "/ui/cockpit", "nav_cockpit"),
    ("replay", "/ui/replay", "nav_replay"),
)


def _principal(request: Request, container: Any) -> Principal | None:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return None
    try:
        principal: Principal = container.auth.principal(token)
    except DomainError:
        return None
    return principal


def _user(container: Any, p: Principal, lang: str) -> dict[str, Any]:
    j = container.city.jurisdiction_at(p.jurisdiction)
    dept = container.city.departments.get(p.department) if p.department else None
    return {
        "username": p.username,
        "role": p.role.value,
        "jurisdiction": p.jurisdiction,
        "level": p.jurisdiction_level.value,
        "jurisdiction_name": j.name_en if lang == "en" else j.name_zh,
        "department": p.department,
        "department_name": (dept.name_en if lang == "en" else dept.name_zh) if dept else None,
        "operator": p.role in OPERATORS,
        "chain": j.chain.as_dict(),
    }


def _boot(container: Any, lang: str, user: dict[str, Any] | None, page: str) -> dict[str, Any]:
    return {
        "lang": lang,
        "page": page,
        "user": user,
        "city": {
            "code": container.city.code,
            "name": container.city.name_en if lang == "en" else container.city.name_zh,
        },
        "tile_url": getattr(container.settings, "map_tile_url", None),
        "t": catalogue(lang),
    }


def render(
    request: Request,
    container: Any,
    template: str,
    page: str,
    user: dict[str, Any] | None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    lang = language_of(request)
    t = catalogue(lang)
    nav = []
    if user is not None:
        role = Role(user["role"])
        nav = [
            {"key": k, "href": href, "label": t[label]}
            for k, href, label in NAV
            if PAGES[k] is None or role in PAGES[k]  # type: ignore[operator]
        ]
    ctx = {
        "request": request,
        "lang": lang,
        "t": t,
        "page": page,
        "user": user,
        "nav": nav,
        "boot": _boot(container, lang, user, page),
        **extra,
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(request: Request, container: Any, name: str, **extra: Any) -> Response:
    principal = _principal(request, container)
    if principal is None:
        return RedirectResponse(f"/ui/login?next={request.url.path}", status_code=303)
    lang = language_of(request)
    user = _user(container, principal, lang)
    allowed = PAGES.get(name)
    if allowed is not None and principal.role not in allowed:
        return render(request, container, "denied.html", name, user, status_code=403)
    return render(request, container, f"{name}.html", name, user, **extra)


@router.get("/")
def home(request: Request, container: ContainerDep) -> Response:
    target = "/ui/ops" if _principal(request, container) else "/portal"
    return RedirectResponse(target, status_code=303)


@router.get("/ui", response_class=HTMLResponse)
@router.get("/ui/", response_class=HTMLResponse)
def ui_home(request: Request, container: ContainerDep) -> Response:
    return RedirectResponse("/ui/ops", status_code=303)


@router.get("/ui/login", response_class=HTMLResponse)
def login_page(request: Request, container: ContainerDep) -> Response:
    return render(request, container, "login.html", "login", None)


@router.get("/ui/ops", response_class=HTMLResponse)
def ops_page(request: Request, container: ContainerDep) -> Response:
    principal = _principal(request, container)
    title = "ops_other"
    if principal is not None and principal.role is not Role.DEPARTMENT_HANDLER:
        title = {
            Level.CITY: "ops_city",
            Level.DISTRICT: "ops_district",
            Level.STREET: "ops_street",
        }.get(principal.jurisdiction_level, "ops_other")
    return _page(request, container, "ops", ops_title=title)


@router.get("/ui/board", response_class=HTMLResponse)
def board_page(request: Request, container: ContainerDep) -> Response:
    return _page(request, container, "board")


@router.get("/ui/events/{event_id}", response_class=HTMLResponse)
def event_page(event_id: str, request: Request, container: ContainerDep) -> Response:
    return _page(request, container, "event", event_id=event_id)


@router.get("/ui/warnings", response_class=HTMLResponse)
def warnings_page(request: Request, container: ContainerDep) -> Response:
    return _page(request, container, "warnings")


@router.get("/ui/plans", response_class=HTMLResponse)
def plans_page(request: Request, container: ContainerDep) -> Response:
    return _page(request, container, "plans")


@router.get("/ui/cockpit", response_class=HTMLResponse)
def cockpit_page(request: Request, container: ContainerDep) -> Response:
    return _page(request, container, "cockpit")


@router.get("/ui/replay", response_class=HTMLResponse)
def replay_page(request: Request, container: ContainerDep) -> Response:
    """Review and replay: a past window on the map with a time slider, and the incident
    reviews (``?from=…&to=…`` or ``?review=ID`` opens one)."""
    return _page(request, container, "replay")


@router.get("/portal", response_class=HTMLResponse)
def portal_page(request: Request, container: ContainerDep) -> Response:
    """The citizen portal: report a problem on the map, track it by its number."""
    return render(request, container, "portal.html", "portal", None)


@router.get("/citizen/{token}", response_class=HTMLResponse)
def citizen_page(token: str, request: Request, container: ContainerDep) -> Response:
    """The page behind a citizen's personal link: confirm the fix, rate after closure."""
    return render(request, container, "citizen.html", "citizen", None, citizen_token=token)
