"""Incident review on a hand-built incident whose lateness and warning lead time are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cityloop.evaluation.review import (
    IncidentEvent,
    IncidentTask,
    IncidentWarning,
    Line,
    findings,
)

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # the first report


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def line(seq: int, minutes: float, action: str, unit: str | None = None, **kw: Any) -> Line:
    note = kw.pop("note", None)
    return Line(seq, at(minutes), action, unit, "someone", note, kw)


def dispatch(seq: int, minutes: float, unit: str, accept: float, dispose: float) -> Line:
    return line(
        seq,
        minutes,
        "dispatch",
        None,
        lead_unit=unit,
        accept_by=at(accept).isoformat(),
        dispose_by=at(dispose).isoformat(),
    )


EVENT = IncidentEvent(
    id="e1",
    ref="YZ-1",
    type_code="ND01",
    first_report_at=T0,
    district="YZ01",
    street="YZ01S01",
    lon=120.0,
    lat=30.0,
    lines=(
        line(1, 0, "report"),
        line(2, 5, "triage"),
        dispatch(3, 10, "URBAN", accept=40, dispose=250),
        line(4, 70, "accept", "URBAN"),  # 30 min past accept_by
        line(5, 80, "return", "URBAN", note="not ours: the water company's main"),
        dispatch(6, 100, "WATER", accept=130, dispose=340),
        line(7, 110, "accept", "WATER"),  # on time
        line(8, 120, "suspend", "WATER"),
        line(9, 180, "resume", "WATER"),
        line(10, 400, "resolve", "WATER", on_time=False),  # 60 min past dispose_by
    ),
)
LATE_EVENT = IncidentEvent(
    id="e2",
    ref="YZ-2",
    type_code="ND01",
    first_report_at=at(20),
    district="YZ01",
    street="YZ01S01",
    lon=None,
    lat=None,
    lines=(line(1, 20, "report"), dispatch(2, 30, "PSB", accept=60, dispose=200)),
)


def warning(wid: str, *changes: tuple[float, str, str]) -> IncidentWarning:
    history = tuple({"at": at(m).isoformat(), "kind": k, "level": lv} for m, k, lv in changes)
    return IncidentWarning(wid, f"rule-{wid}", "YZ01S01", "ND01", history)


WARNINGS = [
    warning("w-before", (-90, "raised", "yellow"), (-30, "upgraded", "orange")),
    warning("w-after", (15, "raised", "blue")),
    warning("w-too-early", (-2000, "raised", "blue")),
]
TASKS = [
    IncidentTask(
        "a1", "t1", "PSB", "close the underpass", "封闭下穿通道", at(0), at(60), at(5), at(90)
    ),
    IncidentTask("a1", "t2", "WATER", "pump out", "抽排积水", at(0), at(500), None, None),
]


@pytest.fixture
def result() -> dict[str, Any]:
    return findings([EVENT, LATE_EVENT], WARNINGS, TASKS, start=at(-24 * 60), end=at(480))


def test_each_late_step_is_named_with_its_unit_and_minutes(result: dict[str, Any]) -> None:
    late = {(x["kind"], x["event_ref"], x["unit"]): x for x in result["late"]}
    assert set(late) == {
        ("accept", "YZ-1", "URBAN"),
        ("dispose", "YZ-1", "WATER"),
        ("accept", "YZ-2", "PSB"),
        ("dispose", "YZ-2", "PSB"),
        ("task", None, "PSB"),
    }
    assert late[("accept", "YZ-1", "URBAN")]["late_minutes"] == 30.0
    assert late[("dispose", "YZ-1", "WATER")]["late_minutes"] == 60.0
    # never accepted nor resolved: late until the end of the window (480 min)
    assert late[("accept", "YZ-2", "PSB")]["late_minutes"] == 420.0
    assert late[("accept", "YZ-2", "PSB")]["done_at"] is None
    assert late[("dispose", "YZ-2", "PSB")]["late_minutes"] == 280.0
    assert late[("task", None, "PSB")]["late_minutes"] == 30.0
    assert result["late_by_unit"] == {"PSB": 3, "URBAN": 1, "WATER": 1}


def test_why_tells_the_wait_the_return_and_the_suspension(result: dict[str, Any]) -> None:
    late = {(x["kind"], x["event_ref"]): x for x in result["late"] if x["event_ref"]}
    accept = late[("accept", "YZ-1")]["why"]
    assert accept[0].startswith("accept came 60.0 min after the dispatch to URBAN")
    assert "the deadline was 30.0 min" in accept[0]
    dispose = late[("dispose", "YZ-1")]["why"]
    assert dispose[0].startswith("dispose came 300.0 min after the dispatch to WATER")
    assert "accepted after 10.0 min" in dispose
    assert any(w.startswith("suspended 60.0 min") for w in dispose)
    # the return belongs to URBAN's segment, which ended with the redispatch: not WATER's fault
    assert not any("returned" in w for w in dispose)
    assert "still not done at the end of the window" in " ".join(late[("accept", "YZ-2")]["why"])
    task = next(x for x in result["late"] if x["kind"] == "task")
    assert task["why"][1] == "acknowledged after 5.0 min"


def test_a_returned_segment_explains_the_return() -> None:
    returned = IncidentEvent(
        "e3",
        "YZ-3",
        "UM01",
        T0,
        None,
        None,
        None,
        None,
        (
            dispatch(1, 0, "URBAN", accept=30, dispose=100),
            line(2, 50, "return", "URBAN", note="wrong unit"),
            dispatch(3, 60, "PSB", accept=90, dispose=200),
            line(4, 70, "accept", "PSB"),
            line(5, 150, "resolve", "PSB"),
        ),
    )
    out = findings([returned], [], [], start=at(-60), end=at(300))
    assert [(x["kind"], x["unit"], x["late_minutes"]) for x in out["late"]] == [
        ("accept", "URBAN", 30.0)
    ]
    why = out["late"][0]["why"]
    assert "not done when the event was dispatched again" in why[1]
    assert any("returned by URBAN" in w and "wrong unit" in w for w in why)


def test_only_warnings_raised_in_the_window_before_the_first_report_lead(
    result: dict[str, Any],
) -> None:
    before = result["warnings_before_first_report"]
    assert [w["id"] for w in before] == ["w-before"]
    assert before[0]["lead_minutes"] == 90.0
    assert (before[0]["level_at_raise"], before[0]["level_at_first_report"]) == (
        "yellow",
        "orange",
    )
    assert result["lead_time_minutes"] == 90.0
    assert result["first_report_at"] == T0.isoformat()


def test_the_timeline_holds_steps_warnings_and_tasks_in_order(result: dict[str, Any]) -> None:
    rows = result["timeline"]
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    kinds = {r["kind"] for r in rows}
    assert kinds == {"event", "warning", "task"}
    assert rows[0]["id"] == "w-too-early"
    assert sum(1 for r in rows if r["kind"] == "event") == len(EVENT.lines) + len(LATE_EVENT.lines)
