"""What a citizen does through the personal link sent to them: confirm the fix, rate it.

The link carries a random token; only its SHA-256 hash is stored on the report. A rating of 2
or less reopens the event for the centre's review.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityloop.domain.access import NotFound
from cityloop.domain.clock import Clock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.event import Actor, Event
from cityloop.domain.lifecycle import State
from cityloop.domain.report import Rating, Report
from cityloop.services.handlers import UowFactory
from cityloop.services.notifications import token_hash
from cityloop.services.ports import UnitOfWork

#: Ratings at or below this reopen the event for review.
REOPEN_AT = 2


@dataclass(frozen=True, slots=True)
class CitizenView:
    report: Report
    event: Event
    rating: Rating | None

    @property
    def can_verify(self) -> bool:
        return self.event.state is State.RESOLVED

    @property
    def can_rate(self) -> bool:
        return self.event.state is State.CLOSED and self.rating is None


class CitizenService:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    def _load(self, uow: UnitOfWork, token: str) -> tuple[Report, Event]:
        report = uow.reports.get_by_citizen_token_hash(token_hash(token))
        event = uow.events.get(report.event_id) if report and report.event_id else None
        if report is None or event is None:
            raise NotFound("this link is not valid (any more)")
        return report, uow.track(event)

    def view(self, token: str) -> CitizenView:
        with self.uow() as uow:
            report, event = self._load(uow, token)
            return CitizenView(report, event, uow.ratings.for_report(report.id))

    def verify(self, token: str, *, fixed: bool, comment: str | None) -> CitizenView:
        """The reporter confirms the problem is gone, or says it is not."""
        with self.uow() as uow:
            report, event = self._load(uow, token)
            actor = Actor(id=f"reporter:{report.ref}", role="citizen")
            if fixed:
                event.verify(at=self.clock.now(), actor=actor, note=comment)
            else:
                reason = (comment or "").strip() or "the reporter says it is not fixed"
                event.reject(at=self.clock.now(), actor=actor, reason=reason)
            uow.events.save(event)
            uow.commit()
            return CitizenView(report, event, uow.ratings.for_report(report.id))

    def rate(self, token: str, *, score: int, comment: str | None) -> CitizenView:
        with self.uow() as uow:
            report, event = self._load(uow, token)
            if uow.ratings.for_report(report.id) is not None:
                raise InvalidCommand("this report has been rated already")
            now = self.clock.now()
            event.rate(at=now, report_id=report.id, score=score, comment=comment)
            rating = Rating(report.id, event.id, score, comment, now)
            uow.ratings.add(rating)
            if score <= REOPEN_AT:
                reason = f"rated {score}/5 by the reporter of {report.ref}"
                if comment:
                    reason += f": {comment}"
                event.reopen(at=now, actor=Actor.system("rating"), reason=reason)
            uow.events.save(event)
            uow.commit()
            return CitizenView(report, event, rating)
