"""`bench queries` loads synthetic events in bulk and times the dashboard over a real server."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from cityloop.adapters.sql import tables as t
from cityloop.adapters.sql.engine import create_engine
from cityloop.bench.queries import FIRST_PAINT, run_queries_bench
from tests.services import missing


@pytest.mark.slow
def test_the_bench_loads_the_events_and_times_every_call(
    demo_city_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "bench.db"
    result = run_queries_bench(
        demo_city_dir, events=3000, open_events=600, repeat=2, db_file=db, browser_loads=1
    )
    assert result["bench"] == "queries"
    assert result["events"] == 3000
    assert result["errors"] == {}
    assert set(FIRST_PAINT) <= set(result["per_call"])
    assert result["latency_ms"]["p95"] >= result["latency_ms"]["p50"] > 0
    assert result["load_s"] is not None
    opened = result["browser_open_ms"]  # Chromium opened the operations centre
    if opened is None:
        missing("Chromium for the bench", result["browser_skipped"])
    assert opened["loads"] == 1
    assert opened["max"] >= opened["p50"] > 0
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            e = t.events.c
            assert conn.execute(sa.select(sa.func.count()).select_from(t.events)).scalar() == 3000
            open_n = conn.execute(
                sa.select(sa.func.count()).where(e.state.not_in(("closed", "merged", "cancelled")))
            ).scalar()
            assert open_n == 600
            red = conn.execute(
                sa.select(sa.func.count()).where(e.supervision == "red", e.state == "in_progress")
            ).scalar()
            assert red
    finally:
        engine.dispose()
    again = run_queries_bench(demo_city_dir, events=3000, open_events=600, repeat=1, db_file=db)
    assert again["load_s"] is None  # the kept file is measured again, not reloaded
