"""The one place where adapters are chosen and wired together."""

from __future__ import annotations

import gc
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from cityloop.adapters.nats.intake_worker import IntakeWorker
    from cityloop.adapters.nats.link import NatsLink
    from cityloop.adapters.nats.telemetry_worker import TelemetryWorker
    from cityloop.adapters.nats.vitals_feed import NatsVitalsFeed
    from cityloop.services.intake_commands import IntakeQueue

from cityloop.adapters.notify import WebhookSender
from cityloop.adapters.sql.engine import create_engine
from cityloop.adapters.sql.leader import AlwaysLeader, LeaderLock, leader_lock, relay_guard
from cityloop.adapters.sql.migrate import upgrade
from cityloop.adapters.sql.spatial import choose as choose_spatial
from cityloop.adapters.sql.unit_of_work import SqlUnitOfWork
from cityloop.city import City, load_city
from cityloop.city.open311 import load_open311
from cityloop.domain.clock import Clock, ScaledClock, SteppedClock, SystemClock
from cityloop.domain.report import Report
from cityloop.plans.service import PlanService
from cityloop.services.api_keys import ApiKeyService
from cityloop.services.auth import AuthService
from cityloop.services.citizen import CitizenService
from cityloop.services.dedup import DedupPolicy
from cityloop.services.handlers import Handlers
from cityloop.services.intake import IntakePipeline
from cityloop.services.intake_batch import IntakeBatcher, LoopGroupCommit
from cityloop.services.intake_ports import AddressLocator, TextClassifier
from cityloop.services.messagebus import MessageBus
from cityloop.services.notifications import LogSender, NotificationDispatcher, NotificationPolicy
from cityloop.services.ports import CommitPolicy, UnitOfWork
from cityloop.services.supervision import Supervisor
from cityloop.services.telemetry import TelemetryService
from cityloop.services.uploads import UploadService
from cityloop.services.vitals import VitalSigns
from cityloop.settings import Settings

log = logging.getLogger(__name__)


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
    intake: IntakePipeline
    api_keys: ApiKeyService
    uploads: UploadService
    supervisor: Supervisor
    notifier: NotificationDispatcher
    citizen: CitizenService
    batcher: IntakeBatcher
    telemetry: TelemetryService
    vitals: VitalSigns
    raw_reports: LoopGroupCommit[Report, Report]
    addresses: AddressLocator | None = None
    classifier: TextClassifier | None = None
    #: Held by the one process (of those serving this database) that does the background work.
    leader: LeaderLock = field(default_factory=AlwaysLeader)
    #: The NATS connection when the bus is NATS (`CITYLOOP_BUS=nats://…`).
    link: NatsLink | None = None
    #: Where bulk intake goes when the bus is NATS (the intake workers take it from there).
    intake_queue: IntakeQueue | None = None
    #: On NATS: the telemetry stream feeding this process's vital signs (`follow_vital_signs`).
    vitals_feed: NatsVitalsFeed | None = None
    #: What every write transaction does beside its own change (the notifications).
    policies: tuple[CommitPolicy, ...] = ()
    _ticking: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: The clock's time at the start of the last round of background work.
    last_tick: datetime | None = None

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.engine, policies=self.policies)

    def reader(self) -> UnitOfWork:
        """A unit of work for reads only (no write lock on SQLite)."""
        return SqlUnitOfWork(self.engine, write=False)

    @property
    def plans(self) -> PlanService:
        """Emergency plans: activation, tasks, resources (stateless; plan files are cached)."""
        return PlanService(self.city, self.clock, self.uow, self.reader)

    def lookup_address_id(self, code: str) -> tuple[float, float, str] | None:
        """(lon, lat, label) of a unified address code, if the city has an address table."""
        lookup = getattr(self.addresses, "lookup", None)
        if lookup is None:
            return None
        hit = lookup(code)
        return (hit.lon, hit.lat, hit.label) if hit is not None else None

    def warm_up(self, *, follow_vital_signs: bool = True, prepares: bool = True) -> None:
        """Load what the first requests would otherwise wait for: locator, model, addresses
        (and on NATS follow the telemetry stream, unless ``follow_vital_signs`` is off). A
        process that never classifies or reads addresses (``prepares`` off: the intake
        process, whose reports come prepared) leaves the model and the address table unread."""
        _ = self.city.locator
        if self.telemetry.available:
            _ = self.telemetry.engine
            if follow_vital_signs:
                self.follow_vital_signs()
        if prepares and self.classifier is not None:
            self.classifier.predict("warm up")
        if prepares and self.addresses is not None:
            self.addresses.match("warm up")
        # What is loaded now lives as long as the process: keep it out of the collector's
        # rounds, or every full collection walks the city, the model and the address table
        # (over 100 ms with the loop stopped: the intake bench's p99 fell from 290 to 120 ms).
        gc.collect()
        gc.freeze()

    def follow_vital_signs(self) -> None:
        """On the NATS bus, feed this process's vital signs from the telemetry stream (the
        readings are judged by the telemetry workers, not here). A no-op otherwise."""
        if self.link is None or self.vitals_feed is not None or not self.telemetry.available:
            return
        from cityloop.adapters.nats.vitals_feed import NatsVitalsFeed

        self.vitals_feed = NatsVitalsFeed(self.link, self.vitals, self.telemetry.engine.sensors)
        self.vitals_feed.start()

    def tick(self) -> None:
        """One round of background work: relay the outbox, check deadlines and stale sensors,
        evaluate emergency plans, deliver notifications (one round at a time)."""
        with self._ticking:
            self.last_tick = self.clock.now()
            self._tick()

    def _tick(self) -> None:
        self.bus.relay()
        self.supervisor.run_once()
        self.telemetry.tick()
        self.telemetry.create_missing_events()
        try:  # overdue plan tasks; plans whose conditions now hold
            self.plans.tick()
        except Exception:  # a plan problem must not stop notifications and vital signs
            log.exception("evaluating emergency plans failed")
        self.vitals.sample()
        self.bus.relay()
        self.notifier.deliver_pending()

    def close(self) -> None:
        self.batcher.stop()
        self.raw_reports.stop()
        if self.vitals_feed is not None:
            self.vitals_feed.stop()
        if self.link is not None:
            self.link.close()
        self.engine.dispose()

    def intake_worker(self) -> IntakeWorker:
        """A worker taking intake commands off the shared queue on the NATS bus."""
        from cityloop.adapters.nats.intake_worker import IntakeWorker
        from cityloop.adapters.nats.names import BusNames

        return IntakeWorker(self.settings.bus, BusNames(self.settings.bus_prefix), self.intake)

    def telemetry_worker(self, owner: str | None = None) -> TelemetryWorker:
        """A worker judging the telemetry partitions (districts) it leases on the NATS bus."""
        from cityloop.adapters.nats.names import BusNames
        from cityloop.adapters.nats.telemetry_worker import TelemetryWorker, worker_name
        from cityloop.adapters.sql.checkpoints import SqlCheckpointStore
        from cityloop.engine.areas import read_areas
        from cityloop.engine.rules.load import load_rules
        from cityloop.engine.sensors import load_sensor_table
        from cityloop.services.partitions import PartitionProcessor
        from cityloop.services.telemetry_routing import city_partitioning

        s = self.settings
        partitioning = city_partitioning(self.city, load_sensor_table(self.city.root))
        areas, _ = read_areas(self.city.root)
        processor = PartitionProcessor(
            self.telemetry,
            partitioning,
            load_rules(self.city.root),
            areas.areas if areas is not None else (),
            SqlCheckpointStore(self.engine),
            self.clock,
            owner or worker_name(),
            s.checkpoint_interval_s,
        )
        return TelemetryWorker(
            s.bus,
            BusNames(s.bus_prefix),
            processor,
            partitioning.names,
            s.worker_lease_s,
            s.supervision_interval_s,
        )


def _store_raw(uow: Callable[[], UnitOfWork], reports: list[Report]) -> list[Report]:
    """Store reports as received and nothing else (the intake benchmark's baseline)."""
    with uow() as u:
        u.reports.add_many(reports)
        u.commit()
    return reports


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


def default_classifier(city: City, settings: Settings) -> TextClassifier | None:
    """The city's trained classifier (trained from its corpus on first use), if it has one."""
    from cityloop.dispatch.classify.corpus import corpus_path
    from cityloop.dispatch.classify.service import ClassifierService

    if not corpus_path(city.root).is_file():
        return None
    return ClassifierService(city.root, settings.model_dir, settings.triage_confidence)


def default_addresses(city: City) -> AddressLocator | None:
    """The city's unified address table, if it has one."""
    from cityloop.dispatch.address.matcher import AddressMatcher

    if not (city.root / "addresses.csv").is_file():
        return None
    return AddressMatcher.from_city(city)


def settings_clock(settings: Settings) -> Clock:
    """The wall clock, a faster simulated one when `clock_speed` is not 1, or one that moves
    only when advanced (`clock_stepped`)."""
    if settings.clock_speed == 1.0 and not settings.clock_stepped:
        return SystemClock()
    origin = settings.clock_origin or datetime.now(UTC)
    if origin.tzinfo is None:
        origin = origin.replace(tzinfo=UTC)
    if settings.clock_stepped:
        return SteppedClock(origin)
    return ScaledClock(settings.clock_speed, origin)


def bootstrap(
    settings: Settings | None = None,
    *,
    city: City | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
    classifier: TextClassifier | None = None,
    addresses: AddressLocator | None = None,
) -> Container:
    """Build the application: load the city, open and migrate the database, wire services."""
    settings = settings or Settings()
    city = city or load_city(settings.city)
    clock = clock or settings_clock(settings)
    if classifier is None:
        classifier = default_classifier(city, settings)
    if addresses is None:
        addresses = default_addresses(city)
    engine = create_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    engine = choose_spatial(engine, settings.postgis, install_missing=migrate)

    notices = NotificationPolicy(city, clock, settings.public_url, settings.webhook_urls)
    policies = (notices,)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine, policies=policies)

    def reader() -> UnitOfWork:
        return SqlUnitOfWork(engine, write=False)

    handlers = Handlers(uow, city, clock)
    bus = MessageBus(handlers, uow, clock, reader, relay_guard(engine))
    link = _nats_link(settings)
    router = None
    intake_queue = None
    if link is not None:
        from cityloop.adapters.nats.publishers import (
            NatsIntakeQueue,
            NatsOutboxSink,
            NatsTelemetryForwarder,
        )
        from cityloop.services.telemetry_routing import TelemetryRouter

        bus.add_sink(NatsOutboxSink(link))
        router = TelemetryRouter(city, clock, NatsTelemetryForwarder(link))
        intake_queue = NatsIntakeQueue(link)
    notifier = NotificationDispatcher(
        uow,
        clock,
        {"sms": LogSender("sms"), "email": LogSender("email"), "webhook": WebhookSender()},
    )
    auth = AuthService(
        uow, city, clock, _secret(settings), timedelta(minutes=settings.token_ttl_minutes)
    )
    intake = IntakePipeline(
        uow,
        city,
        clock,
        classifier,
        addresses,
        DedupPolicy(settings.dedup_radius_m, timedelta(hours=settings.dedup_window_hours)),
    )
    api_keys = ApiKeyService(uow, clock)
    if settings.seed_demo_users:
        auth.seed_demo_users()
        demo = load_open311(city.root)
        for key in demo.demo_keys if demo else ():
            api_keys.ensure(key.name, key.key)
    uploads = UploadService(uow, clock, settings.upload_dir)
    vitals = VitalSigns(
        city,
        engine,
        clock,
        timedelta(days=settings.vitals_minute_days),
        timedelta(days=settings.vitals_hour_days),
    )
    return Container(
        settings,
        city,
        clock,
        engine,
        handlers,
        bus,
        auth,
        intake,
        api_keys,
        uploads,
        Supervisor(uow, clock),
        notifier,
        CitizenService(uow, clock),
        IntakeBatcher(intake),
        TelemetryService(uow, city, clock, intake, vitals=vitals, router=router),
        vitals,
        LoopGroupCommit(partial(_store_raw, uow)),
        addresses,
        classifier,
        leader_lock(engine),
        link,
        intake_queue,
        policies=policies,
    )


def _nats_link(settings: Settings) -> NatsLink | None:
    """The NATS connection when `CITYLOOP_BUS` is a NATS URL (it connects on first use)."""
    from cityloop.adapters.nats.names import BusNames, is_nats

    if settings.bus == "memory":
        return None
    if not is_nats(settings.bus):
        raise ValueError(f"CITYLOOP_BUS must be 'memory' or a nats:// URL, not {settings.bus!r}")
    from cityloop.adapters.nats.link import NatsLink

    return NatsLink(settings.bus, BusNames(settings.bus_prefix))
