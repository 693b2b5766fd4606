"""New records' identifiers are version-7 UUIDs: unique, and ordered by their time."""

from __future__ import annotations

import time
import uuid

from cityloop.domain.ids import new_id, uuid7


def test_an_id_is_a_version_7_uuid_of_the_rfc_variant() -> None:
    u = uuid.UUID(new_id())
    assert u.version == 7
    assert u.variant == uuid.RFC_4122


def test_an_id_begins_with_its_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    u = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= u.int >> 80 <= after
    assert uuid7(ms=1_764_000_000_000).int >> 80 == 1_764_000_000_000


def test_ids_of_later_milliseconds_sort_after_earlier_ones() -> None:
    ids = [str(uuid7(ms=ms)) for ms in range(1_764_000_000_000, 1_764_000_000_050)]
    assert ids == sorted(ids)  # in text form too: the index order of the id columns


def test_ids_of_the_same_millisecond_differ() -> None:
    ids = {uuid7(ms=1_764_000_000_000) for _ in range(10_000)}
    assert len(ids) == 10_000
