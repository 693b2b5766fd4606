"""Errors raised by the domain. Entry points map them to HTTP problems."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""


class TransitionNotAllowed(DomainError):
    """An action that the event's current state does not allow."""

    def __init__(self, state: str, action: str, allowed: tuple[str, ...] = ()) -> None:
        self.state = state
        self.action = action
        self.allowed = allowed
        hint = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        super().__init__(f"action '{action}' is not allowed in state '{state}'{hint}")


class InvalidCommand(DomainError):
    """A command whose content is inconsistent (missing lead unit, merge into itself…)."""
