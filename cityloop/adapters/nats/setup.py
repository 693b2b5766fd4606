"""Create (idempotently) or delete the streams and the lease bucket of a deployment."""

from __future__ import annotations

import contextlib

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

from cityloop.adapters.nats.names import (
    DUPLICATE_WINDOW,
    EVENTS_KEEP,
    TELEMETRY_KEEP,
    BusNames,
)


def stream_configs(names: BusNames) -> list[StreamConfig]:
    window = DUPLICATE_WINDOW.total_seconds()
    return [
        StreamConfig(
            name=names.telemetry_stream,
            subjects=[names.telemetry()],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=TELEMETRY_KEEP.total_seconds(),
            duplicate_window=window,
        ),
        StreamConfig(
            name=names.intake_stream,
            subjects=[names.intake()],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            duplicate_window=window,
        ),
        StreamConfig(
            name=names.events_stream,
            subjects=[names.event()],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=EVENTS_KEEP.total_seconds(),
            duplicate_window=window,
        ),
    ]


async def ensure_streams(js: JetStreamContext, names: BusNames) -> None:
    for config in stream_configs(names):
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)


async def lease_bucket(js: JetStreamContext, names: BusNames, lease_s: float) -> KeyValue:
    """The bucket of leases: a key not renewed within `lease_s` expires (its owner is gone)."""
    try:
        return await js.key_value(names.leases)
    except NotFoundError:
        return await js.create_key_value(
            KeyValueConfig(bucket=names.leases, history=1, ttl=lease_s)
        )


async def delete_all(js: JetStreamContext, names: BusNames) -> None:
    """Remove the deployment's streams and lease bucket (tests; tearing a deployment down)."""
    for config in stream_configs(names):
        assert config.name is not None
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(config.name)
    with contextlib.suppress(NotFoundError):
        await js.delete_key_value(names.leases)
