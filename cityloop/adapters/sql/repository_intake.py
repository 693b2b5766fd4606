"""SQL repositories for the intake side: reports, ratings, API keys, uploads, notifications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.db import Db
from cityloop.domain.report import Channel, Rating, Report
from cityloop.services.ports import ApiKey, Notification, Upload


def _report_row(r: Report) -> dict[str, Any]:
    return {
        "id": r.id,
        "ref": r.ref,
        "channel": r.channel.value,
        "received_at": r.received_at,
        "title": r.title,
        "text": r.text,
        "type_code": r.type_code,
        "lon": r.lon,
        "lat": r.lat,
        "address": r.address,
        "reporter_id": r.reporter_id,
        "attributes": r.attributes,
        "media": r.media,
        "external_id": r.external_id,
        "submitted_by": r.submitted_by,
        "event_id": r.event_id,
        "token": r.token,
        "citizen_token_hash": r.citizen_token_hash,
    }


def _report(row: Any) -> Report:
    m = row._mapping
    return Report(
        id=m["id"],
        ref=m["ref"],
        channel=Channel(m["channel"]),
        received_at=m["received_at"],
        title=m["title"],
        text=m["text"],
        type_code=m["type_code"],
        lon=m["lon"],
        lat=m["lat"],
        address=m["address"],
        reporter_id=m["reporter_id"],
        attributes=m["attributes"] or {},
        media=list(m["media"] or []),
        external_id=m["external_id"],
        submitted_by=m["submitted_by"],
        event_id=m["event_id"],
        token=m["token"],
        citizen_token_hash=m["citizen_token_hash"],
    )


_UPDATE_REPORT = (
    t.reports.update()
    .where(t.reports.c.id == sa.bindparam("report_id"))
    .values({c.name: sa.bindparam(c.name) for c in t.reports.columns if c.name != "id"})
)


class SqlReportRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, report: Report) -> None:
        self.db.insert_later(t.reports, [_report_row(report)])

    def add_many(self, reports: Sequence[Report]) -> None:
        self.db.insert_later(t.reports, [_report_row(r) for r in reports])

    def save(self, report: Report) -> None:
        row = _report_row(report)
        row["report_id"] = row.pop("id")
        self.db.execute(_UPDATE_REPORT, row)

    def _one(self, clause: sa.ColumnElement[bool]) -> Report | None:
        row = self.db.execute(t.reports.select().where(clause)).first()
        return _report(row) if row is not None else None

    def get(self, report_id: str) -> Report | None:
        return self._one(t.reports.c.id == report_id)

    def get_by_ref(self, ref: str) -> Report | None:
        return self._one(t.reports.c.ref == ref)

    def get_by_token(self, token: str) -> Report | None:
        return self._one(t.reports.c.token == token)

    def get_by_citizen_token_hash(self, token_hash: str) -> Report | None:
        return self._one(t.reports.c.citizen_token_hash == token_hash)

    def for_event(self, event_id: str) -> list[Report]:
        rows = self.db.execute(
            t.reports.select()
            .where(t.reports.c.event_id == event_id)
            .order_by(t.reports.c.received_at, t.reports.c.id)
        )
        return [_report(r) for r in rows]

    def search(
        self,
        *,
        ids: Sequence[str] = (),
        received_from: datetime | None = None,
        received_to: datetime | None = None,
        limit: int = 1000,
    ) -> list[Report]:
        r = t.reports
        stmt = sa.select(r)
        if ids:
            stmt = stmt.where(sa.or_(r.c.ref.in_(ids), r.c.id.in_(ids)))
        if received_from is not None:
            stmt = stmt.where(r.c.received_at >= received_from)
        if received_to is not None:
            stmt = stmt.where(r.c.received_at <= received_to)
        stmt = stmt.order_by(r.c.received_at.desc(), r.c.id.desc()).limit(limit)
        return [_report(row) for row in self.db.execute(stmt)]


class SqlRatingRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, rating: Rating) -> None:
        self.db.execute(
            t.ratings.insert().values(
                report_id=rating.report_id,
                event_id=rating.event_id,
                score=rating.score,
                comment=rating.comment,
                created_at=rating.created_at,
            )
        )

    def for_report(self, report_id: str) -> Rating | None:
        row = self.db.execute(t.ratings.select().where(t.ratings.c.report_id == report_id)).first()
        return _rating(row) if row is not None else None

    def for_event(self, event_id: str) -> list[Rating]:
        rows = self.db.execute(t.ratings.select().where(t.ratings.c.event_id == event_id))
        return [_rating(r) for r in rows]


def _rating(row: Any) -> Rating:
    m = row._mapping
    return Rating(m["report_id"], m["event_id"], m["score"], m["comment"], m["created_at"])


class SqlApiKeyRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, key: ApiKey) -> None:
        self.db.execute(t.api_keys.insert().values(**key.__dict__))

    def get_by_hash(self, key_hash: str) -> ApiKey | None:
        row = self.db.execute(t.api_keys.select().where(t.api_keys.c.key_hash == key_hash)).first()
        return ApiKey(**row._mapping) if row is not None else None

    def get(self, key_id: str) -> ApiKey | None:
        row = self.db.execute(t.api_keys.select().where(t.api_keys.c.id == key_id)).first()
        return ApiKey(**row._mapping) if row is not None else None

    def list(self) -> list[ApiKey]:
        rows = self.db.execute(t.api_keys.select().order_by(t.api_keys.c.created_at))
        return [ApiKey(**r._mapping) for r in rows]

    def revoke(self, key_id: str, at: datetime) -> None:
        self.db.execute(t.api_keys.update().where(t.api_keys.c.id == key_id).values(revoked_at=at))


class SqlUploadRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, upload: Upload) -> None:
        self.db.execute(t.uploads.insert().values(**upload.__dict__))

    def get(self, key: str) -> Upload | None:
        row = self.db.execute(t.uploads.select().where(t.uploads.c.key == key)).first()
        return Upload(**row._mapping) if row is not None else None


class SqlNotificationRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, n: Notification) -> None:
        values = {k: v for k, v in n.__dict__.items() if k != "id"}
        self.db.insert_later(t.notifications, [values])

    def pending(self, channels: Sequence[str], limit: int = 200) -> list[Notification]:
        n = t.notifications
        rows = self.db.execute(
            n.select()
            .where(n.c.status == "pending", n.c.channel.in_(channels))
            .order_by(n.c.id)
            .limit(limit)
        )
        return [Notification(**r._mapping) for r in rows]

    def mark(self, notification_id: int, *, status: str, at: datetime, error: str | None) -> None:
        n = t.notifications
        self.db.execute(
            n.update()
            .where(n.c.id == notification_id)
            .values(status=status, sent_at=at, error=error, attempts=n.c.attempts + 1)
        )

    def inbox(
        self,
        recipients: Sequence[tuple[str, str]],
        *,
        district: str | None,
        street: str | None,
        unread_only: bool,
        limit: int,
    ) -> list[Notification]:
        """Inbox items addressed to any of ``recipients`` ((kind, id) pairs), newest first.

        Unit-addressed items are limited to the reader's district/street when given.
        """
        n = t.notifications
        clauses = []
        for kind, recipient in recipients:
            clause = sa.and_(n.c.recipient_kind == kind, n.c.recipient == recipient)
            if kind == "unit" and district:
                clause = sa.and_(clause, n.c.district_code == district)
            if kind == "unit" and street:
                clause = sa.and_(clause, n.c.street_code == street)
            clauses.append(clause)
        stmt = n.select().where(n.c.channel == "inbox", sa.or_(*clauses))
        if unread_only:
            stmt = stmt.where(n.c.read_at.is_(None))
        rows = self.db.execute(stmt.order_by(n.c.id.desc()).limit(limit))
        return [Notification(**r._mapping) for r in rows]

    def get(self, notification_id: int) -> Notification | None:
        row = self.db.execute(
            t.notifications.select().where(t.notifications.c.id == notification_id)
        ).first()
        return Notification(**row._mapping) if row is not None else None

    def mark_read(self, notification_id: int, at: datetime) -> None:
        n = t.notifications
        self.db.execute(n.update().where(n.c.id == notification_id).values(read_at=at))

    def for_event(self, event_id: str) -> list[Notification]:
        n = t.notifications
        rows = self.db.execute(n.select().where(n.c.event_id == event_id).order_by(n.c.id))
        return [Notification(**r._mapping) for r in rows]
