"""Group commit for the event loop: what arrives while a batch is stored forms the next batch,
stored on a writer thread; the loop is never blocked; one bad item never sinks the rest."""

from __future__ import annotations

import asyncio
import threading

import pytest

from cityloop.services.intake_batch import LoopGroupCommit


class Store:
    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def __call__(self, items: list[int]) -> list[int]:
        self.calls.append(list(items))
        if any(i < 0 for i in items):
            raise ValueError(f"negative item in {items}")
        return [i * 10 for i in items]


def test_items_put_in_one_turn_of_the_loop_are_stored_in_one_call() -> None:
    store = Store()

    async def main() -> list[int]:
        group = LoopGroupCommit(store)
        return list(await asyncio.gather(*(group.put(i) for i in range(5))))

    assert asyncio.run(main()) == [0, 10, 20, 30, 40]
    assert store.calls == [[0, 1, 2, 3, 4]]


def test_batches_are_cut_at_the_maximum_size() -> None:
    store = Store()

    async def main() -> None:
        group = LoopGroupCommit(store, max_batch=2)
        await asyncio.gather(*(group.put(i) for i in range(5)))

    asyncio.run(main())
    assert store.calls == [[0, 1], [2, 3], [4]]


def test_a_failing_batch_is_stored_item_by_item_and_only_the_bad_item_fails() -> None:
    store = Store()

    async def main() -> list[object]:
        group = LoopGroupCommit(store)
        return await asyncio.gather(*(group.put(i) for i in (1, -2, 3)), return_exceptions=True)

    one, bad, three = asyncio.run(main())
    assert (one, three) == (10, 30)
    assert isinstance(bad, ValueError)
    assert store.calls == [[1, -2, 3], [1], [-2], [3]]


def test_a_later_turn_starts_a_new_batch() -> None:
    store = Store()

    async def main() -> None:
        group = LoopGroupCommit(store)
        assert await group.put(1) == 10
        assert await group.put(2) == 20

    asyncio.run(main())
    assert store.calls == [[1], [2]]


def test_putting_outside_an_event_loop_is_refused() -> None:
    with pytest.raises(RuntimeError):
        LoopGroupCommit(Store()).put(1)


def test_items_put_while_a_batch_is_stored_form_the_next_batch_and_the_loop_runs_on() -> None:
    release = threading.Event()
    calls: list[list[int]] = []
    threads: set[str] = set()

    def store(items: list[int]) -> list[int]:
        calls.append(list(items))
        threads.add(threading.current_thread().name)
        release.wait(5)
        return items

    async def main() -> list[int]:
        group = LoopGroupCommit(store)
        first = group.put(0)
        await asyncio.sleep(0.05)  # the loop is free while the first batch is being stored
        later = [group.put(i) for i in (1, 2, 3)]
        assert not first.done()
        release.set()
        out = [await first, *[await f for f in later]]
        group.stop()
        return out

    assert asyncio.run(main()) == [0, 1, 2, 3]
    assert calls == [[0], [1, 2, 3]]
    assert threads != {threading.main_thread().name}
