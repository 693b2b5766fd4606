"""Telemetry: readings → the perception engine → warnings → events.

Readings are decoded into columnar batches and judged by the engine (in memory, under a lock).
Its warning changes are stored as Warning aggregates; a warning at or above its rule's event
level becomes an event (source = sensor) through the intake pipeline, unless a person must
confirm it first (predicted, anomaly), in which case it waits in the confirmation queue. An
upgrade raises the event's severity; a clear verifies an event already resolved. Every step is
idempotent: a warning that should have an event and has none gets one at the next round.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cityloop.city.model import City
from cityloop.domain.access import Forbidden, NotFound, Principal, Role
from cityloop.domain.clock import Clock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.event import Actor
from cityloop.domain.lifecycle import State
from cityloop.domain.records import Source
from cityloop.domain.report import Channel
from cityloop.domain.warning import Confirmation, Warning
from cityloop.engine.decode import DecodeError, decode
from cityloop.engine.discharges import load_discharges
from cityloop.engine.engine import Engine
from cityloop.engine.river_network import RiverNetwork, RiverPoints
from cityloop.engine.tracing import (
    PlacedDischarges,
    place_discharges,
    place_stations,
    trace_sources,
)
from cityloop.engine.warnings import WarningChange
from cityloop.services.handlers import UowFactory
from cityloop.services.intake import IncomingReport, IntakePipeline
from cityloop.services.ports import ConcurrencyError, EventQuery, UnitOfWork
from cityloop.services.telemetry_routing import TelemetryRouter
from cityloop.services.vitals import VitalSigns

log = logging.getLogger(__name__)
SENSOR = Actor(id="perception", role="system", unit=None)
CONFIRMERS = {
    Role.CITY_OPERATOR,
    Role.DISTRICT_OPERATOR,
    Role.STREET_OPERATOR,
    Role.ADMIN,
    Role.LEADER,
}


@dataclass(frozen=True, slots=True)
class Tracer:
    network: RiverNetwork
    stations: RiverPoints
    discharges: PlacedDischarges


@dataclass(frozen=True, slots=True)
class IngestSummary:
    accepted: int
    rejections: list[tuple[int, str]]
    changes: int
    events_created: int


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class TelemetryService:
    def __init__(
        self,
        uow: UowFactory,
        city: City,
        clock: Clock,
        intake: IntakePipeline,
        engine: Engine | None = None,
        vitals: VitalSigns | None = None,
        router: TelemetryRouter | None = None,
    ) -> None:
        self.uow = uow
        self.city = city
        self.clock = clock
        self.intake = intake
        self._engine = engine
        self.vitals = vitals
        #: When set (the bus is NATS), readings are forwarded to the workers, not judged here.
        self.router = router
        self._tracer: Tracer | None = None
        self._lock = threading.Lock()
        self._rules: dict[str, Any] = {}

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = Engine.from_city(
                        self.city.root, clock=lambda: self.clock.now().timestamp()
                    )
                    if self.vitals is not None:
                        self.vitals.attach(engine.sensors)
                    self._engine = engine
        return self._engine

    @property
    def available(self) -> bool:
        return (self.city.root / "sensors.csv").is_file()

    # ---- ingestion ----------------------------------------------------------------------

    def ingest(self, data: bytes, media_type: str) -> IngestSummary:
        """Decode, validate and judge a batch; store the warning changes and their events."""
        if not self.available:
            raise InvalidCommand("this city has no sensors.csv: it takes no telemetry")
        if self.router is not None:
            accepted, rejections = self.router.route(data, media_type)
            return IngestSummary(accepted, rejections, 0, 0)
        engine = self.engine
        with self._lock:
            try:
                batch = decode(data, media_type, engine.sensors)
            except DecodeError as exc:
                raise InvalidCommand(str(exc)) from exc
            result = engine.ingest(batch)
            if self.vitals is not None and result.mask is not None:
                self.vitals.update(batch, result.mask)
        created = self.apply(result.changes)
        return IngestSummary(result.accepted, list(result.rejections), len(result.changes), created)

    def tick(self) -> int:
        """Judge the time-driven rules (stale sensors) now; return events created."""
        if not self.available or self.router is not None:  # workers judge them
            return 0
        engine = self.engine
        with self._lock:
            changes = engine.tick(self.clock.now().timestamp())
        return self.apply(changes)

    # ---- warnings and their events -------------------------------------------------------

    def _subject_place(self, change: WarningChange) -> tuple[float | None, float | None]:
        sensors = self.engine.sensors
        if change.subject_kind == "sensor" and change.subject in sensors.index:
            i = sensors.index[change.subject]
            return float(sensors.lon[i]), float(sensors.lat[i])
        cause_lon, cause_lat = change.cause.get("lon"), change.cause.get("lat")
        if isinstance(cause_lon, float) and isinstance(cause_lat, float):
            return cause_lon, cause_lat
        return None, None

    def _new_warning(self, change: WarningChange) -> Warning:
        lon, lat = self._subject_place(change)
        chain = self.city.locator.locate(lon, lat) if lon is not None and lat is not None else None
        return Warning(
            id=change.warning_id,
            rule_id=change.rule,
            rule_type=change.rule_type,
            subject=change.subject,
            subject_kind=change.subject_kind,
            level="none",
            raised_at=_dt(change.raised_ts),
            updated_at=_dt(change.ts),
            event_type=change.event_type,
            event_at=change.event_at.label if change.event_at is not None else None,
            predicted=change.predicted,
            anomaly=change.anomaly,
            confirmation=(
                Confirmation.PENDING if change.needs_confirmation else Confirmation.NOT_NEEDED
            ),
            lon=lon,
            lat=lat,
            chain=chain,
        )

    def apply(
        self,
        changes: list[WarningChange],
        before_commit: Callable[[UnitOfWork], None] | None = None,
    ) -> int:
        """Store warning changes; then make, regrade or verify their events.

        `before_commit` runs in the same transaction (a telemetry worker saves its partition's
        checkpoint there). A change the warning already holds (same kind, level and time: a
        replay) is skipped, so applying a change twice stores it once.
        """
        touched: list[str] = []
        upgraded: list[str] = []
        cleared: list[str] = []
        held: list[str] = []  # replayed changes: stored before, their consequences maybe not
        if changes or before_commit is not None:
            with self.uow() as uow:
                known = uow.warnings.get_many([c.warning_id for c in changes])
                for change in changes:
                    warning = known.get(change.warning_id)
                    if warning is None:
                        warning = self._new_warning(change)
                        uow.warnings.add(warning)
                        known[warning.id] = warning
                    if warning.holds_change(change.kind.value, change.level.label, _dt(change.ts)):
                        held.append(warning.id)  # stored already; its follow-up is redone
                    else:
                        uow.track_warning(warning)
                        warning.apply(
                            kind=change.kind.value,
                            level=change.level.label,
                            at=_dt(change.ts),
                            value=change.value,
                            threshold=change.threshold,
                            cause=change.cause,
                        )
                        touched.append(warning.id)
                    if change.kind.value == "upgraded":
                        upgraded.append(warning.id)
                    if change.kind.value == "cleared":
                        cleared.append(warning.id)
                for warning_id in dict.fromkeys(touched):
                    uow.warnings.save(known[warning_id])
                if before_commit is not None:
                    before_commit(uow)
                uow.commit()
        followed = list(dict.fromkeys(touched + held))
        created = self.create_missing_events(followed or None)
        self._follow_events(upgraded, cleared)
        return created

    def reconcile(self, district: str | None = None) -> int:
        """Redo what a crash may have cut off after warning changes were stored: their events
        are made, regraded and verified in transactions of their own, so a process killed in
        between leaves a warning without its event, an event below its warning's level, or a
        resolved event whose sensor is back to normal. Every active warning (of `district`, if
        given) that wants an event gets one, every event below its warning's severity is
        regraded, and every resolved sensor event whose warning has cleared is verified;
        idempotent. A worker runs it on each district it takes over, the server when it starts."""
        with self.uow() as uow:
            active = [
                w
                for w in uow.warnings.list(active=True, limit=5000)
                if district is None or (w.chain is not None and w.chain.district == district)
            ]
            # resolved sensor events whose warning has cleared meanwhile: verified when it
            # cleared, unless the process died between storing the clear and verifying
            resolved = uow.events.list(
                EventQuery(
                    states=(State.RESOLVED.value,),
                    sources=(Source.SENSOR.value,),
                    jurisdiction=district,
                    limit=5000,
                )
            ).items
            linked = uow.warnings.get_many([wid for e in resolved for wid in e.warning_ids])
            cleared = [w.id for w in linked.values() if not w.active and w.event_id]
        created = self.create_missing_events([w.id for w in active])
        try:
            self._follow_events([w.id for w in active if w.event_id], cleared)
        except ConcurrencyError:  # another process moved one of the events meanwhile
            log.info("reconciling events met a concurrent change; the next round redoes it")
        return created

    def create_missing_events(self, ids: list[str] | None = None) -> int:
        """Every warning that should have an event and has none gets one (idempotent)."""
        with self.uow() as uow:
            if ids is None:
                candidates = uow.warnings.list(active=True, limit=5000)
            else:
                candidates = list(uow.warnings.get_many(ids).values())
        wanting = [w for w in candidates if w.wants_event]
        if not wanting:
            return 0
        reports = [self._report(w) for w in wanting]
        outcomes = self.intake.submit_lenient(reports)
        now = self.clock.now()
        with self.uow() as uow:
            fresh = uow.warnings.get_many([w.id for w in wanting])
            for warning, outcome in zip(wanting, outcomes, strict=True):
                if isinstance(outcome, InvalidCommand):
                    continue
                w = fresh[warning.id]
                w.link_event(outcome.event.id, now)
                uow.warnings.save(w)
                self._regrade_if_upgraded_meanwhile(uow, w, outcome.event.id, now)
                self._trace(uow, w, outcome.event.id)
            uow.commit()
        return sum(not isinstance(o, InvalidCommand) for o in outcomes)

    def _regrade_if_upgraded_meanwhile(
        self, uow: UnitOfWork, w: Warning, event_id: str, now: datetime
    ) -> None:
        """The warning was upgraded after its event was made from an older reading of it, and
        before the two were linked (another process applied the upgrade, found no event yet and
        could not regrade it): regrade here, where both are known."""
        event = uow.events.get(event_id)
        if event is None or event.state.is_terminal or w.severity.rank >= event.severity.rank:
            return
        uow.track(event).regrade(
            at=now,
            actor=SENSOR,
            severity=w.severity,
            reason=f"warning {w.rule_id} on {w.subject} upgraded to {w.level} while its event "
            "was being made",
        )
        uow.events.save(event)

    def _trace(self, uow: UnitOfWork, w: Warning, event_id: str) -> None:
        """A water-quality station warns: find the discharge points upstream (source tracing)."""
        tracer = self.tracer
        if tracer is None or w.subject not in tracer.stations.index:
            return
        active = {x.subject for x in uow.warnings.list(active=True, limit=5000)}
        sensors = self.engine.sensors
        now = self.clock.now().timestamp()

        # Heard within three reporting intervals: from the vital signs, which follow the readings
        # this process takes in (on NATS, an API server's follow the whole telemetry stream),
        # else from this process's engine.
        heard = self.vitals.heard(now) if self.vitals is not None else None

        def normal(station: str) -> bool:
            i = sensors.index.get(station)
            if i is None or station in active:
                return False
            if heard is not None:
                return bool(heard[i])
            last = float(self.engine.last_ts[i])
            return last == last and last >= now - 3 * float(sensors.interval[i])

        result = trace_sources(
            tracer.network, tracer.stations, tracer.discharges, w.subject, normal
        )
        event = uow.events.get(event_id)
        if event is None:
            return
        candidates = [
            {
                "id": c.id,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "kind": c.kind,
                "permit": c.permit,
                "segment": c.segment,
                "distance_m": round(c.distance_m),
            }
            for c in result.candidates
        ]
        uow.track(event).record_trace(
            at=self.clock.now(), actor=SENSOR, candidates=candidates, reasons=list(result.reasons)
        )
        uow.events.save(event)

    @property
    def tracer(self) -> Tracer | None:
        """The river network with its stations and discharge points, if the city has them."""
        if self._tracer is None and (self.city.root / "discharges.csv").is_file():
            network = RiverNetwork.from_city(self.city)
            self._tracer = Tracer(
                network,
                place_stations(network, self.engine.sensors),
                place_discharges(network, load_discharges(self.city.root)),
            )
        return self._tracer

    def _report(self, w: Warning) -> IncomingReport:
        rule = w.rule_id
        etype = self.city.event_types.get(w.event_type or "")
        name = etype.name_zh if etype else w.event_type
        value = f"{w.value:.2f}" if w.value is not None else "?"
        limit = f"{w.threshold:.2f}" if w.threshold is not None else "?"
        text = (
            f"{name}：{w.level}级预警（规则 {rule}，监测对象 {w.subject}，"
            f"数值 {value}，阈值 {limit}） / {w.level} warning from rule {rule} on {w.subject}: "
            f"value {value}, threshold {limit}"
        )
        owner = None
        if w.event_type == "DV01" and w.subject in self.engine.sensors.index:
            owner = self.engine.sensors.departments[self.engine.sensors.index[w.subject]]
        return IncomingReport(
            lead_unit=owner if owner in self.city.departments else None,
            channel=Channel.SENSOR,
            text=text,
            title=f"{name} {w.level}级预警 {w.subject}",
            type_code=w.event_type,
            severity=w.severity,
            lon=w.lon,
            lat=w.lat,
            submitted_by=f"rule:{rule}",
            warning_ids=(w.id,),
        )

    def _follow_events(self, upgraded: list[str], cleared: list[str]) -> None:
        if not upgraded and not cleared:
            return
        now = self.clock.now()
        with self.uow() as uow:
            warnings = uow.warnings.get_many(upgraded + cleared)
            for warning_id in upgraded:
                w = warnings.get(warning_id)
                event = uow.events.get(w.event_id) if w and w.event_id else None
                if w is None or event is None or event.state.is_terminal:
                    continue
                if w.severity.rank < event.severity.rank:
                    uow.track(event).regrade(
                        at=now,
                        actor=SENSOR,
                        severity=w.severity,
                        reason=f"warning {w.rule_id} on {w.subject} upgraded to {w.level}",
                    )
                    uow.events.save(event)
            for warning_id in cleared:
                w = warnings.get(warning_id)
                event = uow.events.get(w.event_id) if w and w.event_id else None
                if w is None or event is None or event.state is not State.RESOLVED:
                    continue
                uow.track(event).verify(
                    at=now,
                    actor=SENSOR,
                    note=f"sensor {w.subject} back to normal: warning {w.rule_id} cleared",
                )
                uow.events.save(event)
            uow.commit()

    # ---- the confirmation queue --------------------------------------------------------

    def _pending(self, principal: Principal, warning_id: str) -> Warning:
        with self.uow() as uow:
            w = uow.warnings.get(warning_id)
        if w is None or not principal.covers(w.chain):
            raise NotFound("warning not found")
        if principal.role not in CONFIRMERS:
            raise Forbidden(f"role '{principal.role.value}' may not confirm warnings")
        return w

    def confirm(self, principal: Principal, warning_id: str, note: str | None) -> Warning:
        self._pending(principal, warning_id)
        with self.uow() as uow:
            w = uow.warnings.get(warning_id)
            assert w is not None
            uow.track_warning(w).confirm(at=self.clock.now(), by=principal.username, note=note)
            uow.warnings.save(w)
            uow.commit()
        self.create_missing_events([warning_id])
        with self.uow() as uow:
            done = uow.warnings.get(warning_id)
        assert done is not None
        return done

    def dismiss(self, principal: Principal, warning_id: str, reason: str) -> Warning:
        self._pending(principal, warning_id)
        with self.uow() as uow:
            w = uow.warnings.get(warning_id)
            assert w is not None
            uow.track_warning(w).dismiss(at=self.clock.now(), by=principal.username, reason=reason)
            uow.warnings.save(w)
            uow.commit()
        return w
