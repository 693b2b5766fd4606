"""The one place where adapters are chosen and wired together."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.migrate import upgrade
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.city import City, load_city
from cityloop.domain.clock import Clock, SystemClock
from cityloop.services.auth import AuthService
from cityloop.services.handlers import Handlers
from cityloop.services.messagebus import MessageBus
from cityloop.services.ports import UnitOfWork
from cityloop.settings import Settings


@dataclass
class Container:
    """Everything a running CityLoop needs, built once per process."""

    settings: Settings
    city: City
    clock: Clock
    engine: Engine
    handlers: Handlers
    bus: MessageBus
    auth: AuthService

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.engine)

    def reader(self) -> UnitOfWork:
        """A unit of work for reads only (no write lock on SQLite)."""
        return SqlUnitOfWork(self.engine, write=False)

    def close(self) -> None:
        self.engine.dispose()


def _secret(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.secret_file
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def bootstrap(
    settings: Settings | None = None,
    *,
    city: City | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
) -> Container:
    """Build the application: load the city, open and migrate the database, wire services."""
    settings = settings or Settings()
    city = city or load_city(settings.city)
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    if migrate:
        upgrade(engine)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    handlers = Handlers(uow, city, clock)
    bus = MessageBus(handlers, uow, clock)
    auth = AuthService(
        uow, city, clock, _secret(settings), timedelta(minutes=settings.token_ttl_minutes)
    )
    if settings.seed_demo_users:
        auth.seed_demo_users()
    return Container(settings, city, clock, engine, handlers, bus, auth)
