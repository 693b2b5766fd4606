"""Who may see and do what: roles, territorial scope and department scope.

A user is bound to one jurisdiction (any level) and, for handlers, to one department. They see
an event only when it lies in their territory (and, for handlers, when their department is its
lead or a co-unit); an event they cannot see does not exist for them (the API answers 404), an
action they may not take on an event they can see is forbidden (403).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from cityloop.domain.errors import DomainError
from cityloop.domain.event import Event
from cityloop.domain.lifecycle import Action
from cityloop.domain.territory import JurisdictionChain, Level


class Role(StrEnum):
    CITY_OPERATOR = "city_operator"
    DISTRICT_OPERATOR = "district_operator"
    STREET_OPERATOR = "street_operator"
    DEPARTMENT_HANDLER = "department_handler"
    GRID_WORKER = "grid_worker"
    LEADER = "leader"
    AUDITOR = "auditor"
    DATA_ADMIN = "data_admin"
    ADMIN = "admin"


class NotFound(DomainError):
    """The thing does not exist, or it is outside the caller's scope (ids do not leak)."""


class Forbidden(DomainError):
    """The caller can see the thing but its role may not take this action on it."""


CREATE = "create"

_OPERATOR_ACTIONS = frozenset(
    {
        CREATE,
        Action.TRIAGE,
        Action.DISPATCH,
        Action.CANCEL,
        Action.MERGE,
        Action.ESCALATE,
        Action.VERIFY,
        Action.REJECT,
        Action.CLOSE,
        Action.REOPEN,
        Action.SPLIT,
    }
)
_HANDLER_ACTIONS = frozenset(
    {
        CREATE,
        Action.ACCEPT,
        Action.RETURN,
        Action.START,
        Action.RESOLVE,
        Action.SUSPEND,
        Action.RESUME,
        Action.FEEDBACK,
    }
)
#: Actions a handler takes only when its department is the event's lead unit.
LEAD_ONLY = frozenset(_HANDLER_ACTIONS - {CREATE, Action.FEEDBACK})
#: Actions a handler takes only when its department is one of the event's co-units.
CO_ONLY = frozenset({Action.FEEDBACK})

ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    Role.CITY_OPERATOR: _OPERATOR_ACTIONS,
    Role.DISTRICT_OPERATOR: _OPERATOR_ACTIONS,
    Role.STREET_OPERATOR: _OPERATOR_ACTIONS,
    Role.DEPARTMENT_HANDLER: _HANDLER_ACTIONS,
    Role.GRID_WORKER: frozenset({CREATE, Action.VERIFY, Action.REJECT}),
    Role.LEADER: frozenset(),
    Role.AUDITOR: frozenset(),
    Role.DATA_ADMIN: frozenset(),
    Role.ADMIN: _OPERATOR_ACTIONS | _HANDLER_ACTIONS,
}

#: Roles that need a reporter's contact details to do their work (call back, visit).
CONTACT_ROLES = frozenset(
    {
        Role.CITY_OPERATOR,
        Role.DISTRICT_OPERATOR,
        Role.STREET_OPERATOR,
        Role.DEPARTMENT_HANDLER,
        Role.ADMIN,
    }
)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user as the domain sees it."""

    user_id: str
    username: str
    role: Role
    jurisdiction: str
    jurisdiction_level: Level
    department: str | None = None

    @property
    def citywide(self) -> bool:
        return self.jurisdiction_level is Level.CITY

    @property
    def sees_contact_details(self) -> bool:
        return self.role in CONTACT_ROLES

    @property
    def unit(self) -> str:
        """The unit the user acts for: its department, else its jurisdiction."""
        return self.department or self.jurisdiction

    def may(self, action: str) -> bool:
        return action in ROLE_ACTIONS[self.role]

    def covers(self, chain: JurisdictionChain | None) -> bool:
        """Is a place with this chain inside the user's territory?"""
        if self.citywide:
            return True
        return chain is not None and chain.code_at(self.jurisdiction_level) == self.jurisdiction

    def sees(self, event: Event) -> bool:
        if not self.covers(event.location.chain):
            return False
        if self.role is Role.DEPARTMENT_HANDLER:
            return self.department is not None and (
                self.department == event.lead_unit or self.department in event.co_units
            )
        return True

    def authorize(self, action: str, event: Event | None = None) -> None:
        """Raise NotFound when the event is out of scope, Forbidden when the role may not act."""
        refused = self.refusal(action, event)
        if refused is not None:
            raise refused

    def refusal(self, action: str, event: Event | None = None) -> NotFound | Forbidden | None:
        """Why the user may not take ``action`` (on ``event``), or None when it may.

        `authorize` raises it; a view that lists what a user may do asks without raising.
        """
        if event is not None and not self.sees(event):
            return NotFound("event not found")
        return self._refusal_in_view(action, event)

    def permitted(self, actions: Iterable[str], event: Event) -> list[str]:
        """Those of ``actions`` the user may take on ``event``, in order (`authorize` lets
        each of them pass); the event's scope is checked once, not once per action."""
        if not self.sees(event):
            return []
        if self.role is not Role.DEPARTMENT_HANDLER:  # the role alone decides
            return [a for a in actions if self.may(a)]
        return [a for a in actions if self._refusal_in_view(a, event) is None]

    def _refusal_in_view(self, action: str, event: Event | None) -> Forbidden | None:
        """`refusal` for an event the user sees (or none)."""
        if not self.may(action):
            return Forbidden(f"role '{self.role.value}' may not {action} events")
        if event is None or self.role is not Role.DEPARTMENT_HANDLER:
            return None
        if action in LEAD_ONLY and event.lead_unit != self.department:
            return Forbidden(
                f"only the lead unit ({event.lead_unit}) may {action} this event; "
                f"{self.department} is a co-unit"
            )
        if action in CO_ONLY and self.department not in event.co_units:
            return Forbidden(f"only a co-unit gives {action}; {self.department} is not one")
        return None

    def authorize_create_at(self, chain: JurisdictionChain | None) -> None:
        """A user may only report events inside its territory."""
        if not self.may(CREATE):
            raise Forbidden(f"role '{self.role.value}' may not create events")
        if not self.citywide and not self.covers(chain):
            raise Forbidden("the location is outside your territory")
