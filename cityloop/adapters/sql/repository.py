"""SQL repositories for events, reporters and users (SQLAlchemy Core)."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cityloop.adapters.sql import spatial
from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.counters import KEY_COLUMNS, CounterDeltas
from cityloop.adapters.sql.db import Db
from cityloop.adapters.sql.event_rows import (
    event_from_row,
    event_to_row,
    timeline_from_row,
    timeline_to_row,
    unit_rows,
)
from cityloop.domain.access import Principal, Role
from cityloop.domain.event import Event
from cityloop.domain.lifecycle import OPEN_STATES, WORKING_STATES
from cityloop.domain.reporter import Reporter
from cityloop.domain.user import User
from cityloop.services.dedup import Circle
from cityloop.services.ports import ConcurrencyError, EventPage, EventQuery, OpenEventBrief

_LEVEL_COLUMN = {
    "city": t.events.c.city_code,
    "district": t.events.c.district_code,
    "street": t.events.c.street_code,
    "community": t.events.c.community_code,
    "grid": t.events.c.grid_code,
}


def scope_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """The SQL form of :meth:`Principal.sees` for list queries."""
    clauses: list[sa.ColumnElement[bool]] = []
    if not principal.citywide:
        clauses.append(_LEVEL_COLUMN[principal.jurisdiction_level.value] == principal.jurisdiction)
    if principal.role is Role.DEPARTMENT_HANDLER:
        clauses.append(_department_clause(principal.department or ""))
    return sa.and_(sa.true(), *clauses)


def _department_clause(department: str) -> sa.ColumnElement[bool]:
    u = t.event_units
    return sa.exists().where(u.c.event_id == t.events.c.id, u.c.department == department)


def _jurisdiction_clause(code: str) -> sa.ColumnElement[bool]:
    return sa.or_(*(col == code for col in _LEVEL_COLUMN.values()))


# Statements built once with bound parameters, so SQLAlchemy compiles and caches them once.
_UPDATE_EVENT = (
    t.events.update()
    .where(
        t.events.c.id == sa.bindparam("event_id"),
        t.events.c.version == sa.bindparam("expected_version"),
    )
    .values({c.name: sa.bindparam(c.name) for c in t.events.columns if c.name != "id"})
)

#: What the counters are keyed on, as stored now (read just before an update).
_KEYS_OF = sa.select(*KEY_COLUMNS).where(t.events.c.id == sa.bindparam("key_id"))

_NEARBY = (
    sa.select(t.events)
    .where(
        t.events.c.type_code == sa.bindparam("dd_type"),
        t.events.c.created_at >= sa.bindparam("dd_since", type_=t.events.c.created_at.type),
        t.events.c.state.in_(OPEN_STATES),
        t.events.c.lat.between(sa.bindparam("dd_min_lat"), sa.bindparam("dd_max_lat")),
        t.events.c.lon.between(sa.bindparam("dd_min_lon"), sa.bindparam("dd_max_lon")),
    )
    .limit(200)
)
#: The open events as plan conditions count them (by the state index, no JSON decoded).
_OPEN_BRIEFS = (
    sa.select(
        t.events.c.id,
        t.events.c.type_code,
        t.events.c.severity,
        t.events.c.district_code,
        t.events.c.street_code,
    )
    .where(t.events.c.state.in_(OPEN_STATES))
    .order_by(t.events.c.created_at.desc(), t.events.c.id.desc())
)
#: The same on PostGIS: the circle itself (geography, metres), by its partial GiST index.
_NEARBY_POSTGIS = (
    sa.select(t.events)
    .where(
        t.events.c.type_code == sa.bindparam("dd_type"),
        t.events.c.created_at >= sa.bindparam("dd_since", type_=t.events.c.created_at.type),
        spatial.open_state(t.events.c.state),
        spatial.within_m(
            t.events.c.lon,
            t.events.c.lat,
            sa.bindparam("dd_lon", type_=sa.Float),
            sa.bindparam("dd_lat", type_=sa.Float),
            sa.bindparam("dd_radius", type_=sa.Float),
        ),
    )
    .limit(200)
)


def _near_clause(i: int, postgis: bool) -> sa.ColumnElement[bool]:
    """The i-th (type, circle) of `_nearby_many`: its box, or on PostGIS the circle."""
    e = t.events.c
    if postgis:
        where = spatial.within_m(
            e.lon,
            e.lat,
            sa.bindparam(f"x{i}", type_=sa.Float),
            sa.bindparam(f"y{i}", type_=sa.Float),
            sa.bindparam(f"r{i}", type_=sa.Float),
        )
    else:
        where = sa.and_(
            e.lat.between(sa.bindparam(f"y{i}"), sa.bindparam(f"Y{i}")),
            e.lon.between(sa.bindparam(f"x{i}"), sa.bindparam(f"X{i}")),
        )
    return sa.and_(e.type_code == sa.bindparam(f"t{i}"), where)


@functools.lru_cache(maxsize=512)
def _nearby_many(n: int, postgis: bool = False) -> sa.Select[Any] | sa.CompoundSelect[Any]:
    """Open events since ``dd_since`` inside any of n (type, circle) pairs, as one statement
    (built once per n: building SQL expressions costs more than running the query).

    On PostGIS, one select whose circles are OR-ed (a bitmap OR over the GiST index). On
    SQLite, a UNION ALL of one indexed search per pair: with the pairs OR-ed, SQLite's planner
    prefers the (state, created_at) index and reads every open event of the window, so each
    batch's look-up grew with the open events instead of staying a few index probes.
    """
    e = t.events.c
    since = sa.bindparam("dd_since", type_=e.created_at.type)
    if postgis:
        circles = sa.or_(*(_near_clause(i, postgis) for i in range(n)))
        state = spatial.open_state(e.state)
        return sa.select(t.events).where(circles, e.created_at >= since, state).limit(200 * n)
    # the open states written out, not expanded at every execution of every search
    open_state = e.state.in_([sa.literal_column(f"'{s}'") for s in sorted(OPEN_STATES)])
    searches = [
        sa.select(t.events).where(_near_clause(i, postgis), e.created_at >= since, open_state)
        for i in range(n)
    ]
    if n == 1:
        return searches[0].limit(200)
    return sa.union_all(*searches).limit(200 * n)


def _near_params(near: Circle, postgis: bool, i: int | None = None) -> dict[str, Any]:
    """The bound values of a circle in `_NEARBY` (``i`` None) or `_nearby_many`."""
    values: tuple[float, ...]
    names: tuple[str, ...]
    if postgis:
        values = (near.lon, near.lat, near.radius_m + spatial.SLACK_M)
        names = ("dd_lon", "dd_lat", "dd_radius") if i is None else (f"x{i}", f"y{i}", f"r{i}")
    else:
        values = near.box()
        names = (
            ("dd_min_lon", "dd_min_lat", "dd_max_lon", "dd_max_lat")
            if i is None
            else (f"x{i}", f"y{i}", f"X{i}", f"Y{i}")
        )
    return dict(zip(names, values, strict=True))


class SqlEventRepository:
    def __init__(self, db: Db) -> None:
        self.db = db
        self._new_by_type: dict[str, builtins.list[Event]] = {}
        #: (type, circle) → stored open events found by `prefetch_open_nearby` (shared objects)
        self._nearby: dict[tuple[str, Circle], builtins.list[Event]] = {}
        #: whether the spatial queries take their PostGIS form (see spatial.py)
        self._postgis = spatial.uses_postgis(db.conn)
        #: +1/−1 per dashboard counter key of this transaction's writes (see counters.py)
        self.counters = CounterDeltas()

    def add(self, event: Event) -> None:
        """Queue the event, its units and timeline for the next bulk write."""
        row = event_to_row(event)
        self.db.insert_later(t.events, [row])
        self.counters.add(row, +1)
        self.db.insert_later(t.event_units, unit_rows(event))
        self.db.insert_later(
            t.event_timeline, [timeline_to_row(event.id, e) for e in event.timeline]
        )
        if event.type_code is not None:
            self._new_by_type.setdefault(event.type_code, []).append(event)

    def get_many(self, ids: Sequence[str]) -> dict[str, Event]:
        """Events by id, without their timelines (for views and notifications)."""
        out: dict[str, Event] = {}
        unique = builtins.list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            rows = self.db.execute(t.events.select().where(t.events.c.id.in_(chunk)))
            out.update((r.id, event_from_row(r)) for r in rows)
        return out

    def forget_new(self) -> None:
        """After commit (or rollback), new events are no longer pending."""
        self._new_by_type.clear()
        self._nearby.clear()
        self.counters.clear()

    def write_counters(self) -> None:
        """Bring the dashboard counters in step with this transaction's writes (before commit)."""
        self.db.flush()
        self.counters.write(self.db.conn)

    def get(self, event_id: str) -> Event | None:
        row = self.db.execute(t.events.select().where(t.events.c.id == event_id)).first()
        return self._load(row)

    def get_by_ref(self, ref: str) -> Event | None:
        row = self.db.execute(t.events.select().where(t.events.c.ref == ref)).first()
        return self._load(row)

    def _load(self, row: Any) -> Event | None:
        if row is None:
            return None
        tl = self.db.execute(
            t.event_timeline.select()
            .where(t.event_timeline.c.event_id == row.id)
            .order_by(t.event_timeline.c.seq)
        )
        return event_from_row(row, [timeline_from_row(r) for r in tl])

    def save(self, event: Event) -> None:
        """Write the aggregate back; fails if another writer saved it since it was loaded."""
        expected = event.version
        values = event_to_row(event)
        values["version"] = expected + 1
        values["expected_version"] = expected
        values["event_id"] = event.id
        old = self.db.execute(_KEYS_OF, {"key_id": event.id}).first()
        result = self.db.execute(_UPDATE_EVENT, values)
        if result.rowcount != 1 or old is None:
            raise ConcurrencyError(f"event {event.ref} was changed by someone else")
        self.counters.change(dict(old._mapping), values)
        event.version = expected + 1
        self._write_units(event, replace=True)
        tl = t.event_timeline
        stored = self.db.execute(
            sa.select(sa.func.coalesce(sa.func.max(tl.c.seq), 0)).where(tl.c.event_id == event.id)
        ).scalar_one()
        self._write_timeline(event, start=int(stored))

    def _write_units(self, event: Event, *, replace: bool) -> None:
        if replace:
            self.db.execute(t.event_units.delete().where(t.event_units.c.event_id == event.id))
        rows = unit_rows(event)
        if rows:
            self.db.execute(t.event_units.insert(), rows)

    def _write_timeline(self, event: Event, *, start: int) -> None:
        rows = [timeline_to_row(event.id, e) for e in event.timeline[start:]]
        if rows:
            self.db.execute(t.event_timeline.insert(), rows)

    def open_briefs(self, scope: Principal | None = None) -> builtins.list[OpenEventBrief]:
        """Every open event in the scope (None: the city), five columns each, all of them."""
        stmt = _OPEN_BRIEFS
        if scope is not None:
            stmt = stmt.where(scope_clause(scope))
        m = [r._mapping for r in self.db.execute(stmt)]
        return [
            OpenEventBrief(
                r["id"], r["type_code"], r["severity"], r["district_code"], r["street_code"]
            )
            for r in m
        ]

    def list(self, query: EventQuery) -> EventPage:
        e = t.events
        stmt = sa.select(e)
        if query.scope is not None:
            stmt = stmt.where(scope_clause(query.scope))
        if query.states:
            stmt = stmt.where(e.c.state.in_(query.states))
        if query.type_codes:
            stmt = stmt.where(e.c.type_code.in_(query.type_codes))
        if query.severities:
            stmt = stmt.where(e.c.severity.in_(query.severities))
        if query.sources:
            stmt = stmt.where(e.c.source.in_(query.sources))
        if query.jurisdiction:
            stmt = stmt.where(_jurisdiction_clause(query.jurisdiction))
        if query.lead_unit:
            stmt = stmt.where(e.c.lead_unit == query.lead_unit)
        if query.department:
            stmt = stmt.where(_department_clause(query.department))
        if query.handling_level:
            stmt = stmt.where(e.c.handling_level == query.handling_level)
        if query.supervision:
            stmt = stmt.where(e.c.supervision == query.supervision)
            stmt = stmt.where(e.c.state.in_(WORKING_STATES))
        if query.created_from:
            stmt = stmt.where(e.c.created_at >= query.created_from)
        if query.created_to:
            stmt = stmt.where(e.c.created_at < query.created_to)
        if query.text:
            pattern = f"%{query.text}%"
            stmt = stmt.where(sa.or_(e.c.title.ilike(pattern), e.c.description.ilike(pattern)))
        if query.after is not None:
            at, last_id = query.after
            stmt = stmt.where(
                sa.or_(e.c.created_at < at, sa.and_(e.c.created_at == at, e.c.id < last_id))
            )
        stmt = stmt.order_by(e.c.created_at.desc(), e.c.id.desc()).limit(query.limit + 1)
        rows = self.db.execute(stmt).all()
        items = [event_from_row(r) for r in rows[: query.limit]]
        cursor = None
        if len(rows) > query.limit and items:
            cursor = (items[-1].created_at, items[-1].id)
        return EventPage(items=items, next_cursor=cursor)

    def prefetch_open_nearby(self, queries: Sequence[tuple[str, Circle]], since: datetime) -> None:
        """Find the stored candidates of many `find_open_nearby` calls with one query.

        A batch of reports asks once instead of once per report; later calls with the same
        (type, circle) answer from what was found, and an event found for several circles is
        one object, so two reports merging into it in one transaction see each other's change.
        """
        wanted = builtins.list(dict.fromkeys(queries))
        if not wanted:
            return
        # A few statement sizes (powers of two, the last search repeated to fill one), so that
        # SQLAlchemy compiles a handful of statements once rather than one per batch size.
        size = 1 << (len(wanted) - 1).bit_length()
        padded = [*wanted, *[wanted[-1]] * (size - len(wanted))]
        params: dict[str, Any] = {"dd_since": since}
        for i, (type_code, near) in enumerate(padded):
            params[f"t{i}"] = type_code
            params.update(_near_params(near, self._postgis, i))
        stmt = _nearby_many(size, self._postgis)
        rows = {r.id: r for r in self.db.conn.execute(stmt, params)}  # one per event
        found = [event_from_row(r) for r in rows.values()]
        for type_code, near in wanted:
            min_lon, min_lat, max_lon, max_lat = near.box()
            self._nearby[(type_code, near)] = [
                ev
                for ev in found
                if ev.type_code == type_code
                and ev.location.lon is not None
                and ev.location.lat is not None
                and min_lon <= ev.location.lon <= max_lon
                and min_lat <= ev.location.lat <= max_lat
            ]

    def find_open_nearby(
        self, type_code: str, near: Circle, since: datetime
    ) -> builtins.list[Event]:
        """Open events of a type created since ``since`` in or near a circle (indexed): the
        circle's box, or on PostGIS the circle; the caller measures the distances.

        Events added in this transaction and not yet written are looked at in memory, so a
        batch of reports de-duplicates among itself without flushing after every report.
        """
        min_lon, min_lat, max_lon, max_lat = near.box()
        prefetched = self._nearby.get((type_code, near))
        if prefetched is not None:
            found = {e.id: e for e in prefetched if e.state.value in OPEN_STATES}
        else:
            params = {"dd_type": type_code, "dd_since": since}
            params.update(_near_params(near, self._postgis))
            stmt = _NEARBY_POSTGIS if self._postgis else _NEARBY
            found = {r.id: event_from_row(r) for r in self.db.conn.execute(stmt, params)}
        for e in self._new_by_type.get(type_code, ()):
            loc = e.location
            if (
                e.created_at >= since
                and e.state.value in OPEN_STATES
                and loc.lon is not None
                and loc.lat is not None
                and min_lon <= loc.lon <= max_lon
                and min_lat <= loc.lat <= max_lat
            ):
                found[e.id] = e
        return builtins.list(found.values())

    def due(self, kind: str, now: datetime, limit: int = 500) -> builtins.list[str]:
        """Ids of events whose reminder (``remind``) or deadline (``overdue``) time has come."""
        e = t.events
        column = e.c.warn_at if kind == "remind" else e.c.due_at
        stmt = sa.select(e.c.id).where(column <= now).order_by(column).limit(limit)
        return [r[0] for r in self.db.execute(stmt)]

    def next_sequence(self, scope: str) -> int:
        """The next number in a named sequence (e.g. the day's event refs), in this transaction."""
        return self.db.next_sequence(scope)


class SqlReporterRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, reporter: Reporter) -> None:
        self.db.insert_later(
            t.reporters,
            [
                {
                    "id": reporter.id,
                    "name": reporter.name,
                    "phone": reporter.phone,
                    "email": reporter.email,
                    "device_id": reporter.device_id,
                    "created_at": reporter.created_at,
                }
            ],
        )

    def get(self, reporter_id: str) -> Reporter | None:
        row = self.db.execute(t.reporters.select().where(t.reporters.c.id == reporter_id)).first()
        if row is None:
            return None
        m = row._mapping
        return Reporter(
            id=m["id"],
            created_at=m["created_at"],
            name=m["name"],
            phone=m["phone"],
            email=m["email"],
            device_id=m["device_id"],
        )


class SqlUserRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, user: User) -> None:
        self.db.execute(
            t.users.insert().values(
                id=user.id,
                username=user.username,
                password_hash=user.password_hash,
                display_name=user.display_name,
                role=user.role.value,
                jurisdiction=user.jurisdiction,
                department=user.department,
                active=user.active,
                created_at=user.created_at,
            )
        )

    def _one(self, clause: sa.ColumnElement[bool]) -> User | None:
        row = self.db.execute(t.users.select().where(clause)).first()
        return _user(row) if row is not None else None

    def get(self, user_id: str) -> User | None:
        return self._one(t.users.c.id == user_id)

    def get_by_username(self, username: str) -> User | None:
        return self._one(t.users.c.username == username)

    def list(self) -> list[User]:
        return [_user(r) for r in self.db.execute(t.users.select().order_by(t.users.c.username))]


def _user(row: Any) -> User:
    m = row._mapping
    return User(
        id=m["id"],
        username=m["username"],
        password_hash=m["password_hash"],
        display_name=m["display_name"],
        role=Role(m["role"]),
        jurisdiction=m["jurisdiction"],
        department=m["department"],
        active=bool(m["active"]),
        created_at=m["created_at"],
    )
