"""The event lifecycle: states, actions and the declared transition table.

The table is the single source of truth for what an operator, a handler or the system may do to
an event in each state; the UI asks it which buttons to show and the aggregate enforces it.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache


class State(StrEnum):
    REPORTED = "reported"
    TRIAGED = "triaged"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"
    RETURNED = "returned"  # 退回: the unit says it is not theirs; the dispatcher must redirect
    SUSPENDED = "suspended"  # 挂起: work paused for a recorded reason
    CANCELLED = "cancelled"
    MERGED = "merged"  # a duplicate folded into its parent event

    @property
    def is_terminal(self) -> bool:
        return self in (State.CANCELLED, State.MERGED)

    @property
    def is_open(self) -> bool:
        """Open in the Open311 sense: still being worked on."""
        return self not in (State.CLOSED, State.CANCELLED, State.MERGED)


class Action(StrEnum):
    TRIAGE = "triage"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    START = "start"
    RESOLVE = "resolve"
    VERIFY = "verify"
    REJECT = "reject"  # verification failed: back to the unit
    CLOSE = "close"
    REOPEN = "reopen"
    SUSPEND = "suspend"
    RESUME = "resume"
    CANCEL = "cancel"
    MERGE = "merge"
    ESCALATE = "escalate"  # raise the handling level; the state is kept
    FEEDBACK = "feedback"  # a co-unit reports what it did; the state is kept
    REMIND = "remind"  # supervision: 75 % of a time limit used (yellow)
    OVERDUE = "overdue"  # supervision: a time limit passed (red), escalated one level up
    LINK_REPORT = "link_report"  # another report of the same problem joins the event
    SPLIT = "split"  # a wrongly merged report leaves the event
    RATE = "rate"  # the reporter rates the closed event
    REGRADE = "regrade"  # the severity changes (a warning upgraded); the state is kept
    TRACE = "trace"  # candidate sources found upstream (water pollution); the state is kept


S, A = State, Action

_WORKING = (S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.SUSPENDED, S.RETURNED, S.TRIAGED)
_ON_THE_CLOCK = (S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.SUSPENDED)
_NOT_ENDED = (*_WORKING, S.REPORTED, S.RESOLVED, S.VERIFIED)

TRANSITIONS: dict[tuple[State, Action], State] = {
    (S.REPORTED, A.TRIAGE): S.TRIAGED,
    (S.TRIAGED, A.TRIAGE): S.TRIAGED,
    (S.RETURNED, A.TRIAGE): S.TRIAGED,
    (S.TRIAGED, A.DISPATCH): S.DISPATCHED,
    (S.RETURNED, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.ACCEPT): S.ACCEPTED,
    (S.DISPATCHED, A.RETURN): S.RETURNED,
    (S.ACCEPTED, A.RETURN): S.RETURNED,
    (S.ACCEPTED, A.START): S.IN_PROGRESS,
    (S.ACCEPTED, A.RESOLVE): S.RESOLVED,
    (S.IN_PROGRESS, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.VERIFY): S.VERIFIED,
    (S.RESOLVED, A.REJECT): S.IN_PROGRESS,
    (S.VERIFIED, A.CLOSE): S.CLOSED,
    (S.CLOSED, A.REOPEN): S.TRIAGED,
    (S.VERIFIED, A.REOPEN): S.TRIAGED,
    (S.ACCEPTED, A.SUSPEND): S.SUSPENDED,
    (S.IN_PROGRESS, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.RESUME): S.IN_PROGRESS,
    (S.REPORTED, A.CANCEL): S.CANCELLED,
    (S.TRIAGED, A.CANCEL): S.CANCELLED,
    (S.RETURNED, A.CANCEL): S.CANCELLED,
    (S.DISPATCHED, A.CANCEL): S.CANCELLED,
    (S.REPORTED, A.MERGE): S.MERGED,
    (S.TRIAGED, A.MERGE): S.MERGED,
    (S.DISPATCHED, A.MERGE): S.MERGED,
    (S.RETURNED, A.MERGE): S.MERGED,
    (S.CLOSED, A.RATE): S.CLOSED,
    **{(state, A.ESCALATE): state for state in _WORKING},
    **{(state, A.FEEDBACK): state for state in _ON_THE_CLOCK},
    **{(state, A.REMIND): state for state in _ON_THE_CLOCK},
    **{(state, A.OVERDUE): state for state in _ON_THE_CLOCK},
    **{(state, A.LINK_REPORT): state for state in _NOT_ENDED},
    **{(state, A.SPLIT): state for state in _NOT_ENDED},
    **{(state, A.REGRADE): state for state in _NOT_ENDED},
    **{(state, A.TRACE): state for state in _NOT_ENDED},
}

#: States in which a unit or a centre still has to act (what supervision watches).
WORKING_STATES = tuple(s.value for s in _WORKING)
#: States in which an event can still absorb duplicate reports.
OPEN_STATES = tuple(s.value for s in State if s.is_open and s is not State.CLOSED)

#: Actions only the system takes (supervision, intake); no role is offered them.
SYSTEM_ACTIONS = frozenset({A.REMIND, A.OVERDUE, A.LINK_REPORT, A.RATE, A.REGRADE, A.TRACE})


@cache
def allowed_actions(state: State) -> tuple[Action, ...]:
    """The actions the table allows in a state, in declaration order (the table is fixed:
    worked out once per state)."""
    return tuple(action for (s, action) in TRANSITIONS if s is state)


def target_state(state: State, action: Action) -> State | None:
    return TRANSITIONS.get((state, action))
