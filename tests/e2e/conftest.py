"""An HTTP client on a real server stack (SQLite file database, the demo city)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.bootstrap import Container, bootstrap
from cityloop.city import City
from cityloop.domain.clock import FixedClock
from cityloop.settings import Settings
from tests.services import fresh_postgres_database

PASSWORD = "cityloop-demo"


class Api:
    """A test client that logs in as demo users and remembers their tokens."""

    def __init__(self, client: TestClient, container: Container) -> None:
        self.client = client
        self.container = container
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            r = self.client.post(
                "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return self._tokens[username]

    def as_(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def get(self, path: str, user: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=self.as_(user), **kw)  # type: ignore[arg-type]

    def post(self, path: str, user: str, json: object = None):  # type: ignore[no-untyped-def]
        return self.client.post(path, headers=self.as_(user), json=json or {})

    def point_in(self, code: str) -> tuple[float, float]:
        p = self.container.city.jurisdictions[code].geometry.representative_point()
        return (p.x, p.y)


def make_container(
    city: City, db: Path, clock: FixedClock, models: Path, url: str | None = None
) -> Container:
    settings = Settings(
        database_url=url or f"sqlite:///{db}",
        city=city.root,
        secret_key="test-secret-key-for-signing-tokens-0123456789",
        model_dir=models,
        upload_dir=db.parent / "uploads",
    )
    return bootstrap(settings, city=city, clock=clock)


@pytest.fixture(scope="module")
def module_clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(scope="module")
def api(
    demo_city: City,
    tmp_path_factory: pytest.TempPathFactory,
    module_clock: FixedClock,
    model_dir: Path,
) -> Iterator[Api]:
    db = tmp_path_factory.mktemp("db") / "c.db"
    if os.environ.get("CITYLOOP_TEST_E2E_DB") == "postgres":
        with fresh_postgres_database() as url:
            container = make_container(demo_city, db, module_clock, model_dir, url)
            with TestClient(create_app(container, background=False)) as client:
                yield Api(client, container)
            container.close()
        return
    container = make_container(demo_city, db, module_clock, model_dir)
    with TestClient(create_app(container, background=False)) as client:
        yield Api(client, container)
    container.close()
