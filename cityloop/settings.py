"""One typed settings object, read from ``CITYLOOP_*`` environment variables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of a CityLoop process; see docs/settings in the README."""

    model_config = SettingsConfigDict(env_prefix="CITYLOOP_", extra="ignore")

    database_url: str = Field(
        "sqlite:///./var/cityloop.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    postgis: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Spatial queries on PostGIS: 'auto' when the PostgreSQL database has it or "
        "can create it, 'on' always (start fails when it cannot), 'off' never (indexed "
        "lon/lat boxes, as on SQLite).",
    )
    city: Path = Field(Path("var/demo-city"), description="The city folder to serve.")
    secret_key: str | None = Field(
        None,
        description="Key that signs login tokens; when unset, one is made and kept in var/.",
    )
    secret_file: Path = Field(Path("var/secret.key"), description="Where a made key is kept.")
    token_ttl_minutes: int = Field(8 * 60, ge=1, description="How long a login token lasts.")
    seed_demo_users: bool = Field(
        True, description="Create the city's users.yaml accounts when they do not exist."
    )
    dedup_radius_m: float = Field(
        200.0, gt=0, description="Reports of one type this close to an open event join it."
    )
    dedup_window_hours: float = Field(
        24.0, gt=0, description="…if the event was reported within this many hours."
    )
    triage_confidence: float = Field(
        0.6, ge=0, le=1, description="Below this classifier confidence, a person triages."
    )
    upload_dir: Path = Field(Path("var/uploads"), description="Where attachments are kept.")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL in links sent to citizens (rating)."
    )
    webhook_urls: list[str] = Field(
        default_factory=list, description="URLs that receive every notification as JSON."
    )
    supervision_interval_s: float = Field(
        15.0, gt=0, description="How often deadlines are checked (reminders, escalation)."
    )
    vitals_minute_days: float = Field(
        7.0, gt=0, description="How long per-minute vital-sign samples are kept, in days."
    )
    vitals_hour_days: float = Field(
        365.0, gt=0, description="How long per-hour vital-sign samples are kept, in days."
    )
    background: bool = Field(
        True,
        description="Run the outbox relay, deadline checks and deliveries inside the server.",
    )
    bench_endpoints: bool = Field(
        False, description="Serve the baseline endpoints `cityloop bench` compares against."
    )
    model_dir: Path | None = Field(
        None, description="Where the trained classifier is kept (default var/models/<city>)."
    )
    gil_switch_interval_ms: float = Field(
        20.0,
        gt=0,
        description="How long, in ms, a server thread may hold the GIL before handing it "
        "over (CPython's default is 5; 5 restores it); longer stops the event loop and the "
        "store's writer thread trading it back and forth (see cityloop/api/switching.py).",
    )
    intake_process: bool = Field(
        True,
        description="`cityloop serve` stores reports in a process of its own beside the server "
        "processes (classification, location, de-duplication, routing, the commit), so that "
        "the server's event loop keeps a core to itself (see cityloop/adapters/intake_process)."
        " Off: each server process stores its own.",
    )
    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(8000, description="Port the server listens on.")
    bus: str = Field(
        "memory",
        description="The message bus: 'memory' (in-process) or a NATS URL such as "
        "nats://127.0.0.1:4222 (JetStream; workers do telemetry, intake and relay).",
    )
    bus_prefix: str = Field(
        "cityloop",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="First token of the NATS subjects and name of the streams and buckets.",
    )
    worker_lease_s: float = Field(
        6.0,
        gt=0,
        description="A telemetry partition whose owner stops renewing moves to another worker "
        "after this many seconds.",
    )
    checkpoint_interval_s: float = Field(
        5.0, gt=0, description="How often a telemetry worker checkpoints a quiet partition."
    )
    map_tile_url: str | None = Field(
        None,
        description="An XYZ tile URL template ({z}/{x}/{y}) drawn under the map; none by default"
        " (the map is drawn from the city's jurisdiction polygons).",
    )
    clock_speed: float = Field(
        1.0,
        gt=0,
        description="Simulated time runs this many times faster than the wall clock "
        "(scenarios and demos; 1 is real time).",
    )
    clock_stepped: bool = Field(
        False,
        description="Time stands still and moves only when the admin advances it "
        "(`POST /api/v1/admin/clock`), each step followed by one round of background work: "
        "scenario runs whose outcome must not depend on the machine's load. Never in production.",
    )
    clock_origin: datetime | None = Field(
        None,
        description="Wall-clock instant from which simulated time runs faster (ISO 8601; "
        "default: when the process starts). Give every worker the same one.",
    )
