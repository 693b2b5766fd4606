"""What the server processes and the intake process say to each other.

A server sends ``Batch``: its clock's time and the reports it has prepared (validated,
classified, located: the work that needs no store, done in the server so that the intake
process spends itself on storing). The intake process answers with the list of outcomes, one
per report in order: an ``IntakeOutcome`` or the exception that report raised. Messages are
pickled by `multiprocessing.connection` over a Unix socket in a private directory, after a
challenge on a random key only the two ends know.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import datetime

from cityloop.services.intake import Prepared

#: Environment variables through which `cityloop serve` tells its processes where it is.
SOCKET_ENV = "CITYLOOP_INTAKE_SOCKET"
AUTHKEY_ENV = "CITYLOOP_INTAKE_AUTHKEY"


@dataclass(frozen=True, slots=True)
class Batch:
    now: datetime
    reports: list[Prepared]


def portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling as it is, else a RuntimeError that names it."""
    try:
        back = pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return back if isinstance(back, BaseException) else RuntimeError(str(exc))
