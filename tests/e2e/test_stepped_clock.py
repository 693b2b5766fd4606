"""The stepped clock of scenario runs: time stands still until the admin moves it on, and each
step runs one round of background work at the new time (here: a deadline reminded, then
overdue)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.bootstrap import bootstrap
from cityloop.city import City
from cityloop.settings import Settings
from tests.e2e.conftest import Api
from tests.e2e.test_closed_loop import dispatched_event

ORIGIN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def stepped(demo_city: City, tmp_path: Path, model_dir: Path) -> Iterator[Api]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'c.db'}",
        city=demo_city.root,
        secret_key="test-secret-key-for-signing-tokens-0123456789",
        model_dir=model_dir,
        upload_dir=tmp_path / "uploads",
        clock_stepped=True,
        clock_origin=ORIGIN,
    )
    container = bootstrap(settings, city=demo_city)
    with TestClient(create_app(container, background=False)) as client:
        yield Api(client, container)
    container.close()


def _actions(api: Api, eid: str) -> list[str]:
    return [x["action"] for x in api.get(f"/api/v1/events/{eid}/timeline", "admin").json()]


def test_time_stands_still_until_the_admin_steps_it_and_each_step_does_the_rounds(
    stepped: Api,
) -> None:
    api = stepped
    health = api.client.get("/healthz").json()
    assert (health["clock"], health["time"]) == ("stepped", ORIGIN.isoformat())
    eid = dispatched_event(api, "YZ01S01", "UM01", "占道经营 stepped clock")  # accept in 30 min
    assert api.client.get("/healthz").json()["time"] == ORIGIN.isoformat()

    r = api.post("/api/v1/admin/clock", "admin", {"seconds": 23 * 60})  # 75 % of the limit
    assert r.status_code == 200, r.text
    assert r.json()["time"] == "2026-12-01T08:23:00+00:00"
    assert r.json()["ticked"] is True  # at least supervision_interval_s × speed since the last
    assert "remind" in _actions(api, eid)
    assert "overdue" not in _actions(api, eid)
    api.post("/api/v1/admin/clock", "admin", {"seconds": 8 * 60})
    assert "overdue" in _actions(api, eid)
    red = api.get("/api/v1/supervision", "yz01s01_op", params={"color": "red"}).json()
    assert eid in {e["id"] for e in red["items"]}

    assert api.post("/api/v1/admin/clock", "city_op", {"seconds": 60}).status_code == 403
    assert api.post("/api/v1/admin/clock", "admin", {"seconds": 0}).status_code == 422
    assert api.post("/api/v1/admin/clock", "admin", {"seconds": -5}).status_code == 422
    assert api.client.get("/healthz").json()["time"] == "2026-12-01T08:31:00+00:00"


def test_a_running_clock_cannot_be_stepped(api: Api) -> None:
    r = api.post("/api/v1/admin/clock", "admin", {"seconds": 60})
    assert r.status_code == 422
    assert "CITYLOOP_CLOCK_STEPPED" in r.json()["detail"]
    assert api.client.get("/healthz").json()["clock"] == "running"
