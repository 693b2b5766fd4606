"""A server holds the GIL switch interval at its setting while it runs, and restores it after."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.bootstrap import bootstrap
from cityloop.city import City
from cityloop.settings import Settings


def test_the_server_runs_with_its_switch_interval_and_gives_the_old_one_back(
    demo_city: City, tmp_path: Path, model_dir: Path
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'c.db'}",
        city=demo_city.root,
        secret_key="test-secret-key-for-signing-tokens-0123456789",
        model_dir=model_dir,
        upload_dir=tmp_path / "uploads",
        gil_switch_interval_ms=35,
    )
    before = sys.getswitchinterval()
    container = bootstrap(settings, city=demo_city)
    try:
        with TestClient(create_app(container, background=False)) as client:
            assert client.get("/healthz").status_code == 200
            assert sys.getswitchinterval() == pytest.approx(0.035)
    finally:
        container.close()
    assert sys.getswitchinterval() == before


def test_the_default_is_twenty_milliseconds() -> None:
    assert Settings().gil_switch_interval_ms == 20.0
