"""Every shipped scenario against one real server (`cityloop serve` on a fresh SQLite database)
whose clock runs 300 times faster: the scenarios run one after the other, each in its own
district and event types, and each must meet every expectation of its file (lost == 0 among
them)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cityloop.city import City
from cityloop.sim.runner import run_scenario
from cityloop.sim.schema import load_scenarios
from cityloop.sim.server import local_server

SPEED = 300.0
SCENARIOS = load_scenarios()

#: Scenarios that do not yet meet every expectation of their file, with what was measured
#: (issue #8 stays open until they do). They are skipped, visibly, rather than loosened.
NOT_YET_MET: dict[str, str] = {}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outcomes(demo_city_dir: Path, demo_city: City, model_dir: Path) -> dict[str, Any]:
    # One after the other: run at once on a loaded 2-core machine, the scenarios starve each
    # other and the server (sensors then look silent to it), see docs/simulation.md.
    with local_server(demo_city_dir, SPEED, model_dir=model_dir, stepped=True) as url:
        found = {
            sid: run_scenario(s, demo_city_dir, url, city=demo_city, wall_limit_s=180.0)
            for sid, s in SCENARIOS.items()
            if sid not in NOT_YET_MET
        }
    out = os.environ.get("CITYLOOP_SCENARIO_OUTCOMES")  # where to keep them, if asked
    if out:
        Path(out).write_text(json.dumps(found, ensure_ascii=False, indent=1))
    return found


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_the_scenario_meets_every_expectation(
    scenario_id: str, request: pytest.FixtureRequest
) -> None:
    if scenario_id in NOT_YET_MET:
        pytest.skip(f"not yet met: {NOT_YET_MET[scenario_id]}")
    outcomes: dict[str, Any] = request.getfixturevalue("outcomes")
    outcome = outcomes[scenario_id]
    failed = [e for e in outcome["expectations"] if not e["pass"]]
    assert not failed, json.dumps(outcome, ensure_ascii=False)
    assert outcome["measured"]["lost"] == 0
    assert outcome["measured"]["points_accounted"] == SCENARIOS[scenario_id].truth.points
    assert outcome["clock_speed"] == SPEED
