"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cityloop.domain.access import Forbidden, NotFound
from cityloop.domain.errors import DomainError, InvalidCommand, TransitionNotAllowed
from cityloop.services.auth import AuthenticationFailed
from cityloop.services.ports import ConcurrencyError, StoreUnavailable

MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{kind}" if kind else "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    """Map domain and framework errors to problem details."""

    @app.exception_handler(TransitionNotAllowed)
    async def _transition(request: Request, exc: TransitionNotAllowed) -> JSONResponse:
        return problem(
            request,
            409,
            str(exc),
            kind="transition-not-allowed",
            state=exc.state,
            action=exc.action,
            allowed_actions=list(exc.allowed),
        )

    @app.exception_handler(ConcurrencyError)
    async def _conflict(request: Request, exc: ConcurrencyError) -> JSONResponse:
        return problem(request, 409, str(exc), kind="concurrent-update")

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        return problem(
            request, 503, str(exc), kind="store-unavailable", headers={"Retry-After": "1"}
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem(request, 404, str(exc), kind="not-found")

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return problem(request, 403, str(exc), kind="forbidden")

    @app.exception_handler(AuthenticationFailed)
    async def _unauthenticated(request: Request, exc: AuthenticationFailed) -> JSONResponse:
        return problem(
            request,
            401,
            str(exc),
            kind="unauthenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(InvalidCommand)
    async def _invalid(request: Request, exc: InvalidCommand) -> JSONResponse:
        return problem(request, 422, str(exc), kind="invalid-command")

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(request, 422, str(exc), kind="invalid-request")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "location": ".".join(str(p) for p in err.get("loc", ())),
                "message": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        return problem(request, 422, detail, kind="validation-error", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
        )
