"""The server holds the interpreter's switch interval at its setting and gives it back after."""

from __future__ import annotations

import sys

import pytest

from cityloop.api.switching import switch_interval


def test_the_interval_is_held_in_milliseconds_and_restored_afterwards() -> None:
    values = [0.005]
    with switch_interval(20.0, get=lambda: values[-1], set_=values.append):
        assert values[-1] == pytest.approx(0.020)
    assert values[-1] == 0.005


def test_the_interval_is_restored_when_the_body_fails() -> None:
    values = [0.005]
    with (
        pytest.raises(RuntimeError),
        switch_interval(50.0, get=lambda: values[-1], set_=values.append),
    ):
        raise RuntimeError("the server stopped")
    assert values[-1] == 0.005


def test_the_real_interpreter_setting_changes_and_comes_back() -> None:
    before = sys.getswitchinterval()
    with switch_interval(13.0):
        assert sys.getswitchinterval() == pytest.approx(0.013)
    assert sys.getswitchinterval() == before
