"""Passwords (argon2) and bearer tokens (signed JWT with an expiry)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cityloop.city.model import City
from cityloop.domain.access import Principal, Role
from cityloop.domain.clock import Clock
from cityloop.domain.errors import DomainError
from cityloop.domain.user import User
from cityloop.services.handlers import UowFactory

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("cityloop-no-such-user")


class AuthenticationFailed(DomainError):
    """Wrong username or password, or a missing, invalid or expired token."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    token_type: str
    expires_in: int


class AuthService:
    def __init__(
        self, uow: UowFactory, city: City, clock: Clock, secret: str, ttl: timedelta
    ) -> None:
        self.uow = uow
        self.city = city
        self.clock = clock
        self.secret = secret
        self.ttl = ttl
        self._cache: dict[str, tuple[Principal, float]] = {}

    def login(self, username: str, password: str) -> IssuedToken:
        with self.uow() as uow:
            user = uow.users.get_by_username(username)
        if user is None:
            verify_password(_DUMMY_HASH, password)
            raise AuthenticationFailed("wrong username or password")
        if not verify_password(user.password_hash, password) or not user.active:
            raise AuthenticationFailed("wrong username or password")
        now = self.clock.now()
        claims = {
            "sub": user.id,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self.secret, algorithm="HS256")
        return IssuedToken(token, "bearer", int(self.ttl.total_seconds()))

    #: How long a token's user stays cached; a disabled user is refused after at most this.
    CACHE_SECONDS = 30.0

    def principal(self, token: str) -> Principal:
        """The user behind a bearer token, checked against the clock and the user table."""
        cached = self._cache.get(token)
        now_s = self.clock.now().timestamp()
        if cached is not None and cached[1] > now_s:
            return cached[0]
        principal, exp = self._principal(token)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (principal, min(exp, now_s + self.CACHE_SECONDS))
        return principal

    def _principal(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                # Time is judged on the injected clock below, not on the wall clock (an
                # accelerated server clock issues tokens "in the future" of the wall clock).
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["sub", "exp"],
                },
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("invalid token") from exc
        if int(claims["exp"]) <= int(self.clock.now().timestamp()):
            raise AuthenticationFailed("token expired")
        with self.uow() as uow:
            user = uow.users.get(str(claims["sub"]))
        if user is None or not user.active:
            raise AuthenticationFailed("unknown or disabled user")
        return self.principal_of(user), float(claims["exp"])

    def principal_of(self, user: User) -> Principal:
        jurisdiction = self.city.jurisdiction_at(user.jurisdiction)
        return Principal(
            user_id=user.id,
            username=user.username,
            role=user.role,
            jurisdiction=user.jurisdiction,
            jurisdiction_level=jurisdiction.level,
            department=user.department,
        )

    def create_user(
        self,
        *,
        username: str,
        password: str,
        display_name: str,
        role: Role,
        jurisdiction: str,
        department: str | None = None,
    ) -> User:
        self.city.jurisdiction_at(jurisdiction)
        if role is Role.DEPARTMENT_HANDLER and department not in self.city.departments:
            raise DomainError(f"a department handler needs a known department, not {department!r}")
        user = User(
            id=str(uuid.uuid4()),
            username=username,
            password_hash=hash_password(password),
            display_name=display_name,
            role=role,
            jurisdiction=jurisdiction,
            department=department,
            created_at=self.clock.now(),
        )
        with self.uow() as uow:
            if uow.users.get_by_username(username) is not None:
                raise DomainError(f"user '{username}' exists already")
            uow.users.add(user)
            uow.commit()
        return user

    def seed_demo_users(self) -> int:
        """Create the city's demo users that do not exist yet; return how many were made."""
        with self.uow() as uow:
            existing = {u.username for u in uow.users.list()}
        made = 0
        for demo in self.city.users:
            if demo.username in existing:
                continue
            self.create_user(
                username=demo.username,
                password=demo.password,
                display_name=demo.display_name,
                role=demo.role,
                jurisdiction=demo.jurisdiction,
                department=demo.department,
            )
            made += 1
        return made
