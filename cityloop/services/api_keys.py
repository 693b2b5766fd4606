"""Open311 API keys: issued and revoked by admins, stored as SHA-256 hashes only."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from cityloop.domain.access import Forbidden, NotFound, Principal, Role
from cityloop.domain.clock import Clock
from cityloop.services.handlers import UowFactory
from cityloop.services.ports import ApiKey


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyService:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    def _admin(self, principal: Principal) -> None:
        if principal.role not in (Role.ADMIN, Role.DATA_ADMIN):
            raise Forbidden("only admins manage API keys")

    def issue(self, principal: Principal, name: str) -> tuple[ApiKey, str]:
        """A new key; the plaintext is returned once and never stored."""
        self._admin(principal)
        return self._issue(name, principal.username, "cl_" + secrets.token_urlsafe(32))

    def ensure(self, name: str, plaintext: str) -> ApiKey:
        """Register a known key (the demo city's) unless it exists already."""
        with self.uow() as uow:
            existing = uow.api_keys.get_by_hash(key_hash(plaintext))
        if existing is not None:
            return existing
        return self._issue(name, "city configuration", plaintext)[0]

    def _issue(self, name: str, by: str, plaintext: str) -> tuple[ApiKey, str]:
        key = ApiKey(
            id=str(uuid.uuid4()),
            name=name.strip() or "unnamed",
            prefix=plaintext[:8],
            key_hash=key_hash(plaintext),
            created_by=by,
            created_at=self.clock.now(),
        )
        with self.uow() as uow:
            uow.api_keys.add(key)
            uow.commit()
        return key, plaintext

    def revoke(self, principal: Principal, key_id: str) -> ApiKey:
        self._admin(principal)
        with self.uow() as uow:
            key = uow.api_keys.get(key_id)
            if key is None:
                raise NotFound("no such API key")
            uow.api_keys.revoke(key_id, self.clock.now())
            uow.commit()
            revoked = uow.api_keys.get(key_id)
        assert revoked is not None
        return revoked

    def list(self, principal: Principal) -> list[ApiKey]:
        self._admin(principal)
        with self.uow() as uow:
            return uow.api_keys.list()

    def verify(self, plaintext: str | None) -> ApiKey | None:
        """The active key matching ``plaintext``, or None."""
        if not plaintext:
            return None
        with self.uow() as uow:
            key = uow.api_keys.get_by_hash(key_hash(plaintext))
        if key is None or key.revoked_at is not None:
            return None
        return key
