"""Load results of several rounds add up to one."""

from __future__ import annotations

from cityloop.bench.http_load import LoadResult


def test_combined_rounds_add_requests_statuses_and_time() -> None:
    first = LoadResult([0.010, 0.020], {201: 2}, 1.5)
    second = LoadResult([0.030], {201: 1, 503: 1}, 0.5)
    whole = LoadResult.combined([first, second])
    assert whole.latencies_s == [0.010, 0.020, 0.030]
    assert whole.statuses == {201: 3, 503: 1}
    assert whole.elapsed_s == 2.0
    assert whole.ok == 3
    assert first.statuses == {201: 2}  # the parts are left as they were
