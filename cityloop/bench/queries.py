"""`cityloop bench queries`: the dashboard's reads over HTTP on millions of stored events.

N synthetic events (``synthetic_events.py``) are bulk-loaded into a fresh SQLite file, the
counters rebuilt from them, then a real server is started on it and each dashboard call is
timed one request at a time as the city, a district and a street operator: vital signs, counts
by type, state and territory, the overdue list, map viewports, event pages, recent changes.
``first_paint_ms`` adds up the median latencies of the operations centre's opening calls
(they run one after another here; a browser sends them at once); ``browser_open_ms`` is the
operations centre opened in Chromium as the city operator until every panel is drawn (when
Playwright and Chromium are there; else ``browser_skipped`` says why).
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np

from cityloop.adapters.sql.counters import rebuild
from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade
from cityloop.bench.browser import ops_open_ms
from cityloop.bench.intake import _free_port, _launch, _login, _wait
from cityloop.bench.synthetic_events import Generator, bulk_load
from cityloop.city import City, load_city

#: The calls the operations centre makes when it opens (city operator).
FIRST_PAINT = (
    "vital_signs_city",
    "counts_type",
    "counts_state",
    "map_city",
    "overdue",
    "stream_recent",
    "events_page",
)


def _calls(city: City, next_cursor: str | None) -> dict[str, tuple[str, str]]:
    """name → (user, path)."""
    minx, miny, maxx, maxy = city.city_jurisdiction.geometry.bounds
    street = city.jurisdictions["YZ01S01"].geometry.representative_point()
    d = 0.01  # a street-level viewport, about 2 km across
    near = f"{street.x - d},{street.y - d},{street.x + d},{street.y + d}"
    calls = {
        "vital_signs_city": ("city_op", "/api/v1/vital-signs"),
        "vital_signs_district": ("yz01_op", "/api/v1/vital-signs"),
        "counts_type": ("city_op", "/api/v1/dashboard/counts?by=type&open=true"),
        "counts_state": ("city_op", "/api/v1/dashboard/counts?by=state"),
        "counts_district": ("city_op", "/api/v1/dashboard/counts?by=district&open=true"),
        "counts_street_of_district": ("yz01_op", "/api/v1/dashboard/counts?by=street"),
        "overdue": ("city_op", "/api/v1/dashboard/overdue?limit=50"),
        "overdue_district": ("yz01_op", "/api/v1/dashboard/overdue?limit=50"),
        "map_city": (
            "city_op",
            "/api/v1/dashboard/map?"
            + urlencode({"bbox": f"{minx},{miny},{maxx},{maxy}", "zoom": 11}),
        ),
        "map_street_zoomed_in": (
            "yz01s01_op",
            "/api/v1/dashboard/map?" + urlencode({"bbox": near, "zoom": 16}),
        ),
        "map_heat_all_states": (
            "city_op",
            "/api/v1/dashboard/map?"
            + urlencode(
                {
                    "bbox": f"{minx},{miny},{maxx},{maxy}",
                    "zoom": 12,
                    "layer": "heat",
                    "state": "all",
                }
            ),
        ),
        "events_page": ("city_op", "/api/v1/events?limit=50"),
        "events_page_district": ("yz01_op", "/api/v1/events?limit=50"),
        "events_page_open_dispatched": ("city_op", "/api/v1/events?limit=50&state=dispatched"),
        "stream_recent": ("city_op", "/api/v1/dashboard/stream-recent?limit=50"),
    }
    if next_cursor:
        calls["events_page_2"] = ("city_op", f"/api/v1/events?limit=50&cursor={next_cursor}")
    return calls


def _get(conn: http.client.HTTPConnection, path: str, token: str) -> tuple[int, bytes, float]:
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    r = conn.getresponse()
    body = r.read()
    return r.status, body, time.perf_counter() - start


def _ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(values), q)) * 1000, 2)


def _stored(db: str) -> int:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            n = conn.exec_driver_sql(
                "SELECT COALESCE(SUM(n), 0) FROM event_counts WHERE area = '' AND dim = 'severity'"
            ).scalar()
        return int(n or 0)
    finally:
        engine.dispose()


def run_queries_bench(
    city_dir: Path,
    events: int = 10_000_000,
    open_events: int = 100_000,
    repeat: int = 20,
    seed: int = 0,
    db_file: Path | None = None,
    browser_loads: int = 5,
) -> dict[str, Any]:
    """With ``db_file`` the database is kept there, and a file that already holds the events
    (from an earlier run) is measured again without loading (``load_s`` is then null)."""
    city = load_city(city_dir)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(db_file) if db_file else f"{tmp}/bench.db"
        load_s: float | None = None
        if db_file is not None and db_file.exists():
            if _stored(db) != events:
                raise ValueError(f"{db_file} exists and does not hold {events} bench events")
        else:
            engine = create_engine(f"sqlite:///{db}")
            upgrade(engine)
            engine.dispose()
            started = time.perf_counter()
            bulk_load(db, Generator(city, events, open_events, seed))
            engine = create_engine(f"sqlite:///{db}")
            with engine.begin() as db_conn:
                rebuild(db_conn)
            engine.dispose()
            load_s = round(time.perf_counter() - started, 1)
        size_gb = os.path.getsize(db) / 1e9
        port = _free_port()
        env = {
            **os.environ,
            "CITYLOOP_DATABASE_URL": f"sqlite:///{db}",
            "CITYLOOP_SECRET_FILE": f"{tmp}/secret.key",
            "CITYLOOP_UPLOAD_DIR": f"{tmp}/uploads",
        }
        cmd = [sys.executable, "-m", "cityloop.cli", "serve", "--city", str(city_dir)]
        cmd += ["--port", str(port), "--no-access-log"]
        log = Path(tmp) / "server.log"
        proc = _launch(cmd, env, log)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base, proc, log, timeout_s=600)
            tokens = {
                u: _login(base, u, "cityloop-demo") for u in ("city_op", "yz01_op", "yz01s01_op")
            }
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            status, body, _ = _get(conn, "/api/v1/events?limit=50", tokens["city_op"])
            cursor = json.loads(body)["next_cursor"] if status == 200 else None
            calls = _calls(city, cursor)
            latencies: dict[str, list[float]] = {name: [] for name in calls}
            errors: dict[str, int] = {}
            sizes: dict[str, int] = {}
            for user, path in calls.values():  # warm: plans, caches, first compiles
                _get(conn, path, tokens[user])
            for _ in range(repeat):
                for name, (user, path) in calls.items():
                    status, body, took = _get(conn, path, tokens[user])
                    if status != 200:
                        errors[name] = errors.get(name, 0) + 1
                    latencies[name].append(took)
                    sizes[name] = len(body)
            conn.close()
            opened = (
                ops_open_ms(base, "city_op", "cityloop-demo", browser_loads)
                if browser_loads
                else {"skipped": "not asked (browser_loads=0)"}
            )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    every = [x for v in latencies.values() for x in v]
    per_call = {
        name: {"p50": _ms(v, 50), "p95": _ms(v, 95), "bytes": sizes.get(name, 0)}
        for name, v in latencies.items()
    }
    slowest = max(per_call, key=lambda k: per_call[k]["p95"])
    return {
        "bench": "queries",
        "events": events,
        "open_events": min(open_events, events),
        "load_s": load_s,
        "db_gb": round(size_gb, 2),
        "latency_ms": {"p50": _ms(every, 50), "p95": _ms(every, 95)},
        "slowest": {"name": slowest, "p95": per_call[slowest]["p95"]},
        "first_paint_ms": round(sum(per_call[n]["p50"] for n in FIRST_PAINT), 1),
        "first_paint_p95_sum_ms": round(sum(per_call[n]["p95"] for n in FIRST_PAINT), 1),
        "browser_open_ms": None if "skipped" in opened else opened,
        **({"browser_skipped": opened["skipped"]} if "skipped" in opened else {}),
        "requests_per_call": repeat,
        "errors": errors,
        "per_call": per_call,
    }
