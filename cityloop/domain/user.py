"""A user account: a role bound to a jurisdiction (and, for handlers, a department)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cityloop.domain.access import Role


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    password_hash: str
    display_name: str
    role: Role
    jurisdiction: str
    created_at: datetime
    department: str | None = None
    active: bool = True
