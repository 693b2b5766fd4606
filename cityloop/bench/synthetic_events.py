"""Millions of realistic synthetic events, generated as NumPy columns and bulk-loaded.

Events spread over three years in creation order, at points of the demo city (denser around a
few centres), with its types (a few common, many rare), severities, handling levels and lead
units from its responsibility list. Most are closed (some merged or cancelled); ``open_events``
recent ones are still being worked on, a tenth of those on the clock overdue (red) and a tenth
nearly due (yellow). Only what the dashboard reads is filled: the events table and, rebuilt
from it, the counters (no timelines, reports or units).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from cityloop.adapters.sql.counters import CELLS_PER_DEGREE, ROW
from cityloop.city.model import City
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, Level

Array = np.ndarray[Any, Any]

OPEN_STATES = {
    "reported": 0.05,
    "triaged": 0.05,
    "dispatched": 0.25,
    "accepted": 0.2,
    "in_progress": 0.25,
    "resolved": 0.08,
    "verified": 0.04,
    "returned": 0.04,
    "suspended": 0.04,
}
ENDED_STATES = {"closed": 0.92, "merged": 0.06, "cancelled": 0.02}
ON_THE_CLOCK = ("dispatched", "accepted", "in_progress", "suspended")
SEVERITIES = {"IV": 0.7, "III": 0.2, "II": 0.08, "I": 0.02}
SOURCES = {"citizen": 0.35, "hotline": 0.3, "grid": 0.25, "sensor": 0.07, "department": 0.03}
YEARS = 3
COLUMNS = [
    "id",
    "ref",
    "source",
    "type_code",
    "severity",
    "title",
    "description",
    "state",
    "lon",
    "lat",
    "city_code",
    "district_code",
    "street_code",
    "community_code",
    "grid_code",
    "lead_unit",
    "co_units",
    "handling_level",
    "accept_by",
    "dispose_by",
    "warning_ids",
    "report_ids",
    "attachments",
    "triage_reasons",
    "co_feedback",
    "dispatched_at",
    "warn_at",
    "due_at",
    "supervision",
    "created_at",
    "updated_at",
    "version",
    "map_cell",
]


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> Array:
    names = np.array(list(weights))
    p = np.array(list(weights.values()))
    return names[rng.choice(len(names), n, p=p / p.sum())]


def _stamp(seconds: Array) -> list[str | None]:
    """Epoch seconds → the text SQLAlchemy stores for a UTC datetime on SQLite (NaN → NULL)."""
    ok = ~np.isnan(seconds)
    micros = (np.where(ok, seconds, 0) * 1e6).astype("int64").astype("datetime64[us]")
    text = np.datetime_as_string(micros, unit="us")  # 2026-12-01T18:29:46.314836
    chars = text.view(np.uint32).reshape(len(text), -1).copy()
    chars[:, 10] = ord(" ")
    values: list[str] = chars.view(text.dtype).ravel().tolist()
    return [v if good else None for v, good in zip(values, ok.tolist(), strict=True)]


class Generator:
    def __init__(self, city: City, n: int, open_events: int, seed: int = 0) -> None:
        self.city, self.n = city, n
        self.open_n = min(open_events, n)
        self.rng = np.random.default_rng(seed)
        self.now = time.time()
        start = self.now - YEARS * 365 * 86400
        # creation times in order, a little before now at the latest
        self.created = np.sort(self.rng.uniform(start, self.now - 600, n))
        day = (self.created // 86400).astype(np.int64)
        first_of_day = np.searchsorted(day, day, side="left")
        self.seq = np.arange(n) - first_of_day + 1
        self.day = day
        window = min(n, 4 * self.open_n)
        self.open = np.zeros(n, dtype=bool)
        self.open[n - window + self.rng.choice(window, self.open_n, replace=False)] = True
        self.types = sorted(city.event_types)
        weights = 1.0 / np.arange(1, len(self.types) + 1) ** 0.8  # Zipf-like
        self.type_p = weights / weights.sum()
        self._routes: dict[tuple[str, str, str | None], str | None] = {}
        self._levels: dict[tuple[str, str], str] = {}
        minx, miny, maxx, maxy = city.city_jurisdiction.geometry.bounds
        self.bounds = (minx, miny, maxx, maxy)
        self.centres = np.column_stack(
            [self.rng.uniform(minx, maxx, 30), self.rng.uniform(miny, maxy, 30)]
        )

    def _level(self, type_code: str, severity: str) -> str:
        key = (type_code, severity)
        if key not in self._levels:
            self._levels[key] = self.city.handling_level(type_code, Severity(severity)).value
        return self._levels[key]

    def _lead(self, type_code: str, level: str, district: str | None) -> str | None:
        key = (type_code, level, district)
        if key not in self._routes:
            try:
                self._routes[key] = self.city.route(type_code, HandlingLevel(level), district).lead
            except KeyError:
                self._routes[key] = None
        return self._routes[key]

    def _points(self, m: int) -> tuple[Array, Array, Any]:
        """m points inside the city: 60 % around the centres, the rest anywhere."""
        minx, miny, maxx, maxy = self.bounds
        lon_parts: list[Array] = []
        lat_parts: list[Array] = []
        have = 0
        while have < m:
            k = m - have + 1000
            near = self.rng.random(k) < 0.6
            c = self.centres[self.rng.integers(0, len(self.centres), k)]
            lon = np.where(
                near, c[:, 0] + self.rng.normal(0, 0.02, k), self.rng.uniform(minx, maxx, k)
            )
            lat = np.where(
                near, c[:, 1] + self.rng.normal(0, 0.02, k), self.rng.uniform(miny, maxy, k)
            )
            inside = self.city.locator.locate_many(lon, lat).inside
            lon_parts.append(lon[inside])
            lat_parts.append(lat[inside])
            have += int(inside.sum())
        lon, lat = np.concatenate(lon_parts)[:m], np.concatenate(lat_parts)[:m]
        return lon, lat, self.city.locator.locate_many(lon, lat)

    def chunks(self, size: int = 200_000) -> Iterator[list[tuple[Any, ...]]]:
        for lo in range(0, self.n, size):
            yield self._chunk(lo, min(self.n, lo + size))

    def _chunk(self, lo: int, hi: int) -> list[tuple[Any, ...]]:
        m, rng = hi - lo, self.rng
        created = self.created[lo:hi]
        is_open = self.open[lo:hi]
        state = np.where(is_open, _pick(rng, OPEN_STATES, m), _pick(rng, ENDED_STATES, m))
        on_clock = np.isin(state, ON_THE_CLOCK)
        roll = rng.random(m)
        # once red or yellow an event keeps the colour until it is dispatched again
        supervision = np.where(roll < 0.1, "red", np.where(roll < 0.2, "yellow", "normal"))
        supervision = np.where(on_clock | ~is_open, supervision, "normal")
        type_idx = rng.choice(len(self.types), m, p=self.type_p)
        severity = _pick(rng, SEVERITIES, m)
        lon, lat, located = self._points(m)
        codes = {
            lvl: np.array([*located.codes(lvl), None], dtype=object)[located.index(lvl)]
            for lvl in (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)
        }
        dispatched = ~np.isin(state, ("reported", "triaged"))
        nan = np.full(m, np.nan)
        dispatched_at = np.where(dispatched, created + rng.uniform(300, 3600, m), nan)
        accept_by = np.where(dispatched, dispatched_at + 1800, nan)
        dispose_by = np.where(dispatched, dispatched_at + rng.uniform(1, 3, m) * 86400, nan)
        running = is_open & on_clock
        due = self.now + rng.uniform(3600, 48 * 3600, m)
        red = running & (supervision == "red")
        due_at = np.where(running & ~red, due, nan)
        warn_at = np.where(running & (supervision == "normal"), due - 1800, nan)
        late = np.minimum(self.now - rng.uniform(600, 5 * 86400, m), accept_by)
        accept_by = np.where(running & ~red & (state == "dispatched"), due, accept_by)
        dispose_by = np.where(running & ~red & (state != "dispatched"), due, dispose_by)
        accept_by = np.where(red & (state == "dispatched"), late, accept_by)
        dispose_by = np.where(red & (state != "dispatched"), late, dispose_by)
        updated = np.where(
            is_open,
            np.maximum(created, self.now - rng.uniform(0, 2 * 86400, m)),
            np.minimum(created + rng.uniform(3600, 5 * 86400, m), self.now - 60),
        )
        source = _pick(rng, SOURCES, m)
        cells = (np.floor((lon + 180) * CELLS_PER_DEGREE).astype(np.int64) * ROW) + np.floor(
            (lat + 90) * CELLS_PER_DEGREE
        ).astype(np.int64)
        tail = rng.integers(0, 2**48, m)
        stamps = {
            name: _stamp(col)
            for name, col in (
                ("created", created),
                ("updated", updated),
                ("accept", accept_by),
                ("dispose", dispose_by),
                ("dispatched", dispatched_at),
                ("warn", warn_at),
                ("due", due_at),
            )
        }
        types = np.array(self.types, dtype=object)[type_idx]
        names = np.array([self.city.event_types[tc].name_zh for tc in self.types], dtype=object)
        levels = np.array(
            [self._level(str(tc), str(sv)) for tc, sv in zip(types, severity, strict=True)],
            dtype=object,
        )
        district = codes[Level.DISTRICT]
        leads = [
            self._lead(tc, lv, d) if go else None
            for tc, lv, d, go in zip(
                types.tolist(), levels.tolist(), district.tolist(), dispatched.tolist(), strict=True
            )
        ]
        days = np.datetime_as_string(self.day[lo:hi].astype("datetime64[D]")).tolist()
        prefix = f"{self.city.code}-"
        ids = [
            f"{i:08x}-0000-4000-8000-{t:012x}"
            for i, t in zip(range(lo, hi), tail.tolist(), strict=True)
        ]
        refs = [
            f"{prefix}{d.replace('-', '')}-{q:06d}"
            for d, q in zip(days, self.seq[lo:hi].tolist(), strict=True)
        ]
        empty = ["[]"] * m
        columns: list[list[Any]] = [
            ids,
            refs,
            source.tolist(),
            types.tolist(),
            severity.tolist(),
            names[type_idx].tolist(),
            [""] * m,
            state.tolist(),
            lon.tolist(),
            lat.tolist(),
            codes[Level.CITY].tolist(),
            district.tolist(),
            codes[Level.STREET].tolist(),
            codes[Level.COMMUNITY].tolist(),
            codes[Level.GRID].tolist(),
            leads,
            empty,
            levels.tolist(),
            stamps["accept"],
            stamps["dispose"],
            empty,
            empty,
            empty,
            empty,
            empty,
            stamps["dispatched"],
            stamps["warn"],
            stamps["due"],
            supervision.tolist(),
            stamps["created"],
            stamps["updated"],
            [1] * m,
            cells.tolist(),
        ]
        return list(zip(*columns, strict=True))


def bulk_load(path: str, gen: Generator) -> None:
    """Insert the generated events into a migrated SQLite file: without journal, secondary
    indexes dropped during the load and built once at the end."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA threads=2")  # index builds sort with a helper thread
        indexes = [
            (name, sql)
            for name, sql in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'events' AND sql IS NOT NULL"
            )
        ]
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        insert = (
            f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        )
        for rows in gen.chunks():
            conn.execute("BEGIN")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
