"""Every shipped scenario against one real server (`cityloop serve` on a fresh SQLite database)
whose clock runs 300 times faster: the scenarios run at once, each in its own district and event
types, and each must meet every expectation of its file (lost == 0 among them)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cityloop.city import City
from cityloop.sim.runner import run_scenario
from cityloop.sim.schema import load_scenarios
from cityloop.sim.server import local_server

SPEED = 300.0
SCENARIOS = load_scenarios()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outcomes(demo_city_dir: Path, demo_city: City, model_dir: Path) -> Iterator[dict[str, Any]]:
    with (
        local_server(demo_city_dir, SPEED, model_dir=model_dir) as url,
        ThreadPoolExecutor(len(SCENARIOS)) as pool,
    ):
        futures = {
            sid: pool.submit(
                run_scenario, s, demo_city_dir, url, city=demo_city, wall_limit_s=120.0
            )
            for sid, s in SCENARIOS.items()
        }
        found = {sid: f.result() for sid, f in futures.items()}
    out = os.environ.get("CITYLOOP_SCENARIO_OUTCOMES")  # where to keep them, if asked
    if out:
        Path(out).write_text(json.dumps(found, ensure_ascii=False, indent=1))
    yield found


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_the_scenario_meets_every_expectation(scenario_id: str, outcomes: dict[str, Any]) -> None:
    outcome = outcomes[scenario_id]
    failed = [e for e in outcome["expectations"] if not e["pass"]]
    assert not failed, json.dumps(outcome, ensure_ascii=False)
    assert outcome["measured"]["lost"] == 0
    assert outcome["measured"]["points_accounted"] == SCENARIOS[scenario_id].truth.points
    assert outcome["clock_speed"] == SPEED
