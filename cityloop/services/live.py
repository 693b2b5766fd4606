"""The live feed: stored domain events as small snapshots, for the screens that follow them.

The feed reads the outbox table itself (not the in-process bus), so every process serving a
database sees every change, whichever process made it and whichever process relays. One poll
per process serves every open stream: the stream handlers ask the feed for the items after
their cursor (the outbox id), and the feed polls the store at most once per ``min_interval_s``.

Each item carries the aggregate as it is now (an event's state, type, place; a warning's level)
and the territory it lies in, so a stream shows a user only what its scope lets it see.

On PostgreSQL two transactions may commit out of id order; the poll therefore looks back
``LOOKBACK`` ids below its cursor and drops what it has already seen, so a late commit is not
skipped.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityloop.adapters.sql import tables as t
from cityloop.city.model import City
from cityloop.domain.access import Principal, Role
from cityloop.domain.event import Event
from cityloop.domain.territory import JurisdictionChain
from cityloop.domain.warning import Warning
from cityloop.services.ports import OutboxMessage, UnitOfWork

LOOKBACK = 64
BUFFER = 5_000


@dataclass(frozen=True, slots=True)
class LiveItem:
    """One change, ready to be sent: ``kind`` is ``event``, ``warning`` or ``plan``."""

    id: int
    kind: str
    name: str
    at: str
    data: dict[str, Any]
    chain: JurisdictionChain | None = None
    #: Departments that may see an event (its lead and co-units), for handlers.
    units: tuple[str, ...] = ()
    #: A plan activation's jurisdiction code (visible in it and in the territories it covers).
    area: str | None = None

    def visible_to(self, principal: Principal, city: City) -> bool:
        if principal.citywide:
            return True
        if self.kind == "plan":
            if self.area is None or self.area not in city.jurisdictions:
                return False
            mine = city.jurisdictions[principal.jurisdiction].chain
            return principal.covers(city.jurisdictions[self.area].chain) or mine.contains(self.area)
        if not principal.covers(self.chain):
            return False
        if self.kind == "event" and principal.role is Role.DEPARTMENT_HANDLER:
            return principal.department in self.units
        return True


@dataclass
class LiveFeed:
    """The process's one reader of the outbox for live streams."""

    engine: Engine
    reader: Callable[[], UnitOfWork]
    city: City
    min_interval_s: float = 0.15
    _items: deque[LiveItem] = field(default_factory=lambda: deque(maxlen=BUFFER))
    _seen: deque[int] = field(default_factory=lambda: deque(maxlen=BUFFER))
    _seen_set: set[int] = field(default_factory=set)
    _cursor: int | None = None
    _last_poll: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def head(self) -> int:
        """The newest outbox id now: a new stream starts after it."""
        self.poll()
        with self._lock:
            return self._cursor or 0

    def after(self, cursor: int) -> list[LiveItem]:
        """Items with an outbox id above ``cursor``, oldest first (polling if it is time).

        A process that has not polled yet (just restarted) starts at ``cursor``, so a client
        that resumes with its last id misses nothing (up to ``BUFFER`` messages back)."""
        with self._lock:
            if self._cursor is None:
                with self.engine.connect() as conn:
                    top = int(conn.execute(sa.select(sa.func.max(t.outbox.c.id))).scalar() or 0)
                self._cursor = max(min(cursor, top), top - BUFFER)
        self.poll()
        with self._lock:
            return [i for i in self._items if i.id > cursor]

    def poll(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if (
                not force
                and self._cursor is not None
                and now - self._last_poll < self.min_interval_s
            ):
                return
            self._last_poll = now
            o = t.outbox
            with self.engine.connect() as conn:
                if self._cursor is None:
                    top = conn.execute(sa.select(sa.func.max(o.c.id))).scalar()
                    self._cursor = int(top or 0)
                    return
                rows = conn.execute(
                    o.select().where(o.c.id > self._cursor - LOOKBACK).order_by(o.c.id).limit(2_000)
                ).all()
            fresh = [
                OutboxMessage(r.id, r.aggregate_id, r.name, r.at, r.payload)
                for r in rows
                if r.id not in self._seen_set
            ]
            if not fresh:
                return
            for msg in fresh:
                self._remember(msg.id)
            self._cursor = max(self._cursor, *(m.id for m in fresh))
            for item in self._snapshots(fresh):
                self._items.append(item)

    def _remember(self, msg_id: int) -> None:
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(msg_id)
        self._seen_set.add(msg_id)

    def _snapshots(self, batch: list[OutboxMessage]) -> list[LiveItem]:
        event_ids = [m.aggregate_id for m in batch if m.name.startswith("Event")]
        warning_ids = [m.aggregate_id for m in batch if m.name.startswith("Warning")]
        plan_ids = {m.aggregate_id for m in batch if m.name.startswith("Plan")}
        with self.reader() as uow:
            events = uow.events.get_many(event_ids) if event_ids else {}
            warnings = uow.warnings.get_many(warning_ids) if warning_ids else {}
            plans = {pid: uow.plan_activations.get(pid) for pid in plan_ids}
        out: list[LiveItem] = []
        for m in batch:
            at = m.at.isoformat()
            if m.name.startswith("Event") and (ev := events.get(m.aggregate_id)) is not None:
                out.append(self._event_item(m, at, ev))
            elif m.name.startswith("Warning") and (w := warnings.get(m.aggregate_id)) is not None:
                out.append(LiveItem(m.id, "warning", m.name, at, _warning_data(w), w.chain))
            elif m.name.startswith("Plan") and (a := plans.get(m.aggregate_id)) is not None:
                data = {
                    "id": a.id,
                    "plan_id": a.plan_id,
                    "status": a.status.value,
                    "level": a.level,
                    "jurisdiction": a.jurisdiction,
                }
                out.append(LiveItem(m.id, "plan", m.name, at, data, area=a.jurisdiction))
        return out

    def _event_item(self, m: OutboxMessage, at: str, ev: Event) -> LiveItem:
        etype = self.city.event_types.get(ev.type_code) if ev.type_code else None
        chain = ev.location.chain
        data = {
            "id": ev.id,
            "ref": ev.ref,
            "state": ev.state.value,
            "action": m.payload.get("action"),
            "type_code": ev.type_code,
            "type_name_zh": etype.name_zh if etype else None,
            "type_name_en": etype.name_en if etype else None,
            "severity": ev.severity.value,
            "source": ev.source.value,
            "title": ev.title,
            "lon": ev.location.lon,
            "lat": ev.location.lat,
            "district": chain.district if chain else None,
            "street": chain.street if chain else None,
            "lead_unit": ev.lead_unit,
            "handling_level": ev.handling_level.value,
            "dispose_by": ev.dispose_by.isoformat() if ev.dispose_by else None,
        }
        units = tuple(u for u in (ev.lead_unit, *ev.co_units) if u)
        return LiveItem(m.id, "event", m.name, at, data, chain, units)


def _warning_data(w: Warning) -> dict[str, Any]:
    return {
        "id": w.id,
        "rule": w.rule_id,
        "subject": w.subject,
        "level": w.level,
        "active": w.active,
        "confirmation": w.confirmation.value,
        "event_type": w.event_type,
        "event_id": w.event_id,
        "lon": w.lon,
        "lat": w.lat,
        "value": w.value,
        "threshold": w.threshold,
        "district": w.chain.district if w.chain else None,
        "cap": f"/cap/alerts/{w.id}.xml",
    }
