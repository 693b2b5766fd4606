"""Roles see their own territory; handlers their department's events; ids never leak."""

from __future__ import annotations

import re

import pytest

from cityloop.domain.access import ROLE_ACTIONS, Forbidden, NotFound, Principal, Role
from cityloop.domain.clock import FixedClock
from cityloop.domain.event import Actor, Event, Location, Source
from cityloop.domain.lifecycle import Action
from cityloop.domain.territory import JurisdictionChain, Level

IN_S1 = JurisdictionChain("YZ", "YZ01", "YZ01S01", "YZ01S01C01", "YZ01S01C01G001")
IN_S2 = JurisdictionChain("YZ", "YZ01", "YZ01S02", "YZ01S02C01", "YZ01S02C01G001")
IN_D2 = JurisdictionChain("YZ", "YZ02", "YZ02S01", "YZ02S01C01", "YZ02S01C01G001")


def event_at(chain: JurisdictionChain, lead: str | None = None, co: tuple[str, ...] = ()) -> Event:
    e = Event.report(
        id="e",
        ref="r",
        source=Source.CITIZEN,
        title="t",
        at=FixedClock().now(),
        actor=Actor.system(),
        location=Location(1.0, 2.0, chain),
    )
    e.lead_unit, e.co_units = lead, co
    return e


def who(role: Role, code: str, level: Level, department: str | None = None) -> Principal:
    return Principal("u", "u", role, code, level, department)


def test_a_street_operator_sees_only_its_street() -> None:
    p = who(Role.STREET_OPERATOR, "YZ01S01", Level.STREET)
    assert p.sees(event_at(IN_S1))
    assert not p.sees(event_at(IN_S2))
    assert not p.sees(event_at(IN_D2))


def test_a_district_operator_sees_its_whole_district() -> None:
    p = who(Role.DISTRICT_OPERATOR, "YZ01", Level.DISTRICT)
    assert p.sees(event_at(IN_S1))
    assert p.sees(event_at(IN_S2))
    assert not p.sees(event_at(IN_D2))


@pytest.mark.parametrize("role", [Role.CITY_OPERATOR, Role.LEADER, Role.AUDITOR, Role.ADMIN])
def test_city_level_roles_see_everything(role: Role) -> None:
    p = who(role, "YZ", Level.CITY)
    assert all(p.sees(event_at(c)) for c in (IN_S1, IN_S2, IN_D2))


def test_a_handler_sees_events_where_its_department_is_lead_or_co_unit_in_its_territory() -> None:
    p = who(Role.DEPARTMENT_HANDLER, "YZ01", Level.DISTRICT, "URBAN")
    assert p.sees(event_at(IN_S1, lead="URBAN"))
    assert p.sees(event_at(IN_S1, lead="PSB", co=("URBAN",)))
    assert not p.sees(event_at(IN_S1, lead="PSB"))
    assert not p.sees(event_at(IN_D2, lead="URBAN"))


def test_an_event_without_location_is_seen_only_citywide() -> None:
    e = Event.report(
        id="e",
        ref="r",
        source=Source.HOTLINE,
        title="t",
        at=FixedClock().now(),
        actor=Actor.system(),
    )
    assert who(Role.CITY_OPERATOR, "YZ", Level.CITY).sees(e)
    assert not who(Role.DISTRICT_OPERATOR, "YZ01", Level.DISTRICT).sees(e)


def test_out_of_scope_is_not_found_and_wrong_role_is_forbidden() -> None:
    street = who(Role.STREET_OPERATOR, "YZ01S01", Level.STREET)
    with pytest.raises(NotFound):
        street.authorize(Action.DISPATCH, event_at(IN_D2))
    leader = who(Role.LEADER, "YZ", Level.CITY)
    with pytest.raises(Forbidden):
        leader.authorize(Action.DISPATCH, event_at(IN_S1))


def test_only_the_lead_unit_accepts_a_co_unit_may_not() -> None:
    co = who(Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "TRANS")
    e = event_at(IN_S1, lead="URBAN", co=("TRANS",))
    with pytest.raises(Forbidden, match="lead unit"):
        co.authorize(Action.ACCEPT, e)
    who(Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "URBAN").authorize(Action.ACCEPT, e)


def test_a_refusal_is_the_error_authorize_would_raise_and_none_when_allowed() -> None:
    e = event_at(IN_S1, lead="URBAN", co=("TRANS",))
    cases = [
        (who(Role.STREET_OPERATOR, "YZ01S02", Level.STREET), Action.DISPATCH, NotFound),
        (who(Role.LEADER, "YZ", Level.CITY), Action.DISPATCH, Forbidden),
        (who(Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "TRANS"), Action.ACCEPT, Forbidden),
        (who(Role.STREET_OPERATOR, "YZ01S01", Level.STREET), Action.DISPATCH, None),
        (who(Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "URBAN"), Action.ACCEPT, None),
    ]
    for principal, action, expected in cases:
        refused = principal.refusal(action, e)
        if expected is None:
            assert refused is None
            principal.authorize(action, e)
            continue
        assert isinstance(refused, expected)
        with pytest.raises(expected, match=re.escape(str(refused))):
            principal.authorize(action, e)


def test_the_permitted_actions_are_those_authorize_lets_pass_in_order() -> None:
    e = event_at(IN_S1, lead="URBAN", co=("TRANS",))
    actions = [a.value for a in Action]
    people = [
        who(Role.STREET_OPERATOR, "YZ01S02", Level.STREET),
        who(Role.STREET_OPERATOR, "YZ01S01", Level.STREET),
        who(Role.LEADER, "YZ", Level.CITY),
        who(Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "TRANS"),
        who(Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "URBAN"),
        who(Role.ADMIN, "YZ", Level.CITY),
    ]
    for principal in people:
        expected = [a for a in actions if principal.refusal(a, e) is None]
        assert principal.permitted(actions, e) == expected
    assert people[0].permitted(actions, e) == []
    assert "accept" in people[4].permitted(actions, e)
    assert "accept" not in people[3].permitted(actions, e)


def test_read_only_roles_take_no_action() -> None:
    for role in (Role.LEADER, Role.AUDITOR, Role.DATA_ADMIN):
        assert ROLE_ACTIONS[role] == frozenset()


def test_contact_details_are_for_roles_that_call_citizens_back() -> None:
    assert who(Role.STREET_OPERATOR, "YZ01S01", Level.STREET).sees_contact_details
    assert who(Role.DEPARTMENT_HANDLER, "YZ", Level.CITY, "URBAN").sees_contact_details
    for role in (Role.LEADER, Role.AUDITOR, Role.DATA_ADMIN, Role.GRID_WORKER):
        assert not who(role, "YZ", Level.CITY).sees_contact_details


def test_nobody_reports_outside_its_territory() -> None:
    street = who(Role.STREET_OPERATOR, "YZ01S01", Level.STREET)
    street.authorize_create_at(IN_S1)
    with pytest.raises(Forbidden, match="outside your territory"):
        street.authorize_create_at(IN_D2)
    with pytest.raises(Forbidden):
        who(Role.AUDITOR, "YZ", Level.CITY).authorize_create_at(IN_S1)
