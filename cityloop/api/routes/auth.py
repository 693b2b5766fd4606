"""Login and the current user."""

from __future__ import annotations

from fastapi import APIRouter

from cityloop.api.deps import ContainerDep, PrincipalDep
from cityloop.api.schemas import LoginIn, MeOut, TokenOut

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=TokenOut, summary="Exchange a password for a token")
def login(body: LoginIn, container: ContainerDep) -> TokenOut:
    issued = container.auth.login(body.username, body.password)
    return TokenOut(
        access_token=issued.access_token,
        token_type=issued.token_type,
        expires_in=issued.expires_in,
    )


@router.get("/me", response_model=MeOut, summary="Who the token belongs to")
def me(principal: PrincipalDep) -> MeOut:
    return MeOut(
        id=principal.user_id,
        username=principal.username,
        role=principal.role.value,
        jurisdiction=principal.jurisdiction,
        jurisdiction_level=principal.jurisdiction_level.value,
        department=principal.department,
        sees_contact_details=principal.sees_contact_details,
    )
