"""The Event aggregate goes round the closed loop; illegal moves name state and action."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cityloop.domain.clock import FixedClock
from cityloop.domain.errors import InvalidCommand, TransitionNotAllowed
from cityloop.domain.event import Actor, Event, Location, Source
from cityloop.domain.lifecycle import TRANSITIONS, Action, State, allowed_actions
from cityloop.domain.severity import Severity
from cityloop.domain.territory import HandlingLevel, JurisdictionChain

OPERATOR = Actor("street_op", "street_operator", "YZ01S01")
HANDLER = Actor("urban_yz01", "department_handler", "URBAN")
CO = Actor("trans_yz", "department_handler", "TRANS")
CHAIN = JurisdictionChain("YZ", "YZ01", "YZ01S01", "YZ01S01C01", "YZ01S01C01G001")


def new_event(clock: FixedClock) -> Event:
    return Event.report(
        id="e1",
        ref="YZ-20261123-000001",
        source=Source.GRID,
        title="Railing washed out by the rain",
        at=clock.now(),
        actor=Actor("grid_1", "grid_worker", "YZ01S01C01G001"),
        location=Location(106.5, 29.5, CHAIN, "Riverside road"),
    )


def dispatched(clock: FixedClock) -> Event:
    event = new_event(clock)
    event.triage(at=clock.now(), actor=OPERATOR, type_code="UM10", severity=Severity.IV)
    event.dispatch(
        at=clock.now(),
        actor=OPERATOR,
        lead_unit="URBAN",
        co_units=("TRANS", "URBAN"),
        level=HandlingLevel.STREET,
        accept_within=timedelta(minutes=30),
        dispose_within=timedelta(hours=24),
        reasons=("responsibility list: UM10 at street level → lead URBAN",),
    )
    return event


def test_a_reported_event_starts_its_timeline_and_records_event_reported() -> None:
    clock = FixedClock()
    event = new_event(clock)
    assert event.state is State.REPORTED
    assert [e.action for e in event.timeline] == ["report"]
    assert event.timeline[0].from_state is None
    assert [e.name for e in event.events] == ["EventReported"]


def test_the_whole_loop_runs_from_report_to_close_with_one_entry_per_step() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    clock.advance(minutes=5)
    event.accept(at=clock.now(), actor=HANDLER)
    event.start(at=clock.now(), actor=HANDLER)
    clock.advance(minutes=40)
    event.feedback(at=clock.now(), actor=CO, unit="TRANS", result="Lane closed while working")
    event.resolve(at=clock.now(), actor=HANDLER, result="Railing replaced", people=3)
    event.verify(at=clock.now(), actor=OPERATOR)
    event.close(at=clock.now(), actor=OPERATOR)
    assert event.state is State.CLOSED
    assert [e.to_state for e in event.timeline] == [
        State.REPORTED,
        State.TRIAGED,
        State.DISPATCHED,
        State.ACCEPTED,
        State.IN_PROGRESS,
        State.IN_PROGRESS,
        State.RESOLVED,
        State.VERIFIED,
        State.CLOSED,
    ]
    assert [e.seq for e in event.timeline] == list(range(1, 10))
    assert event.timeline[6].payload["on_time"] is True
    assert event.events[-1].name == "EventClosed"


def test_dispatch_sets_deadlines_from_the_clock_and_drops_the_lead_from_co_units() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    assert event.accept_by == clock.now() + timedelta(minutes=30)
    assert event.dispose_by == clock.now() + timedelta(hours=24)
    assert event.co_units == ("TRANS",)
    assert event.timeline[-1].payload["reasons"] == [
        "responsibility list: UM10 at street level → lead URBAN"
    ]


def test_an_illegal_action_raises_transition_not_allowed_naming_state_and_action() -> None:
    clock = FixedClock()
    event = new_event(clock)
    with pytest.raises(TransitionNotAllowed) as err:
        event.accept(at=clock.now(), actor=HANDLER)
    assert err.value.state == "reported"
    assert err.value.action == "accept"
    assert "'accept'" in str(err.value)
    assert "'reported'" in str(err.value)
    assert event.state is State.REPORTED
    assert len(event.timeline) == 1


@pytest.mark.parametrize("state", list(State))
def test_every_state_allows_exactly_the_actions_of_the_table(state: State) -> None:
    declared = {a for (s, a) in TRANSITIONS if s is state}
    assert set(allowed_actions(state)) == declared


def test_closed_cancelled_and_merged_events_leave_the_loop_only_by_reopening() -> None:
    assert allowed_actions(State.CANCELLED) == ()
    assert allowed_actions(State.MERGED) == ()
    assert allowed_actions(State.CLOSED) == (Action.REOPEN, Action.RATE)


def test_dispatch_before_triage_is_refused() -> None:
    clock = FixedClock()
    event = new_event(clock)
    with pytest.raises(TransitionNotAllowed):
        event.dispatch(
            at=clock.now(),
            actor=OPERATOR,
            lead_unit="URBAN",
            co_units=(),
            level=HandlingLevel.STREET,
            accept_within=timedelta(minutes=1),
            dispose_within=timedelta(minutes=2),
        )


def test_a_return_needs_a_reason_and_sends_the_event_back_to_the_dispatcher() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    with pytest.raises(InvalidCommand):
        event.return_(at=clock.now(), actor=HANDLER, reason="  ")
    event.return_(at=clock.now(), actor=HANDLER, reason="Not ours: this railing is a bridge's")
    assert event.state is State.RETURNED
    assert Action.DISPATCH in event.allowed_actions()


def test_the_lead_resolving_first_waits_for_every_co_unit() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    event.accept(at=clock.now(), actor=HANDLER)
    event.resolve(at=clock.now(), actor=HANDLER, result="Railing replaced")
    assert event.state is State.IN_PROGRESS
    assert event.pending_co_units() == ("TRANS",)
    assert event.events[-1].name == "EventLeadResolved"
    with pytest.raises(InvalidCommand, match="waiting for co-units: TRANS"):
        event.resolve(at=clock.now(), actor=HANDLER, result="again")
    event.feedback(at=clock.now(), actor=CO, unit="TRANS", result="Traffic diverted")
    assert event.state is State.RESOLVED
    assert event.timeline[-1].actor == "system"
    assert event.due_at is None


def test_only_co_units_give_co_unit_feedback() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    with pytest.raises(InvalidCommand, match="not a co-unit"):
        event.feedback(at=clock.now(), actor=HANDLER, unit="PSB", result="x")


def test_the_supervision_clock_warns_at_75_percent_and_escalates_when_overdue() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    assert event.warn_at == clock.now() + timedelta(minutes=22, seconds=30)
    assert event.due_at == clock.now() + timedelta(minutes=30)
    event.remind(at=clock.now())
    assert event.supervision == "yellow"
    assert event.warn_at is None
    event.mark_overdue(at=clock.now())
    assert event.supervision == "red"
    assert event.handling_level is HandlingLevel.DISTRICT
    assert event.timeline[-1].payload["phase"] == "accept"
    event.accept(at=clock.now(), actor=HANDLER)
    assert event.supervision == "normal"
    assert event.due_at == event.dispose_by


def test_duplicate_reports_join_and_a_wrong_one_can_be_split_off() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    event.link_report("r1", at=clock.now(), actor=Actor.system(), reasons=())
    event.link_report("r2", at=clock.now(), actor=Actor.system(), reasons=("same type, 40 m",))
    event.link_report("r2", at=clock.now(), actor=Actor.system(), reasons=())
    assert event.report_ids == ("r1", "r2")
    event.split_report("r2", at=clock.now(), actor=OPERATOR, reason="different railing")
    assert event.report_ids == ("r1",)
    with pytest.raises(InvalidCommand):
        event.split_report("r1", at=clock.now(), actor=OPERATOR, reason="x")


def test_a_closed_event_is_rated_one_to_five() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    with pytest.raises(TransitionNotAllowed):
        event.rate(at=clock.now(), report_id="r1", score=5, comment=None)
    event.state = State.CLOSED
    with pytest.raises(InvalidCommand):
        event.rate(at=clock.now(), report_id="r1", score=6, comment=None)
    event.rate(at=clock.now(), report_id="r1", score=2, comment="slow")
    assert event.timeline[-1].payload["score"] == 2


def test_resolving_without_feedback_is_refused() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    event.accept(at=clock.now(), actor=HANDLER)
    with pytest.raises(InvalidCommand, match="feedback"):
        event.resolve(at=clock.now(), actor=HANDLER, result="")


def test_a_late_resolution_is_marked_not_on_time() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    event.accept(at=clock.now(), actor=HANDLER)
    event.feedback(at=clock.now(), actor=CO, unit="TRANS", result="Helped")
    clock.advance(hours=25)
    event.resolve(at=clock.now(), actor=HANDLER, result="Done, late")
    assert event.timeline[-1].payload["on_time"] is False


def test_a_failed_verification_sends_the_event_back_to_work() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    event.accept(at=clock.now(), actor=HANDLER)
    event.feedback(at=clock.now(), actor=CO, unit="TRANS", result="Helped")
    event.resolve(at=clock.now(), actor=HANDLER, result="Fixed")
    event.reject(at=clock.now(), actor=OPERATOR, reason="Still broken on site")
    assert event.state is State.IN_PROGRESS
    assert event.events[-1].name == "EventVerificationRejected"


def test_suspension_needs_a_reason_and_resumes_to_in_progress() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    event.accept(at=clock.now(), actor=HANDLER)
    event.suspend(at=clock.now(), actor=HANDLER, reason="Waiting for the river to fall")
    assert event.state is State.SUSPENDED
    event.resume(at=clock.now(), actor=HANDLER)
    assert event.state is State.IN_PROGRESS


def test_reopening_a_closed_event_sends_it_back_to_the_centre_for_review() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    event.accept(at=clock.now(), actor=HANDLER)
    event.feedback(at=clock.now(), actor=CO, unit="TRANS", result="Helped")
    event.resolve(at=clock.now(), actor=HANDLER, result="Fixed")
    event.verify(at=clock.now(), actor=OPERATOR)
    event.close(at=clock.now(), actor=OPERATOR)
    clock.advance(days=2)
    event.reopen(at=clock.now(), actor=OPERATOR, reason="Citizen says it is broken again")
    assert event.state is State.TRIAGED
    assert event.accept_by is None
    assert Action.DISPATCH in event.allowed_actions()


def test_escalation_raises_the_level_one_step_and_keeps_the_state() -> None:
    clock = FixedClock()
    event = dispatched(clock)
    event.escalate(at=clock.now(), actor=OPERATOR, reason="Needs district resources")
    assert event.state is State.DISPATCHED
    assert event.handling_level is HandlingLevel.DISTRICT
    assert event.timeline[-1].payload == {"from_level": "street", "to_level": "district"}
    event.escalate(at=clock.now(), actor=OPERATOR, reason="City-wide")
    with pytest.raises(InvalidCommand, match="cannot escalate"):
        event.escalate(at=clock.now(), actor=OPERATOR, reason="Higher still")


def test_merging_folds_a_duplicate_and_the_parent_takes_its_reports() -> None:
    clock = FixedClock()
    parent = dispatched(clock)
    child = Event.report(
        id="e2",
        ref="YZ-20261123-000002",
        source=Source.CITIZEN,
        title="Broken railing",
        at=clock.now(),
        actor=Actor.system(),
        report_ids=("r-9",),
    )
    child.merge_into(
        parent_id="e1", parent_ref=parent.ref, at=clock.now(), actor=OPERATOR, note=None
    )
    parent.absorb(child, at=clock.now(), actor=OPERATOR)
    assert child.state is State.MERGED
    assert child.parent_id == "e1"
    assert parent.report_ids == ("r-9",)
    assert parent.state is State.DISPATCHED
    with pytest.raises(InvalidCommand):
        parent.merge_into(parent_id="e1", parent_ref="x", at=clock.now(), actor=OPERATOR, note=None)


def test_timeline_entries_are_immutable() -> None:
    clock = FixedClock()
    entry = new_event(clock).timeline[0]
    with pytest.raises(AttributeError):
        entry.note = "rewritten"  # type: ignore[misc]


def test_an_event_needs_a_title() -> None:
    with pytest.raises(InvalidCommand):
        Event.report(
            id="x",
            ref="r",
            source=Source.HOTLINE,
            title=" ",
            at=FixedClock().now(),
            actor=Actor.system(),
        )
