"""Vital signs per city, district and street: current values, and their history.

Sensor-based indicators come from the latest readings (``engine/vitals.py``); case-based ones
from the store (active warnings by level, open and overdue events). Every minute the city's
and each district's values are sampled, every hour every street's too; old samples expire
(7 days of minutes, a year of hours by default).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine as SqlEngine

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.views_dashboard import open_and_overdue
from cityloop.city.model import City
from cityloop.domain.clock import Clock
from cityloop.domain.territory import Level
from cityloop.engine.areas import read_areas
from cityloop.engine.batch import ReadingBatch
from cityloop.engine.sensors import SensorTable
from cityloop.engine.vitals import SensorVitals

HOW = {
    "online_rate": "sensors heard within 3 × their reporting interval / all sensors",
    "rainfall_1h_max_mm": "the wettest rain gauge's millimetres over the last 60 minutes",
    "aqi_max": "highest PM2.5 individual AQI (HJ 633-2012) of readings under 15 min old",
    "congestion_index": "mean travel-time index of traffic detectors: 50 km/h / measured speed",
    "crowd_density_max": "densest key area: its people counters' sum / its area, people per m²",
    "active_warnings": "warnings raised and not cleared, by level",
    "open_events": "events not closed, cancelled or merged",
    "overdue_events": "open events past a time limit (red on the supervision list)",
}

LEVEL_NAMES = ("blue", "yellow", "orange", "red")
MINUTE_RETENTION = timedelta(days=7)
HOUR_RETENTION = timedelta(days=365)


class VitalSigns:
    def __init__(
        self,
        city: City,
        engine: SqlEngine,
        clock: Clock,
        minute_retention: timedelta = MINUTE_RETENTION,
        hour_retention: timedelta = HOUR_RETENTION,
    ) -> None:
        self.city = city
        self.db = engine
        self.clock = clock
        self.minute_retention = minute_retention
        self.hour_retention = hour_retention
        self._sensors: SensorVitals | None = None
        self._lock = threading.Lock()
        self._last_minute: int | None = None
        self._last_hour: int | None = None

    def attach(self, sensors: SensorTable) -> None:
        """Start following the readings of these sensors (called by the telemetry service)."""
        areas, _ = read_areas(self.city.root)
        self._sensors = SensorVitals(sensors, areas.areas if areas is not None else ())
        codes: dict[Level, list[str]] = {Level.DISTRICT: [], Level.STREET: []}
        for j in self.city.jurisdictions.values():
            if j.level in codes:
                codes[j.level].append(j.code)
        self._codes = {lvl: sorted(c) for lvl, c in codes.items()}
        self._groups: dict[Level, np.ndarray[Any, Any]] = {}
        located = self.city.locator.locate_many(np.asarray(sensors.lon), np.asarray(sensors.lat))
        for lvl, names in self._codes.items():
            pos = {c: k for k, c in enumerate(names)}
            level_codes = located.codes(lvl)
            remap = np.array([pos.get(c, -1) for c in level_codes] + [-1], dtype=np.int64)
            index = np.asarray(located.index(lvl), dtype=np.int64)
            self._groups[lvl] = remap[np.where(index >= 0, index, len(level_codes))]

    def update(self, batch: ReadingBatch, accepted: np.ndarray[Any, Any]) -> None:
        """Take in the accepted readings of a judged batch."""
        if self._sensors is None:
            return
        with self._lock:
            self._sensors.update(batch, accepted)

    # ---- reading ------------------------------------------------------------------------

    def heard(self, now: float) -> np.ndarray[Any, Any] | None:
        """Per sensor (dense index): heard within 3 × its interval (None before any reading)."""
        if self._sensors is None:
            return None
        with self._lock:
            last = self._sensors.last_ts
            return np.isfinite(last) & (last >= now - 3.0 * self._sensors.sensors.interval)

    def current(self, code: str) -> dict[str, Any]:
        """The indicators of one jurisdiction (city, district or street) now."""
        j = self.city.jurisdiction_at(code)
        now = self.clock.now()
        values: dict[str, Any] = {}
        if self._sensors is not None and j.level in (Level.CITY, Level.DISTRICT, Level.STREET):
            with self._lock:
                if j.level is Level.CITY:
                    group = np.where(self._groups[Level.DISTRICT] >= 0, 0, -1)
                    values = self._sensors.indicators(group, 1, now.timestamp())[0]
                else:
                    k = self._codes[j.level].index(code)
                    group = np.where(self._groups[j.level] == k, 0, -1)
                    values = self._sensors.indicators(group, 1, now.timestamp())[0]
        if self._sensors is not None and j.level is Level.CITY:
            values["online_rate_by_department"] = self._by_department(now.timestamp())
        values |= self._cases(j.level, code)
        return {
            "jurisdiction": code,
            "level": j.level.value,
            "at": now.isoformat(),
            "values": values,
            "how": HOW,
        }

    def _by_department(self, now: float) -> dict[str, float | None]:
        assert self._sensors is not None
        departments = sorted(set(self._sensors.sensors.departments))
        pos = {d: k for k, d in enumerate(departments)}
        group = np.array([pos[d] for d in self._sensors.sensors.departments], dtype=np.int64)
        with self._lock:
            rows = self._sensors.indicators(group, len(departments), now)
        return {d: rows[k]["online_rate"] for k, d in enumerate(departments)}

    def _cases(self, level: Level, code: str) -> dict[str, Any]:
        w = t.warnings
        col = {Level.DISTRICT: "district_code", Level.STREET: "street_code"}.get(level)
        wq = sa.select(w.c.level, sa.func.count()).where(w.c.active.is_(True))
        if col is not None:
            wq = wq.where(w.c[col] == code)
        with self.db.connect() as conn:
            by_level = {str(r[0]): int(r[1]) for r in conn.execute(wq.group_by(w.c.level))}
            total, red = open_and_overdue(conn, level.value, code)
        return {
            "active_warnings": {
                lvl: by_level.get(lvl, 0) for lvl in ("blue", "yellow", "orange", "red")
            },
            "open_events": total,
            "overdue_events": red,
        }

    def history(
        self, code: str, resolution: str, since: datetime, until: datetime
    ) -> list[dict[str, Any]]:
        v = t.vital_signs
        stmt = (
            sa.select(v.c.at, v.c["values"])
            .where(v.c.jurisdiction == code, v.c.resolution == resolution)
            .where(v.c.at >= since, v.c.at <= until)
            .order_by(v.c.at)
        )
        with self.db.connect() as conn:
            return [{"at": r[0].isoformat(), "values": r[1]} for r in conn.execute(stmt)]

    # ---- sampling -----------------------------------------------------------------------

    def current_level(self, level: Level) -> dict[str, dict[str, Any]]:
        """The indicators of every jurisdiction of a level (city, district or street) now, in
        one pass over the sensors and one grouped query per table: what sampling needs."""
        now = self.clock.now()
        codes = [self.city.code] if level is Level.CITY else self._level_codes(level)
        values: dict[str, dict[str, Any]] = {c: {} for c in codes}
        if self._sensors is not None:
            if level is Level.CITY:
                group = np.where(self._groups[Level.DISTRICT] >= 0, 0, -1)
            else:
                group = self._groups[level]
            with self._lock:
                rows = self._sensors.indicators(group, len(codes), now.timestamp())
            for code, row in zip(codes, rows, strict=True):
                values[code] = dict(row)
            if level is Level.CITY:
                values[self.city.code]["online_rate_by_department"] = self._by_department(
                    now.timestamp()
                )
        for code, cases in self._cases_by(level, codes).items():
            values[code] |= cases
        return values

    def _cases_by(self, level: Level, codes: list[str]) -> dict[str, dict[str, Any]]:
        """``_cases`` for every jurisdiction of a level: one grouped query for the warnings,
        the dashboard counters for the events."""
        w = t.warnings
        col = {Level.DISTRICT: "district_code", Level.STREET: "street_code"}.get(level)
        wkey = w.c[col] if col else sa.literal(self.city.code)
        wq = (
            sa.select(wkey, w.c.level, sa.func.count())
            .where(w.c.active.is_(True))
            .group_by(wkey, w.c.level)
        )
        by_level: dict[str, dict[str, int]] = {c: {} for c in codes}
        open_red: dict[str, tuple[int, int]] = {}
        with self.db.connect() as conn:
            for code, lvl, n in conn.execute(wq):
                if code in by_level:
                    by_level[code][str(lvl)] = int(n)
            for code in codes:
                open_red[code] = open_and_overdue(conn, level.value, code)
        return {
            code: {
                "active_warnings": {lvl: by_level[code].get(lvl, 0) for lvl in LEVEL_NAMES},
                "open_events": open_red[code][0],
                "overdue_events": open_red[code][1],
            }
            for code in codes
        }

    def sample(self) -> int:
        """Store this minute's (and, on the hour, this hour's) values; drop expired ones."""
        now = self.clock.now()
        minute, hour = int(now.timestamp() // 60), int(now.timestamp() // 3600)
        rows: list[dict[str, Any]] = []
        levels: dict[Level, dict[str, dict[str, Any]]] = {}

        def of(level: Level) -> dict[str, dict[str, Any]]:
            if level not in levels:
                levels[level] = self.current_level(level)
            return levels[level]

        if minute != self._last_minute:
            self._last_minute = minute
            at = datetime.fromtimestamp(minute * 60, now.tzinfo)
            for level in (Level.CITY, Level.DISTRICT):
                for code, values in of(level).items():
                    rows.append(
                        {"at": at, "resolution": "minute", "jurisdiction": code, "values": values}
                    )
        if hour != self._last_hour:
            self._last_hour = hour
            at = datetime.fromtimestamp(hour * 3600, now.tzinfo)
            for level in (Level.CITY, Level.DISTRICT, Level.STREET):
                for code, values in of(level).items():
                    rows.append(
                        {"at": at, "resolution": "hour", "jurisdiction": code, "values": values}
                    )
        if not rows:
            return 0
        v = t.vital_signs
        with self.db.begin() as conn:
            for row in rows:
                conn.execute(
                    v.delete().where(
                        v.c.at == row["at"],
                        v.c.resolution == row["resolution"],
                        v.c.jurisdiction == row["jurisdiction"],
                    )
                )
            conn.execute(v.insert(), rows)
            conn.execute(
                v.delete().where(v.c.resolution == "minute", v.c.at < now - MINUTE_RETENTION)
            )
            conn.execute(v.delete().where(v.c.resolution == "hour", v.c.at < now - HOUR_RETENTION))
        return len(rows)

    def _level_codes(self, level: Level) -> list[str]:
        return sorted(j.code for j in self.city.jurisdictions.values() if j.level is level)
