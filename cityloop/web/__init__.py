"""The web UI: server-rendered pages (Jinja2) with local static JS and CSS, and the live stream.

Nothing is loaded from the internet: the map is drawn from the city's own jurisdiction polygons
on a canvas; a tile URL may be configured (``CITYLOOP_MAP_TILE_URL``) where a city has one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cityloop.bootstrap import Container
from cityloop.services.live import LiveFeed

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, container: Container) -> None:
    """Serve the pages, the static assets, the live stream and the map layers on ``app``."""
    from cityloop.web import layers, live_routes, pages, portal

    app.state.live = LiveFeed(container.engine, container.reader, container.city)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.include_router(live_routes.router, prefix="/api/v1")
    app.include_router(layers.router, prefix="/api/v1")
    app.include_router(portal.router)
    app.include_router(pages.router)
