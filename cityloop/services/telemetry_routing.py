"""Telemetry on a shared bus: the API server checks a batch and forwards it by partition.

When the bus is NATS the server does not judge readings itself: it decodes a batch, rejects
what no worker could accept (unknown sensor, not a number, outside the physical range, too far
in the future or the past — the checks that need no per-sensor state) and publishes the rest,
one columnar message per partition (district), for the telemetry workers. The check that needs
state (not newer than the sensor's latest reading) is the owning worker's.
"""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np
import orjson

from cityloop.city.model import City
from cityloop.domain.clock import Clock
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.territory import Level
from cityloop.engine.batch import Limits, Validator
from cityloop.engine.decode import DecodeError, decode
from cityloop.engine.partition import Partitioning
from cityloop.engine.sensors import SensorTable, load_sensor_table


class TelemetryForwarder(Protocol):
    def publish(self, batches: dict[str, bytes]) -> None:
        """Publish one message per partition and return once the bus has stored them all."""


def city_partitioning(city: City, sensors: SensorTable) -> Partitioning:
    """Partition a city's sensors by the district each one lies in."""
    located = city.locator.locate_many(sensors.lon, sensors.lat)
    keys = [located.code_at(Level.DISTRICT, i) for i in range(len(sensors))]
    return Partitioning.from_keys(sensors, keys)


class TelemetryRouter:
    def __init__(self, city: City, clock: Clock, forwarder: TelemetryForwarder) -> None:
        self.city = city
        self.clock = clock
        self.forwarder = forwarder
        self._lock = threading.Lock()
        self._partitioning: Partitioning | None = None
        self._validator: Validator | None = None

    @property
    def partitioning(self) -> Partitioning:
        with self._lock:
            if self._partitioning is None:
                sensors = load_sensor_table(self.city.root)
                self._partitioning = city_partitioning(self.city, sensors)
                self._validator = Validator(sensors, Limits())
            return self._partitioning

    def route(self, data: bytes, media_type: str) -> tuple[int, list[tuple[int, str]]]:
        """Check and forward a batch; return (records forwarded, rejections)."""
        parts = self.partitioning
        assert self._validator is not None
        try:
            batch = decode(data, media_type, parts.sensors)
        except DecodeError as exc:
            raise InvalidCommand(str(exc)) from exc
        never = np.full(len(parts.sensors), np.nan)
        accepted, rejections = self._validator.validate(batch, self.clock.now().timestamp(), never)
        messages = {}
        for name, rows in parts.split(batch.sensor, accepted).items():
            messages[name] = orjson.dumps(
                {
                    "sensor": [parts.sensors.ids[int(i)] for i in batch.sensor[rows]],
                    "ts": batch.ts[rows],
                    "value": batch.value[rows],
                },
                option=orjson.OPT_SERIALIZE_NUMPY,
            )
        if messages:
            self.forwarder.publish(messages)
        return int(accepted.sum()), rejections
