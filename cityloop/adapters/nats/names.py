"""Subjects, streams and buckets of one CityLoop deployment (all under one prefix).

- `<prefix>.telemetry.<partition>`: readings, one columnar JSON batch per message, partitioned
  by district (stream `<prefix>_telemetry`);
- `<prefix>.intake.<channel>`: intake commands, one report per message (stream
  `<prefix>_intake`, a work queue shared by the intake workers);
- `<prefix>.events.<name>`: domain events relayed from the outbox, `Nats-Msg-Id` = the outbox
  id, so a relay that publishes twice stores once (stream `<prefix>_events`);
- key-value bucket `<prefix>_leases`: which worker owns which telemetry partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

MSG_ID = "Nats-Msg-Id"
#: How long JetStream remembers message ids to drop a second publish of the same one.
DUPLICATE_WINDOW = timedelta(minutes=10)
TELEMETRY_KEEP = timedelta(days=1)
EVENTS_KEEP = timedelta(days=7)


def is_nats(bus: str) -> bool:
    return urlsplit(bus).scheme in ("nats", "tls")


@dataclass(frozen=True)
class BusNames:
    prefix: str = "cityloop"

    @property
    def telemetry_stream(self) -> str:
        return f"{self.prefix}_telemetry"

    @property
    def intake_stream(self) -> str:
        return f"{self.prefix}_intake"

    @property
    def events_stream(self) -> str:
        return f"{self.prefix}_events"

    @property
    def leases(self) -> str:
        return f"{self.prefix}_leases"

    def telemetry(self, partition: str = "*") -> str:
        return f"{self.prefix}.telemetry.{partition}"

    def intake(self, channel: str = "*") -> str:
        return f"{self.prefix}.intake.{channel}"

    def event(self, name: str = "*") -> str:
        return f"{self.prefix}.events.{name}"
