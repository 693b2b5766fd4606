"""What the server processes and the intake process say to each other.

A server sends ``Batch``: its clock's time, the reports it has prepared (validated,
classified, located: the work that needs no store, done in the server so that the intake
process spends itself on storing) and, for each, who will read its answer (or None). The
intake process answers with the list of outcomes, one per report in order: the answer already
written out (``RenderedOutcome``) for a report with a reader, an ``IntakeOutcome`` for one
without, or the exception that report raised. Messages are
pickled by `multiprocessing.connection` over a Unix socket in a private directory, after a
challenge on a random key only the two ends know.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from multiprocessing.reduction import ForkingPickler
from operator import attrgetter
from typing import Any

from cityloop.domain.access import Principal
from cityloop.domain.records import Actor, Attachment, DomainEvent, Location, TimelineEntry
from cityloop.domain.territory import JurisdictionChain
from cityloop.services.intake import (
    AnswerView,
    IncomingReport,
    IntakeOutcome,
    Located,
    Prepared,
    RenderedOutcome,
)

#: Environment variables through which `cityloop serve` tells its processes where it is.
SOCKET_ENV = "CITYLOOP_INTAKE_SOCKET"
AUTHKEY_ENV = "CITYLOOP_INTAKE_AUTHKEY"


@dataclass(frozen=True, slots=True)
class Batch:
    now: datetime
    reports: list[Prepared]
    views: list[AnswerView | None]


def portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling as it is, else a RuntimeError that names it."""
    try:
        back = pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return back if isinstance(back, BaseException) else RuntimeError(str(exc))


def _by_fields(cls: type[Any]) -> Callable[[Any], tuple[type[Any], tuple[Any, ...]]]:
    """Pickle a frozen dataclass as its class and its fields' values, rebuilt by calling it.

    A dataclass with slots is otherwise pickled through the state functions the dataclass
    module adds, which look its fields up again for every object: with the few thousand
    objects of each batch's reports and outcomes, the larger part of the cost of the trip.
    """
    names = tuple(f.name for f in fields(cls))
    if len(names) == 1:  # attrgetter of one name gives the value, not a tuple of it
        (name,) = names
        return lambda obj: (cls, (getattr(obj, name),))
    values = attrgetter(*names)
    return lambda obj: (cls, values(obj))


# What a batch and its answer are made of, each of several fields.
for _cls in (
    IncomingReport,
    Located,
    IntakeOutcome,
    RenderedOutcome,
    AnswerView,
    Principal,
    Location,
    JurisdictionChain,
    TimelineEntry,
    Actor,
    Attachment,
    DomainEvent,
):
    ForkingPickler.register(_cls, _by_fields(_cls))
