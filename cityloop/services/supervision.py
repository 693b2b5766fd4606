"""Supervision (督办): deadlines are data in the store, checked by a scheduler that survives
restarts. At 75 % of a time limit the event turns yellow (the handler is reminded); past it,
red: it is escalated one level up and lands on that centre's supervision list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cityloop.domain.clock import Clock
from cityloop.domain.errors import DomainError
from cityloop.services.handlers import UowFactory
from cityloop.services.ports import ConcurrencyError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SupervisionRun:
    reminded: int
    overdue: int
    failed: int


class Supervisor:
    def __init__(self, uow: UowFactory, clock: Clock, batch: int = 500) -> None:
        self.uow = uow
        self.clock = clock
        self.batch = batch

    def run_once(self) -> SupervisionRun:
        """Mark every event whose time has come; each event in its own transaction."""
        now = self.clock.now()
        with self.uow() as uow:
            overdue = uow.events.due("overdue", now, self.batch)
            remind = uow.events.due("remind", now, self.batch)
        done_overdue = failed = 0
        for event_id in overdue:
            ok = self._apply(event_id, "overdue")
            done_overdue += ok
            failed += not ok
        done_remind = 0
        for event_id in remind:
            if event_id in overdue:
                continue
            ok = self._apply(event_id, "remind")
            done_remind += ok
            failed += not ok
        return SupervisionRun(done_remind, done_overdue, failed)

    def _apply(self, event_id: str, kind: str) -> bool:
        now = self.clock.now()
        try:
            with self.uow() as uow:
                event = uow.events.get(event_id)
                if event is None:
                    return False
                uow.track(event)
                if kind == "overdue":
                    if event.due_at is None or event.due_at > now:
                        return True
                    event.mark_overdue(at=now)
                else:
                    if event.warn_at is None or event.warn_at > now:
                        return True
                    event.remind(at=now)
                uow.events.save(event)
                uow.commit()
            return True
        except (ConcurrencyError, DomainError):
            # Someone acted on the event meanwhile; the next run sees its new state.
            log.info("supervision skipped %s for event %s: it changed meanwhile", kind, event_id)
            return False
