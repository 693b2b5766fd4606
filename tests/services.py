"""External services for tests: PostgreSQL, NATS, Chromium.

Without CITYLOOP_REQUIRE_ALL a test whose service is missing is skipped with a one-line notice
saying what to install; with CITYLOOP_REQUIRE_ALL=1 (CI) it fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "CITYLOOP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def require_all() -> bool:
    return os.environ.get("CITYLOOP_REQUIRE_ALL", "") not in ("", "0", "false", "no")


def missing(service: str, how: str) -> None:
    """Skip (or, under CITYLOOP_REQUIRE_ALL, fail) because ``service`` is not reachable."""
    message = f"{service} is not available: {how}"
    if require_all():
        pytest.fail(f"CITYLOOP_REQUIRE_ALL is set and {message}", pytrace=False)
    pytest.skip(message)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"cityloop_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        missing(
            "PostgreSQL",
            "install and start postgresql on 127.0.0.1:5432 (or set CITYLOOP_TEST_PG_URL)"
            f" — {str(exc).splitlines()[0]}",
        )
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


NATS_URL = os.environ.get("CITYLOOP_TEST_NATS_URL", "nats://127.0.0.1:4222")


def require_nats() -> str:
    """The URL of a reachable NATS server, or skip (fail under CITYLOOP_REQUIRE_ALL)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(NATS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), 2):
            pass
    except OSError as exc:
        missing(
            "NATS",
            "install nats-server and start it with JetStream (-js) on 127.0.0.1:4222"
            f" (or set CITYLOOP_TEST_NATS_URL) — {exc}",
        )
    return NATS_URL


@contextmanager
def fresh_nats_prefix() -> Iterator[tuple[str, str]]:
    """(NATS URL, a unique bus prefix); the prefix's streams and buckets are deleted after."""
    import asyncio

    import nats

    from cityloop.adapters.nats.names import BusNames
    from cityloop.adapters.nats.setup import delete_all

    url = require_nats()
    prefix = f"test{uuid.uuid4().hex[:12]}"

    async def clean() -> None:
        nc = await nats.connect(url)
        try:
            await delete_all(nc.jetstream(), BusNames(prefix))
        finally:
            await nc.close()

    try:
        yield url, prefix
    finally:
        asyncio.run(clean())
