"""Notifications: who is told what when an event moves, and their delivery.

An event's domain events become notifications in the transaction that records them: an
inbox item for a unit, a centre or a user; an SMS or e-mail to a citizen with a personal link
(verify, rate); a copy to every configured webhook. Delivery goes through pluggable senders;
the default writes to the log.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from cityloop.city.model import City
from cityloop.domain.clock import Clock
from cityloop.domain.event import DomainEvent, Event
from cityloop.services.handlers import UowFactory
from cityloop.services.ports import Notification, UnitOfWork

log = logging.getLogger(__name__)

Sender = Callable[[Notification], None]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LogSender:
    """Writes SMS and e-mail to the log: the default until a gateway is configured."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def __call__(self, n: Notification) -> None:
        log.info("%s to %s: %s — %s %s", self.channel, n.recipient, n.title, n.body, n.link or "")


Rule = Callable[[UnitOfWork, Event, DomainEvent], list[Notification]]


class NotificationPolicy:
    """Writes the notifications of an event's change in the transaction that changes it (a
    commit policy of the unit of work): an event is never dispatched, overdue or closed
    without its notices, and no notice tells of a change that was rolled back."""

    def __init__(
        self,
        city: City,
        clock: Clock,
        public_url: str,
        webhooks: list[str] | None = None,
    ) -> None:
        self.city = city
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self.webhooks = list(webhooks or [])
        self.rules: dict[str, Rule] = {
            "EventDispatched": self._dispatched,
            "EventReturned": self._to_centre("returned", "事件被退回 / Event returned"),
            "EventDeadlineNear": self._to_lead("reminder", "办理时限将到 / Deadline near"),
            "EventOverdue": self._overdue,
            "EventLeadResolved": self._lead_resolved,
            "EventResolved": self._resolved,
            "EventClosed": self._closed,
            "EventReopened": self._to_centre("reopened", "事件重新打开 / Event reopened"),
            "EventVerificationRejected": self._to_lead("rejected", "核查未通过 / Not fixed"),
        }

    def __call__(self, uow: UnitOfWork, changes: list[tuple[Event, DomainEvent]]) -> None:
        """Add the notifications of a transaction's domain events to it. A rule that fails is
        logged and gives no notice; it never undoes the change it was to tell of."""
        for event, change in changes:
            rule = self.rules.get(change.name)
            if rule is None:
                continue
            try:
                notes = rule(uow, event, change)
            except Exception:
                log.exception("no notifications for %s of %s", change.name, event.ref)
                continue
            for n in notes:
                uow.notifications.add(n)
                for url in self.webhooks:
                    uow.notifications.add(
                        replace(
                            n,
                            channel="webhook",
                            recipient_kind="webhook",
                            recipient=url,
                            status="pending",
                            sent_at=None,
                        )
                    )

    # ---- helpers ------------------------------------------------------------------------

    def _note(
        self, event: Event, kind: str, rkind: str, recipient: str, title: str, **kw: Any
    ) -> Notification:
        chain = event.location.chain
        inbox = kw.pop("channel", "inbox") == "inbox"
        return Notification(
            created_at=self.clock.now(),
            channel="inbox" if inbox else kw.pop("via"),
            recipient_kind=rkind,
            recipient=recipient,
            kind=kind,
            title=f"{title}: {event.ref}",
            body=kw.pop("body", event.title),
            event_id=event.id,
            district_code=chain.district if chain else None,
            street_code=chain.street if chain else None,
            status="sent" if inbox else "pending",
            sent_at=self.clock.now() if inbox else None,
            link=kw.pop("link", None),
        )

    def _centre_code(self, event: Event) -> str:
        chain = event.location.chain
        level = event.handling_level.value
        code = chain.code_at_name(level) if chain is not None else None
        return code or self.city.code

    def _to_centre(self, kind: str, title: str) -> Rule:
        def rule(uow: UnitOfWork, event: Event, msg: DomainEvent) -> list[Notification]:
            note = str(msg.payload.get("note") or event.title)
            return [self._note(event, kind, "centre", self._centre_code(event), title, body=note)]

        return rule

    def _to_lead(self, kind: str, title: str) -> Rule:
        def rule(uow: UnitOfWork, event: Event, msg: DomainEvent) -> list[Notification]:
            if not event.lead_unit:
                return []
            note = str(msg.payload.get("note") or event.title)
            return [self._note(event, kind, "unit", event.lead_unit, title, body=note)]

        return rule

    def _dispatched(self, uow: UnitOfWork, event: Event, msg: DomainEvent) -> list[Notification]:
        out = []
        if event.lead_unit:
            out.append(
                self._note(event, "dispatched", "unit", event.lead_unit, "新派遣事件（主办）/ Lead")
            )
        out.extend(
            self._note(event, "dispatched", "unit", unit, "新派遣事件（协办）/ Co-unit")
            for unit in event.co_units
        )
        return out

    def _overdue(self, uow: UnitOfWork, event: Event, msg: DomainEvent) -> list[Notification]:
        body = f"{msg.payload.get('phase')} deadline passed; on the supervision list (督办)"
        out = [
            self._note(
                event, "overdue", "centre", self._centre_code(event), "督办 / Overdue", body=body
            )
        ]
        if event.lead_unit:
            out.append(
                self._note(event, "overdue", "unit", event.lead_unit, "已超时 / Overdue", body=body)
            )
        return out

    def _lead_resolved(self, uow: UnitOfWork, event: Event, msg: DomainEvent) -> list[Notification]:
        return [
            self._note(event, "feedback_due", "unit", unit, "请反馈协办情况 / Co-unit feedback due")
            for unit in event.pending_co_units()
        ]

    def _citizens(
        self, uow: UnitOfWork, event: Event, kind: str, title: str, body: str
    ) -> list[Notification]:
        """One message per reporter with contact details, each with a fresh personal link."""
        out = []
        for report in uow.reports.for_event(event.id):
            if not report.reporter_id:
                continue
            who = uow.reporters.get(report.reporter_id)
            if who is None or not (who.phone or who.email):
                continue
            token = secrets.token_urlsafe(24)
            report.citizen_token_hash = token_hash(token)
            uow.reports.save(report)
            via, to = ("sms", who.phone) if who.phone else ("email", who.email)
            assert to is not None
            link = f"{self.public_url}/citizen/{token}"
            out.append(
                self._note(
                    event,
                    kind,
                    "citizen",
                    to,
                    title,
                    body=f"{body} ({report.ref})",
                    channel=via,
                    via=via,
                    link=link,
                )
            )
        return out

    def _resolved(self, uow: UnitOfWork, event: Event, msg: DomainEvent) -> list[Notification]:
        centre = self._note(
            event, "to_verify", "centre", self._centre_code(event), "待核查 / To verify"
        )
        return [
            centre,
            *self._citizens(
                uow,
                event,
                "resolved",
                "您反映的问题已处置 / Your report was handled",
                "请确认是否解决 / please confirm it is fixed",
            ),
        ]

    def _closed(self, uow: UnitOfWork, event: Event, msg: DomainEvent) -> list[Notification]:
        return self._citizens(
            uow,
            event,
            "closed",
            "您反映的问题已办结 / Your report is closed",
            "请评价 1–5 分 / please rate us 1–5",
        )


class NotificationDispatcher:
    """Delivers pending SMS, e-mail and webhook notifications through their senders."""

    MAX_ATTEMPTS = 5

    def __init__(self, uow: UowFactory, clock: Clock, senders: Mapping[str, Sender]) -> None:
        self.uow = uow
        self.clock = clock
        self.senders = dict(senders)

    def deliver_pending(self) -> int:
        with self.uow() as uow:
            pending = uow.notifications.pending(list(self.senders))
        sent = 0
        for n in pending:
            assert n.id is not None
            try:
                self.senders[n.channel](n)
            except Exception as exc:
                status = "failed" if n.attempts + 1 >= self.MAX_ATTEMPTS else "pending"
                self._mark(n.id, status, f"{type(exc).__name__}: {exc}")
                continue
            self._mark(n.id, "sent", None)
            sent += 1
        return sent

    def _mark(self, notification_id: int, status: str, error: str | None) -> None:
        with self.uow() as uow:
            uow.notifications.mark(notification_id, status=status, at=self.clock.now(), error=error)
            uow.commit()
