"""Identifiers of new records: UUIDs of version 7 (RFC 9562), which begin with the time.

A version-4 UUID is random throughout, so each new event, report or timeline row lands at a
random place of every index keyed on it, and a transaction of a few dozen reports touches a
few dozen pages of each such index. A version-7 UUID starts with the Unix time in
milliseconds (then 74 random bits): new keys go to the end of the index, as a sequence's
would, while staying unguessable and unique across processes without coordination.
"""

from __future__ import annotations

import os
import time
import uuid

_VERSION = 0x7 << 76
_VARIANT = 0b10 << 62
_RAND_A = (1 << 12) - 1
_RAND_B = (1 << 62) - 1


def uuid7(ms: int | None = None) -> uuid.UUID:
    """A version-7 UUID for the time ``ms`` (milliseconds since 1970; default now)."""
    if ms is None:
        ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (ms & ((1 << 48) - 1)) << 80
        | _VERSION
        | ((rand >> 62) & _RAND_A) << 64
        | _VARIANT
        | (rand & _RAND_B)
    )
    return uuid.UUID(int=value)


def new_id() -> str:
    """A new record's identifier (the text form of :func:`uuid7`)."""
    return str(uuid7())
