"""The app factory for `cityloop serve --workers N`: each worker process builds its own app.

The serving command has already migrated the database, seeded the demo users and started the
intake process; it passes the settings, and where the intake process listens, through the
environment (`CITYLOOP_*`), which `Settings()` and `store_through_environ` read here.
"""

from __future__ import annotations

from fastapi import FastAPI

from cityloop.adapters.intake_process.client import store_through_environ
from cityloop.api.app import create_app
from cityloop.bootstrap import bootstrap
from cityloop.settings import Settings


def create() -> FastAPI:
    settings = Settings()
    container = bootstrap(settings, migrate=False)
    container.warm_up()
    store_through_environ(container.batcher, container.clock)
    return create_app(container, background=settings.background)
