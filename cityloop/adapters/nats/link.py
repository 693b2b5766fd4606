"""A NATS connection for synchronous code (the API server, the outbox relay).

The connection lives on an event loop in a thread of its own; `call` runs a coroutine there
and waits for its result. Publishers built on it wait for JetStream's acknowledgement, so a
message they report as sent is stored by the stream.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from cityloop.adapters.nats.names import BusNames
from cityloop.adapters.nats.setup import ensure_streams

T = TypeVar("T")
TIMEOUT_S = 10.0


class NatsLink:
    def __init__(self, url: str, names: BusNames) -> None:
        self.url = url
        self.names = names
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cityloop-nats")
        self._thread.daemon = True
        self._thread.start()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._lock = threading.Lock()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = TIMEOUT_S) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout)

    @property
    def js(self) -> JetStreamContext:
        """The JetStream context, connecting (and creating the streams) on first use."""
        with self._lock:
            if self._js is None:
                self._nc, self._js = self.call(self._connect())
            return self._js

    async def _connect(self) -> tuple[Client, JetStreamContext]:
        nc = await nats.connect(self.url, name="cityloop", max_reconnect_attempts=-1)
        js = nc.jetstream()
        await ensure_streams(js, self.names)
        return nc, js

    def close(self) -> None:
        if self._nc is not None:
            self.call(self._nc.drain())
            self._nc = self._js = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
