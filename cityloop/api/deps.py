"""Request dependencies, as ``Annotated`` aliases: the container and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cityloop.bootstrap import Container
from cityloop.domain.access import Principal
from cityloop.domain.territory import Level
from cityloop.services.auth import AuthenticationFailed

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/login")


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_principal(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("a bearer token is required")
    return container.auth.principal(credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def language(request: Request, lang: str | None = None) -> str:
    """The caller's language: ``?lang=`` first, then Accept-Language, then Chinese."""
    if lang in ("zh", "en"):
        return lang
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"


LangDep = Annotated[str, Depends(language)]


def territory_of(container: Container, principal: Principal) -> tuple[str | None, str | None]:
    """The caller's (district, street) for filtering lists; None where it sees the whole."""
    if principal.citywide:
        return None, None
    chain = container.city.jurisdiction_at(principal.jurisdiction).chain
    street = chain.street if principal.jurisdiction_level.depth >= Level.STREET.depth else None
    return chain.district, street
