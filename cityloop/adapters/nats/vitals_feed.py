"""Vital signs on the NATS bus: the processes that show or sample them follow every reading.

On NATS no API server judges readings (the telemetry workers do, each for its districts), so
the sensors' vital signs — online rates, rainfall, air quality — are fed from the telemetry
stream itself: an ordered consumer of `<prefix>.telemetry.*` that starts at the newest message
receives each batch the stream stores (once, though a gateway may send it twice), whichever API
server took it in and whichever worker judges it. Every API server (for `/api/v1/vital-signs`)
and the relay worker (which samples their history) follow it, so all of them see the whole
city. It keeps no position: vital signs are about the last few reporting intervals, so a
process that starts late only misses readings that have aged out of them anyway.
"""

from __future__ import annotations

import logging
from typing import Any

from nats.js.api import DeliverPolicy

from cityloop.adapters.nats.link import NatsLink
from cityloop.engine.decode import DecodeError, decode_columnar_json
from cityloop.engine.sensors import SensorTable
from cityloop.services.vitals import VitalSigns

log = logging.getLogger(__name__)


class NatsVitalsFeed:
    def __init__(self, link: NatsLink, vitals: VitalSigns, sensors: SensorTable) -> None:
        self.link = link
        self.vitals = vitals
        self.sensors = sensors
        self.batches = 0
        self._sub: Any = None

    def start(self) -> None:
        """Subscribe; readings published from now on reach the vital signs."""
        if self._sub is not None:
            return

        js, names = self.link.js, self.link.names

        async def subscribe() -> Any:
            return await js.subscribe(
                names.telemetry("*"),
                stream=names.telemetry_stream,
                cb=self._on_message,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
            )

        self._sub = self.link.call(subscribe())

    async def _on_message(self, msg: Any) -> None:
        try:
            batch = decode_columnar_json(msg.data, self.sensors)
        except DecodeError as exc:
            log.warning("a telemetry message on %s is not readings: %s", msg.subject, exc)
            return
        # The publishing server checked every reading but one thing, whether it is newer than
        # the sensor's latest; the vital signs keep each sensor's latest either way.
        self.vitals.update(batch, batch.sensor >= 0)
        self.batches += 1

    def stop(self) -> None:
        if self._sub is not None:
            sub, self._sub = self._sub, None
            try:
                self.link.call(sub.unsubscribe())
            except Exception:  # the connection is going away anyway
                log.debug("unsubscribing the vital signs feed failed", exc_info=True)
