"""The application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from cityloop import __version__
from cityloop.api import problems
from cityloop.api.background import BackgroundWorker
from cityloop.api.collector import CollectorWatch
from cityloop.api.limits import BodyLimit
from cityloop.api.open311 import routes as open311_routes
from cityloop.api.open311.render import Open311Error, render_errors
from cityloop.api.routes import auth, cap, citizen, events, intake, loop, perception, reference
from cityloop.api.routes import clock as clock_routes
from cityloop.api.routes import dashboard as dashboard_routes
from cityloop.api.routes import emerging as emerging_routes
from cityloop.api.routes import evaluation as evaluation_routes
from cityloop.api.routes import plans as plan_routes
from cityloop.api.routes import replay as replay_routes
from cityloop.api.routes import reviews as review_routes
from cityloop.api.switching import switch_interval
from cityloop.bootstrap import Container
from cityloop.web import install as install_web

API_PREFIX = "/api/v1"


async def _watch(watch: CollectorWatch, every_s: float = 0.5) -> None:
    while True:
        await asyncio.sleep(every_s)
        watch.maybe_freeze()


def create_app(container: Container, *, background: bool = True) -> FastAPI:
    """A FastAPI app serving ``container``'s city; OpenAPI at /openapi.json.

    With ``background`` the app runs the outbox relay, the deadline supervisor and the
    notification delivery in a worker thread while it serves (tests drive them by hand).
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # the event loop and the writer thread each run their stretch (see switching.py)
        with switch_interval(container.settings.gil_switch_interval_ms):
            worker = BackgroundWorker(container) if background else None
            if worker is not None:
                worker.start()
            watch = CollectorWatch()  # full garbage collections kept short (see collector.py)
            watch.install()
            watching = asyncio.create_task(_watch(watch))
            try:
                yield
            finally:
                watching.cancel()
                watch.uninstall()
                if worker is not None:
                    worker.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="CityLoop",
        version=__version__,
        summary=f"City operation and governance centre — {container.city.name_en}",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.container = container
    app.add_middleware(BodyLimit)
    problems.install(app)
    # Routers are tried in order, and every route of a router passed over costs a match
    # (FastAPI 0.165: 95 µs to reach the grid reports behind three routers, 200 µs for
    # Open311's requests behind all of /api/v1): the intake channels, the hot paths of the
    # city, come first. Their paths are their own, so the order changes no answer.
    app.include_router(intake.router, prefix=API_PREFIX)
    app.include_router(open311_routes.router)
    routers = (auth, reference, events, loop, citizen, perception, plan_routes)
    for module in (*routers, replay_routes, review_routes, dashboard_routes, clock_routes):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(cap.router)
    app.include_router(evaluation_routes.router)
    app.include_router(emerging_routes.router)
    install_web(app, container)

    @app.exception_handler(Open311Error)
    async def _open311(request: Request, exc: Open311Error) -> Response:
        return render_errors(exc.status, [(exc.status, exc.description)], exc.fmt)

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    def healthz() -> dict[str, str | float]:
        return {
            "status": "ok",
            "city": container.city.code,
            "time": container.clock.now().isoformat(),
            "clock_speed": container.settings.clock_speed,
            "clock": "stepped" if container.settings.clock_stepped else "running",
            "intake": "intake process" if container.batcher.stores_elsewhere else "in process",
        }

    return app
