"""The app factory for `cityloop serve --workers N`: each worker process builds its own app.

The serving command has already migrated the database and seeded the demo users; it passes the
settings through the environment (`CITYLOOP_*`), which `Settings()` reads here.
"""

from __future__ import annotations

from fastapi import FastAPI

from cityloop.api.app import create_app
from cityloop.bootstrap import bootstrap
from cityloop.settings import Settings


def create() -> FastAPI:
    settings = Settings()
    container = bootstrap(settings, migrate=False)
    container.warm_up()
    return create_app(container, background=settings.background)
