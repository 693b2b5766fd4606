"""The PlanActivation aggregate: authority, task fan-out, deadlines, level changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cityloop.domain.access import Forbidden, Principal, Role
from cityloop.domain.errors import InvalidCommand
from cityloop.domain.plan_activation import ActivationStatus, PlanActivation, TaskTemplate
from cityloop.domain.territory import Level

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def who(role: Role, level: Level = Level.CITY, dept: str | None = None) -> Principal:
    code = {Level.CITY: "YZ", Level.DISTRICT: "YZ01", Level.STREET: "YZ01S01"}[level]
    return Principal(f"u-{role.value}", role.value, role, code, level, dept)


CITY = who(Role.CITY_OPERATOR)
DISTRICT = who(Role.DISTRICT_OPERATOR, Level.DISTRICT)
STREET = who(Role.STREET_OPERATOR, Level.STREET)
URBAN = who(Role.DEPARTMENT_HANDLER, Level.CITY, "URBAN")
TPOL = who(Role.DEPARTMENT_HANDLER, Level.CITY, "TPOL")

IV = [
    TaskTemplate("drain", "URBAN", "lead", "排水", "Drain", 60),
    TaskTemplate("sewer", "WATERCO", "support", "管网", "Sewers", 30),
]
III = [*IV, TaskTemplate("traffic", "TPOL", "support", "交通", "Traffic", 20)]
II = [*III, TaskTemplate("rescue", "FIRE", "support", "救援", "Rescue", 15)]


def activate(level: str = "IV", by: Principal = STREET, tpl: list[TaskTemplate] = IV):
    return PlanActivation.activate(
        id="a1",
        plan_id="rainstorm-waterlogging",
        level=level,
        by=by,
        reason="25 waterlogging points open in YZ01",
        at=T0,
        templates=tpl,
        jurisdiction=by.jurisdiction,
        event_ids=("e1", "e2"),
    )


@pytest.mark.parametrize(
    ("level", "allowed", "refused"),
    [
        ("IV", [STREET, DISTRICT, CITY], [URBAN]),
        ("III", [DISTRICT, CITY], [STREET, URBAN]),
        ("II", [CITY, who(Role.LEADER), who(Role.ADMIN)], [DISTRICT, STREET]),
        ("I", [CITY], [DISTRICT, who(Role.AUDITOR)]),
    ],
)
def test_activation_needs_the_authority_of_its_level(
    level: str, allowed: list[Principal], refused: list[Principal]
) -> None:
    for p in allowed:
        assert activate(level, p).level == level
    for p in refused:
        with pytest.raises(Forbidden):
            activate(level, p)


def test_activation_fans_out_one_task_per_department_with_deadlines() -> None:
    act = activate("III", DISTRICT, III)
    assert [(t.department, t.role) for t in act.tasks] == [
        ("URBAN", "lead"),
        ("WATERCO", "support"),
        ("TPOL", "support"),
    ]
    assert act.task("traffic").due_at == T0 + timedelta(minutes=20)
    names = [e.name for e in act.events]
    assert names == ["PlanActivated"] + ["PlanTaskAssigned"] * 3
    assert act.timeline[0]["kind"] == "activated"
    assert act.timeline[0]["by"] == DISTRICT.user_id
    assert act.progress(T0)["departments"]["TPOL"] == {
        "total": 1,
        "done": 0,
        "acknowledged": 0,
        "overdue": 0,
    }


def test_a_task_is_overdue_past_its_deadline_until_done() -> None:
    act = activate()
    assert act.task("sewer").shown_status(T0 + timedelta(minutes=30)) == "assigned"
    late = T0 + timedelta(minutes=31)
    assert act.task("sewer").shown_status(late) == "overdue"
    assert [t.id for t in act.mark_overdue(late)] == ["sewer"]
    assert act.mark_overdue(late) == []  # flagged once
    assert act.events[-1].name == "PlanTaskOverdue"
    assert act.progress(late)["overdue"] == ["sewer"]


def test_only_the_tasks_department_acknowledges_and_finishes_it() -> None:
    act = activate()
    with pytest.raises(Forbidden):
        act.acknowledge("drain", by=TPOL, note=None, at=T0)
    with pytest.raises(Forbidden):
        act.acknowledge("drain", by=CITY, note=None, at=T0)
    act.acknowledge("drain", by=URBAN, note="2 pump trucks on the way", at=T0)
    with pytest.raises(InvalidCommand):
        act.complete("drain", by=URBAN, feedback=" ", at=T0)
    act.complete("drain", by=URBAN, feedback="drained", at=T0 + timedelta(minutes=40))
    assert act.task("drain").status.value == "done"
    assert act.progress(T0)["departments"]["URBAN"]["done"] == 1
    assert [f["kind"] for f in act.task("drain").feedback] == ["acknowledged", "done"]


def test_upgrade_adds_the_new_levels_tasks_and_downgrade_cancels_them() -> None:
    act = activate("III", DISTRICT, III)
    with pytest.raises(Forbidden):
        act.change_level(level="II", by=DISTRICT, reason="worse", at=T0, templates=II)
    assert act.change_level(level="II", by=CITY, reason="worse", at=T0, templates=II) == "upgraded"
    assert act.level == "II"
    assert {t.id for t in act.tasks} == {"drain", "sewer", "traffic", "rescue"}
    later = T0 + timedelta(hours=1)
    kind = act.change_level(level="III", by=CITY, reason="rain eased", at=later, templates=III)
    assert kind == "downgraded"
    assert act.task("rescue").status.value == "cancelled"
    assert act.task("traffic").status.value == "assigned"
    kinds = [(e["kind"], e.get("reason")) for e in act.timeline]
    assert ("upgraded", "worse") in kinds
    assert ("downgraded", "rain eased") in kinds
    assert "PlanDowngraded" in [e.name for e in act.events]


def test_a_change_needs_a_reason_and_a_different_level() -> None:
    act = activate()
    with pytest.raises(InvalidCommand):
        act.change_level(level="III", by=CITY, reason="", at=T0, templates=III)
    with pytest.raises(InvalidCommand):
        act.change_level(level="IV", by=CITY, reason="same", at=T0, templates=IV)


def test_terminate_cancels_open_tasks_and_freezes_the_activation() -> None:
    act = activate("III", DISTRICT, III)
    act.acknowledge("traffic", by=TPOL, note=None, at=T0)
    with pytest.raises(Forbidden):
        act.terminate(by=STREET, reason="over", at=T0)
    act.terminate(by=DISTRICT, reason="water receded", at=T0 + timedelta(hours=3))
    assert act.status is ActivationStatus.TERMINATED
    assert all(t.status.value == "cancelled" for t in act.tasks)
    assert act.timeline[-1]["kind"] == "terminated"
    with pytest.raises(InvalidCommand):
        act.complete("traffic", by=TPOL, feedback="done", at=T0)
    with pytest.raises(InvalidCommand):
        act.change_level(level="II", by=CITY, reason="again", at=T0, templates=II)


def test_a_proposal_has_no_tasks_until_a_person_with_authority_confirms_it() -> None:
    prop = PlanActivation.propose(
        id="p1", plan_id="gas-leak", level="IV", by=who(Role.ADMIN), reason="1 leak",
        at=T0, jurisdiction="YZ01",
    )  # fmt: skip
    assert prop.status is ActivationStatus.PROPOSED
    assert prop.tasks == []
    with pytest.raises(InvalidCommand):
        prop.acknowledge("drain", by=URBAN, note=None, at=T0)
    prop.repropose(level="III", by=who(Role.ADMIN), reason="2 leaks", at=T0)
    with pytest.raises(Forbidden):
        prop.confirm(by=STREET, reason="ok", at=T0, templates=III)
    prop.confirm(by=DISTRICT, reason="ok", at=T0 + timedelta(minutes=5), templates=III)
    assert prop.status is ActivationStatus.ACTIVE
    assert {t.department for t in prop.tasks} == {"URBAN", "WATERCO", "TPOL"}
    assert [e["kind"] for e in prop.timeline] == ["proposed", "proposal_upgraded", "confirmed"]
    with pytest.raises(InvalidCommand):
        prop.confirm(by=CITY, reason="again", at=T0, templates=III)


def test_resources_are_assigned_to_tasks_released_and_freed_on_termination() -> None:
    act = activate()
    act.assign_resource("drain", resource="PT-1", type="drainage_pump_truck", by=STREET, at=T0)
    with pytest.raises(InvalidCommand):
        act.assign_resource("drain", resource="PT-1", type="drainage_pump_truck", by=STREET, at=T0)
    act.assign_resource("sewer", resource="RC-1", type="repair_crew", by=STREET, at=T0)
    assert act.held_resources() == {"PT-1": "drain", "RC-1": "sewer"}
    assert act.progress(T0)["resources_committed"] == 2
    act.release_resource("drain", resource="PT-1", by=STREET, at=T0, why="back")
    with pytest.raises(InvalidCommand):
        act.release_resource("drain", resource="PT-1", by=STREET, at=T0)
    act.terminate(by=STREET, reason="over", at=T0)
    assert act.held_resources() == {}
    kinds = [e["kind"] for e in act.timeline]
    assert kinds.count("resource_assigned") == 2
    assert kinds.count("resource_released") == 2


def test_an_upgrade_of_a_plan_that_wants_confirmation_waits_for_a_person() -> None:
    act = activate("IV", by=DISTRICT)
    system = who(Role.ADMIN)
    assert act.propose_upgrade(level="III", by=system, reason="30 points", at=T0)
    assert (act.level, act.pending_level) == ("IV", "III")
    assert not act.propose_upgrade(level="III", by=system, reason="still 30", at=T0)
    assert {t.department for t in act.tasks} == {"URBAN", "WATERCO"}  # nothing new yet
    with pytest.raises(Forbidden):
        act.confirm_upgrade(by=STREET, reason="ok", at=T0, templates=III)
    act.confirm_upgrade(by=DISTRICT, reason="核实", at=T0 + timedelta(minutes=3), templates=III)
    assert (act.level, act.pending_level) == ("III", None)
    assert "TPOL" in {t.department for t in act.tasks}
    assert [e["kind"] for e in act.timeline][-2:] == ["upgrade_proposed", "upgraded"]
    with pytest.raises(InvalidCommand):
        act.confirm_upgrade(by=CITY, reason="again", at=T0, templates=III)


def test_a_declined_upgrade_is_not_proposed_again_unless_graver() -> None:
    act = activate("IV", by=DISTRICT)
    system = who(Role.ADMIN)
    act.propose_upgrade(level="III", by=system, reason="30 points", at=T0)
    with pytest.raises(InvalidCommand):
        act.decline_upgrade(by=DISTRICT, reason=" ", at=T0)
    act.decline_upgrade(by=DISTRICT, reason="已在处置", at=T0)
    assert (act.level, act.pending_level) == ("IV", None)
    assert [e.name for e in act.events][-1] == "PlanUpgradeDeclined"
    assert act.propose_upgrade(level="II", by=system, reason="60 points", at=T0)
    assert act.pending_level == "II"


def test_an_overdue_task_is_escalated_to_the_centre_above_with_the_reason() -> None:
    act = activate("IV", by=STREET)
    late = act.mark_overdue(T0 + timedelta(minutes=45), escalate_to="YZ01")
    assert [t.id for t in late] == ["sewer"]  # due after 30 min; drain has 60
    entry = act.timeline[-1]
    assert (entry["kind"], entry["escalated_to"]) == ("task_overdue", "YZ01")
    assert "15 min late" in entry["reason"]
    assert act.events[-1].payload["escalated_to"] == "YZ01"
