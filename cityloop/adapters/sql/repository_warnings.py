"""SQL repository of warnings."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.db import Db
from cityloop.domain.territory import JurisdictionChain
from cityloop.domain.warning import Confirmation, Warning
from cityloop.services.ports import ConcurrencyError


def _row(w: Warning) -> dict[str, Any]:
    c = w.chain
    return {
        "id": w.id,
        "rule_id": w.rule_id,
        "rule_type": w.rule_type,
        "subject": w.subject,
        "subject_kind": w.subject_kind,
        "level": w.level,
        "active": w.active,
        "confirmation": w.confirmation.value,
        "predicted": w.predicted,
        "anomaly": w.anomaly,
        "event_type": w.event_type,
        "event_at": w.event_at,
        "event_id": w.event_id,
        "lon": w.lon,
        "lat": w.lat,
        "city_code": c.city if c else None,
        "district_code": c.district if c else None,
        "street_code": c.street if c else None,
        "community_code": c.community if c else None,
        "grid_code": c.grid if c else None,
        "value": w.value,
        "threshold": w.threshold,
        "sequence": w.sequence,
        "history": w.history,
        "raised_at": w.raised_at,
        "updated_at": w.updated_at,
        "cleared_at": w.cleared_at,
        "version": w.version,
    }


def _warning(row: Any) -> Warning:
    m = row._mapping
    chain = (
        JurisdictionChain(
            m["city_code"],
            m["district_code"],
            m["street_code"],
            m["community_code"],
            m["grid_code"],
        )
        if m["city_code"]
        else None
    )
    return Warning(
        id=m["id"],
        rule_id=m["rule_id"],
        rule_type=m["rule_type"],
        subject=m["subject"],
        subject_kind=m["subject_kind"],
        level=m["level"],
        raised_at=m["raised_at"],
        updated_at=m["updated_at"],
        event_type=m["event_type"],
        event_at=m["event_at"],
        predicted=bool(m["predicted"]),
        anomaly=bool(m["anomaly"]),
        confirmation=Confirmation(m["confirmation"]),
        active=bool(m["active"]),
        cleared_at=m["cleared_at"],
        lon=m["lon"],
        lat=m["lat"],
        chain=chain,
        value=m["value"],
        threshold=m["threshold"],
        event_id=m["event_id"],
        sequence=m["sequence"],
        history=list(m["history"] or []),
        version=m["version"],
    )


_UPDATE = (
    t.warnings.update()
    .where(
        t.warnings.c.id == sa.bindparam("w_id"),
        t.warnings.c.version == sa.bindparam("w_expected"),
    )
    .values({c.name: sa.bindparam(c.name) for c in t.warnings.columns if c.name != "id"})
)


class SqlWarningRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, w: Warning) -> None:
        self.db.execute(t.warnings.insert(), [_row(w)])

    def get(self, warning_id: str) -> Warning | None:
        row = self.db.execute(t.warnings.select().where(t.warnings.c.id == warning_id)).first()
        return _warning(row) if row is not None else None

    def get_many(self, ids: Sequence[str]) -> dict[str, Warning]:
        if not ids:
            return {}
        rows = self.db.execute(t.warnings.select().where(t.warnings.c.id.in_(list(ids))))
        return {r.id: _warning(r) for r in rows}

    def save(self, w: Warning) -> None:
        values = _row(w)
        values["w_id"] = values.pop("id")
        values["w_expected"] = w.version
        values["version"] = w.version + 1
        if self.db.execute(_UPDATE, values).rowcount != 1:
            raise ConcurrencyError(f"warning {w.id} was changed by someone else")
        w.version += 1

    def list(
        self,
        *,
        active: bool | None = True,
        confirmation: str | None = None,
        district: str | None = None,
        street: str | None = None,
        limit: int = 500,
    ) -> builtins.list[Warning]:
        w = t.warnings
        stmt = sa.select(w)
        if active is not None:
            stmt = stmt.where(w.c.active == active)
        if confirmation is not None:
            stmt = stmt.where(w.c.confirmation == confirmation)
        if district is not None:
            stmt = stmt.where(w.c.district_code == district)
        if street is not None:
            stmt = stmt.where(w.c.street_code == street)
        stmt = stmt.order_by(w.c.updated_at.desc()).limit(limit)
        return [_warning(r) for r in self.db.execute(stmt)]

    def dismissal_counts(self) -> dict[str, tuple[int, int]]:
        """Per rule: (dismissed, confirmation asked) — the false-alarm rate's parts."""
        w = t.warnings
        stmt = (
            sa.select(
                w.c.rule_id,
                sa.func.sum(sa.case((w.c.confirmation == "dismissed", 1), else_=0)),
                sa.func.count(),
            )
            .where(w.c.confirmation != "not_needed")
            .group_by(w.c.rule_id)
        )
        out: dict[str, tuple[int, int]] = {}
        rows: builtins.list[Any] = builtins.list(self.db.execute(stmt))
        for row in rows:
            out[str(row[0])] = (int(row[1] or 0), int(row[2]))
        return out
