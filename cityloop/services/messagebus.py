"""The in-process message bus: commands go to their handler; the outbox feeds subscribers.

Nothing is published that was not stored: subscribers read the outbox after the command's
transaction has committed, and a message is marked published only after every subscriber saw
it. A failing subscriber is logged and isolated; it never undoes the command.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable

from cityloop.domain.clock import Clock
from cityloop.domain.event import Event
from cityloop.services.commands import Command
from cityloop.services.handlers import Handlers, UowFactory
from cityloop.services.ports import OutboxMessage, RelayGuard

log = logging.getLogger(__name__)

Subscriber = Callable[[OutboxMessage], None]
BatchSubscriber = Callable[[list[OutboxMessage]], None]
ALL = "*"
#: Messages marked published per transaction when nobody subscribes (a short write lock).
MARK_AT_ONCE = 5000


class MessageBus:
    def __init__(
        self,
        handlers: Handlers,
        uow: UowFactory,
        clock: Clock,
        reader: UowFactory | None = None,
        guard: RelayGuard | None = None,
    ) -> None:
        self.handlers = handlers
        #: Keeps relay rounds of different processes apart (none needed for one process).
        self.guard = guard
        self.uow = uow
        self.reader = reader or uow
        self.clock = clock
        self.subscribers: dict[str, list[Subscriber]] = defaultdict(list)
        self.batch_subscribers: list[BatchSubscriber] = []
        self.sinks: list[BatchSubscriber] = []
        self._relay_lock = threading.Lock()

    def subscribe(self, name: str, subscriber: Subscriber) -> None:
        """Call ``subscriber`` for every stored domain event called ``name`` (``*``: all)."""
        self.subscribers[name].append(subscriber)

    def subscribe_batch(self, subscriber: BatchSubscriber) -> None:
        """Call ``subscriber`` once per relayed batch (in outbox order), e.g. to write all the
        batch's notifications in one transaction."""
        self.batch_subscribers.append(subscriber)

    def add_sink(self, sink: BatchSubscriber) -> None:
        """Hand every relayed batch to ``sink`` (a shared bus) before the subscribers. Unlike a
        subscriber's, its failure stops the relay: nothing is marked published, and the batch
        is offered again next round."""
        self.sinks.append(sink)

    def handle(self, command: Command) -> Event:
        result = self.handlers.handle(command)
        self.relay()
        return result

    def relay(self, wait: bool = True) -> int:
        """Deliver unpublished outbox messages to subscribers; return how many were sent.

        Subscribers run outside any transaction (they open their own); a message is marked
        published after delivery, so a crash in between delivers it again (at least once).
        One round runs at a time among the processes sharing the store (the guard); without
        ``wait``, a round another process is running makes this one return 0 at once.
        """
        with self._relay_lock:
            if self.guard is not None and not self.guard.acquire(wait):
                return 0
            try:
                return self._relay()
            finally:
                if self.guard is not None:
                    self.guard.release()

    def _relay(self) -> int:
        if not (self.sinks or self.batch_subscribers or any(self.subscribers.values())):
            return self._mark_all()
        sent = 0
        while True:
            with self.reader() as uow:
                batch = list(uow.unpublished())
            if not batch:
                break
            try:
                for sink in self.sinks:
                    sink(batch)
            except Exception:
                log.exception("the shared bus took no batch; relaying again later")
                return sent
            for msg in batch:
                for sub in (*self.subscribers.get(msg.name, ()), *self.subscribers[ALL]):
                    try:
                        sub(msg)
                    except Exception:
                        log.exception("subscriber %r failed on %s %s", sub, msg.name, msg.id)
            for batch_sub in self.batch_subscribers:
                try:
                    batch_sub(batch)
                except Exception:
                    log.exception("subscriber %r failed on a batch of %d", batch_sub, len(batch))
            with self.uow() as uow:
                uow.mark_published([m.id for m in batch], self.clock.now())
                uow.commit()
            sent += len(batch)
        return sent

    def _mark_all(self) -> int:
        """Nobody to deliver to: mark the messages published, oldest first, unread."""
        with self.reader() as r:  # no write lock when there is nothing to mark
            if next(iter(r.unpublished(limit=1)), None) is None:
                return 0
        marked = 0
        while True:
            with self.uow() as uow:
                done = uow.mark_oldest_published(self.clock.now(), MARK_AT_ONCE)
                uow.commit()
            marked += done
            if done < MARK_AT_ONCE:
                return marked
