"""The intake bench splits its reports into rounds that take turns with the baseline."""

from __future__ import annotations

from cityloop.bench.intake import _rounds


def test_rounds_cover_every_report_once_in_order() -> None:
    assert _rounds(6000, 3) == [(0, 2000), (2000, 2000), (4000, 2000)]
    assert _rounds(10, 3) == [(0, 3), (3, 3), (6, 4)]


def test_there_are_never_more_rounds_than_reports() -> None:
    assert _rounds(2, 5) == [(0, 1), (1, 1)]
    assert _rounds(5, 1) == [(0, 5)]
