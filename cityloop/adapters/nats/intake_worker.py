"""`cityloop worker intake`: take reports off the shared intake queue and process them.

All intake workers pull from one durable consumer of the work-queue stream, so each command
goes to one of them. A run of commands is processed in one transaction and acknowledged after
it commits: a worker that dies before acknowledging leaves its commands to be redelivered (at
least once). Publishers set `Nats-Msg-Id`, so the same command published twice is queued once.
A command that cannot be read is terminated (not redelivered) and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig

from cityloop.adapters.nats.names import BusNames
from cityloop.adapters.nats.setup import ensure_streams
from cityloop.domain.errors import InvalidCommand
from cityloop.services.intake import IncomingReport, IntakePipeline
from cityloop.services.intake_commands import decode_report

log = logging.getLogger(__name__)

DURABLE = "intake"
FETCH_BATCH = 100
ACK_WAIT_S = 60.0


class IntakeWorker:
    def __init__(self, url: str, names: BusNames, intake: IntakePipeline) -> None:
        self.url = url
        self.names = names
        self.intake = intake
        self.processed = 0

    async def run(self, stop: asyncio.Event) -> None:
        nc = await nats.connect(self.url, name="cityloop-intake")
        js = nc.jetstream()
        await ensure_streams(js, self.names)
        sub = await js.pull_subscribe(
            self.names.intake(),
            durable=DURABLE,
            stream=self.names.intake_stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_S),
        )
        try:
            while not stop.is_set():
                try:
                    msgs = await sub.fetch(FETCH_BATCH, timeout=1.0)
                except (NatsTimeout, TimeoutError):
                    continue
                good: list[tuple[Msg, IncomingReport]] = []
                for msg in msgs:
                    try:
                        good.append((msg, decode_report(msg.data)))
                    except InvalidCommand as exc:
                        log.warning("dropping intake message %s: %s", msg.reply, exc)
                        await msg.term()
                if good:
                    results = await asyncio.to_thread(
                        self.intake.submit_lenient, [r for _, r in good]
                    )
                    for (_, report), result in zip(good, results, strict=True):
                        if isinstance(result, InvalidCommand):
                            log.warning("intake command refused (%s): %s", report.text[:60], result)
                    for msg, _ in good:
                        await msg.ack()
                    self.processed += len(good)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            await nc.drain()
