"""`cityloop worker …`: the processes that share the work when the bus is NATS.

Each runs in the foreground until SIGTERM or SIGINT, then hands its work back (checkpoints,
releases its leases) and exits. Run any number of each, on any machines that reach the same
NATS and database.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cityloop.settings import Settings

worker_app = typer.Typer(
    help="Workers for a NATS bus (CITYLOOP_BUS=nats://…): telemetry, intake, relay.",
    no_args_is_help=True,
)
console = Console(stderr=True)

CityOpt = Annotated[Path | None, typer.Option("--city", help="City folder.", file_okay=False)]
DbOpt = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL.")]
BusOpt = Annotated[str | None, typer.Option("--bus", help="NATS URL (default $CITYLOOP_BUS).")]


def _settings(city: Path | None, database_url: str | None, bus: str | None) -> Settings:
    settings = Settings()
    if city is not None:
        settings.city = city
    if database_url is not None:
        settings.database_url = database_url
    if bus is not None:
        settings.bus = bus
    if settings.bus == "memory":
        console.print("[red]a worker needs a NATS bus: set CITYLOOP_BUS=nats://host:4222[/]")
        raise typer.Exit(2)
    settings.background = False
    settings.seed_demo_users = False  # `cityloop serve` seeds them; workers only work
    return settings


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")


def _run_async(main: object) -> None:
    """Run `main(stop)` until SIGTERM/SIGINT sets `stop`."""

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        assert callable(main)
        await main(stop)

    asyncio.run(runner())


@worker_app.command("telemetry")
def worker_telemetry(city: CityOpt = None, database_url: DbOpt = None, bus: BusOpt = None) -> None:
    """Judge the readings of the districts this worker leases (restored from checkpoints)."""
    from cityloop.bootstrap import bootstrap

    _logging()
    container = bootstrap(_settings(city, database_url, bus))
    worker = container.telemetry_worker()
    if container.telemetry.available:  # load the sensors and rules before taking districts
        _ = container.telemetry.engine
        _ = container.city.locator
    console.print(
        f"telemetry worker {worker.processor.owner}: {len(worker.partitions)} partitions, "
        f"lease {container.settings.worker_lease_s:g} s"
    )
    try:
        _run_async(worker.run)
    finally:
        container.close()


@worker_app.command("intake")
def worker_intake(city: CityOpt = None, database_url: DbOpt = None, bus: BusOpt = None) -> None:
    """Take intake commands (reports) off the shared work queue and process them."""
    from cityloop.bootstrap import bootstrap

    _logging()
    container = bootstrap(_settings(city, database_url, bus))
    worker = container.intake_worker()
    console.print("intake worker on the shared queue")
    try:
        _run_async(worker.run)
    finally:
        container.close()


@worker_app.command("relay")
def worker_relay(city: CityOpt = None, database_url: DbOpt = None, bus: BusOpt = None) -> None:
    """Relay the outbox to the bus and run the background rounds (deadlines, plans,
    notifications, missing events); of several relays one leads, the others stand by."""
    from cityloop.api.background import BackgroundWorker
    from cityloop.bootstrap import bootstrap

    _logging()
    container = bootstrap(_settings(city, database_url, bus))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    container.follow_vital_signs()  # the vital signs it samples come from the telemetry stream
    background = BackgroundWorker(container)
    background.start()
    console.print("relay worker: outbox → bus, background rounds")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        background.stop()
        container.close()
