"""Fixtures shared by every test: the demo city, databases, a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cityloop.city import City, load_city
from cityloop.city.generate import generate_city
from cityloop.domain.clock import FixedClock
from tests.services import fresh_postgres_database


@pytest.fixture(scope="session")
def demo_city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city Yuzhou, generated once per test session."""
    out = tmp_path_factory.mktemp("demo-city")
    generate_city(out, seed=2026)
    return out


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the demo city's classifier is trained once and then shared by every test."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def demo_city(demo_city_dir: Path) -> City:
    return load_city(demo_city_dir)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cityloop.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url
