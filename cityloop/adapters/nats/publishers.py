"""Publishing to the bus from the API server and the relay: telemetry, intake, outbox events."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import orjson

from cityloop.adapters.nats.link import NatsLink
from cityloop.adapters.nats.names import MSG_ID
from cityloop.services.intake import IncomingReport
from cityloop.services.intake_commands import encode_report
from cityloop.services.ports import OutboxMessage


def _json(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


class NatsTelemetryForwarder:
    """One message per partition; its id is the hash of its content, so that a gateway that
    resends the same batch within the duplicate window does not feed it twice."""

    def __init__(self, link: NatsLink) -> None:
        self.link = link

    def publish(self, batches: dict[str, bytes]) -> None:
        js, names = self.link.js, self.link.names

        async def send() -> None:
            await asyncio.gather(
                *(
                    js.publish(
                        names.telemetry(partition),
                        payload,
                        headers={MSG_ID: hashlib.sha256(payload).hexdigest()[:32]},
                    )
                    for partition, payload in batches.items()
                )
            )

        self.link.call(send())


def outbox_payload(msg: OutboxMessage) -> bytes:
    return orjson.dumps(
        {
            "id": msg.id,
            "aggregate_id": msg.aggregate_id,
            "name": msg.name,
            "at": msg.at,
            "payload": msg.payload,
        },
        default=_json,
    )


class NatsOutboxSink:
    """Relays outbox messages as `<prefix>.events.<name>`, `Nats-Msg-Id: outbox-<id>`.

    Raising (the bus is unreachable) stops the relay before it marks anything published, so the
    batch is sent again later; JetStream drops the copies it already has (at least once on the
    wire, once in the stream)."""

    def __init__(self, link: NatsLink) -> None:
        self.link = link

    def __call__(self, batch: list[OutboxMessage]) -> None:
        js, names = self.link.js, self.link.names

        async def send() -> None:
            await asyncio.gather(
                *(
                    js.publish(
                        names.event(m.name),
                        outbox_payload(m),
                        headers={MSG_ID: f"outbox-{m.id}"},
                    )
                    for m in batch
                )
            )

        self.link.call(send(), timeout=30)


class NatsIntakeQueue:
    """Queues intake commands as `<prefix>.intake.<channel>`; a command with an id (the
    channel's record id) is queued once however often it is sent within the duplicate window."""

    def __init__(self, link: NatsLink) -> None:
        self.link = link

    def submit(self, reports: list[IncomingReport]) -> int:
        js, names = self.link.js, self.link.names

        async def send() -> None:
            await asyncio.gather(
                *(
                    js.publish(
                        names.intake(r.channel.value),
                        encode_report(r),
                        headers={MSG_ID: f"{r.channel.value}-{r.external_id}"}
                        if r.external_id
                        else None,
                    )
                    for r in reports
                )
            )

        self.link.call(send(), timeout=30)
        return len(reports)
