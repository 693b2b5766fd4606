"""Telemetry over HTTP: readings become warnings, warnings become events, and both follow."""

from __future__ import annotations

import csv
import json
from typing import Any

import pytest

from tests.e2e.conftest import Api


def sensors_of(api: Api, kind: str) -> list[str]:
    with (api.container.city.root / "sensors.csv").open(encoding="utf-8") as f:
        return [row["id"] for row in csv.DictReader(f) if row["type"] == kind]


def send(api: Api, readings: list[tuple[str, float, Any]], user: str = "admin") -> dict[str, Any]:
    body = {
        "sensor": [r[0] for r in readings],
        "ts": [r[1] for r in readings],
        "value": [r[2] for r in readings],
    }
    r = api.client.post("/api/v1/telemetry", json=body, headers=api.as_(user))
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


@pytest.fixture
def now(api: Api) -> float:
    return api.container.clock.now().timestamp()


def warning_of(api: Api, sensor: str) -> dict[str, Any]:
    found = [w for w in api.get("/api/v1/warnings", "city_op").json() if w["subject"] == sensor]
    assert len(found) == 1, found
    return found[0]


def test_a_red_gas_reading_raises_one_warning_and_one_dispatched_event(
    api: Api, now: float
) -> None:
    sensor = sensors_of(api, "gas_lel")[0]
    out = send(api, [(sensor, now - 120, 60.0)])
    assert out["accepted"] == 1
    assert out["events_created"] == 1
    w = warning_of(api, sensor)
    assert w["level"] == "red"
    assert w["event_type"] == "AC03"
    event = api.get(f"/api/v1/events/{w['event_id']}", "city_op").json()
    assert event["source"] == "sensor"
    assert event["severity"] == "I"
    assert event["type_code"] == "AC03"
    assert event["lead_unit"] == "GASCO"
    assert event["state"] == "dispatched"
    assert w["id"] in event["warning_ids"]
    again = send(api, [(sensor, now - 60, 61.0)])
    assert again["warning_changes"] == 0
    assert again["events_created"] == 0


def test_bad_records_are_listed_and_good_ones_kept(api: Api, now: float) -> None:
    good = sensors_of(api, "gas_lel")[1]
    out = send(
        api,
        [
            ("NO-SUCH-SENSOR", now - 100, 1.0),
            (good, now - 100, 1.0),
            (good, now + 3600, 1.0),
            (sensors_of(api, "gas_lel")[2], now - 100, "NaN"),
        ],
    )
    assert out["accepted"] == 1
    assert out["rejected"] == 3
    reasons = {r["index"]: r["reason"] for r in out["rejections"]}
    assert set(reasons) == {0, 2, 3}
    assert "unknown sensor" in reasons[0]
    assert "future" in reasons[2]


def test_an_upgrade_raises_the_events_severity_and_a_clear_verifies_it(
    api: Api, now: float
) -> None:
    sensor = sensors_of(api, "gas_lel")[5]
    send(api, [(sensor, now - 600, 12.0)])
    out = send(api, [(sensor, now - 540, 12.5)])
    assert out["events_created"] == 1
    w = warning_of(api, sensor)
    assert w["level"] == "yellow"
    eid = w["event_id"]
    assert api.get(f"/api/v1/events/{eid}", "admin").json()["severity"] == "III"
    send(api, [(sensor, now - 480, 55.0)])
    event = api.get(f"/api/v1/events/{eid}", "admin").json()
    assert event["severity"] == "I"
    timeline = api.get(f"/api/v1/events/{eid}/timeline", "admin").json()
    assert timeline[-1]["action"] == "regrade"
    api.post(f"/api/v1/events/{eid}/accept", "admin")
    for unit in event["co_units"]:
        api.post(f"/api/v1/events/{eid}/feedback", "admin", {"result": "到场处置", "unit": unit})
    r = api.post(f"/api/v1/events/{eid}/resolve", "admin", {"result": "关阀通风，浓度回落"})
    assert r.json()["state"] == "resolved", r.text
    send(api, [(sensor, now - 420, 0.0)])
    event = api.get(f"/api/v1/events/{eid}", "admin").json()
    assert event["state"] == "verified"
    history = api.get(f"/api/v1/warnings/{w['id']}", "admin").json()["history"]
    assert [h["kind"] for h in history if h["kind"] != "event"] == [
        "raised",
        "upgraded",
        "cleared",
    ]


def test_telemetry_needs_a_key_or_an_admin(api: Api, now: float) -> None:
    body = {"sensor": [], "ts": [], "value": []}
    r = api.client.post("/api/v1/telemetry", json=body)
    assert r.status_code == 403
    r = api.client.post("/api/v1/telemetry", json=body, headers=api.as_("city_op"))
    assert r.status_code == 403
    r = api.client.post("/api/v1/telemetry", content=b"{nope", headers=api.as_("admin"))
    assert r.status_code == 422


def test_ndjson_is_accepted_too(api: Api, now: float) -> None:
    sensor = sensors_of(api, "gas_lel")[9]
    lines = f'{{"sensor": "{sensor}", "ts": {now - 30}, "value": 1.5}}\n{{"broken"\n'
    r = api.client.post(
        "/api/v1/telemetry",
        content=lines.encode(),
        headers={**api.as_("admin"), "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1
    assert r.json()["rejected"] == 1


def predicted_change(sensor: str, ts: float, level: str = "orange") -> Any:
    from cityloop.engine.levels import WarningLevel
    from cityloop.engine.warnings import ChangeKind, WarningChange

    return WarningChange(
        warning_id=f"flood-forecast/{sensor}/{int(ts * 1000)}",
        rule="flood-forecast",
        rule_type="forecast",
        subject=sensor,
        subject_kind="sensor",
        kind=ChangeKind.RAISED,
        level=WarningLevel.parse(level),
        previous=WarningLevel.NONE,
        ts=ts,
        raised_ts=ts,
        value=3.2,
        threshold=3.0,
        cause={"method": "holt", "horizon_s": 3600},
        predicted=True,
        anomaly=False,
        needs_confirmation=True,
        event_type="ND02",
        event_at=WarningLevel.YELLOW,
        creates_event=True,
    )


def test_a_predicted_warning_waits_for_a_person_then_becomes_an_event(api: Api, now: float) -> None:
    sensor = sensors_of(api, "water_level")[0]
    assert api.container.telemetry.apply([predicted_change(sensor, now - 50)]) == 0
    queue = api.get("/api/v1/warnings", "city_op", params={"confirmation": "pending"}).json()
    w = next(x for x in queue if x["subject"] == sensor)
    assert w["event_id"] is None
    assert w["predicted"] is True
    assert (
        api.post(f"/api/v1/warning-confirmations/{w['id']}/confirm", "auditor").status_code == 403
    )
    r = api.post(
        f"/api/v1/warning-confirmations/{w['id']}/confirm", "city_op", {"note": "河道确在涨水"}
    )
    assert r.status_code == 200, r.text
    confirmed = r.json()
    assert confirmed["confirmation"] == "confirmed"
    assert confirmed["event_id"] is not None
    event = api.get(f"/api/v1/events/{confirmed['event_id']}", "city_op").json()
    assert event["type_code"] == "ND02"
    assert event["severity"] == "II"


def test_dismissed_predictions_count_as_false_alarms_per_rule(api: Api, now: float) -> None:
    sensor = sensors_of(api, "water_level")[1]
    api.container.telemetry.apply([predicted_change(sensor, now - 40, "yellow")])
    w = warning_of(api, sensor)
    r = api.post(
        f"/api/v1/warning-confirmations/{w['id']}/dismiss",
        "city_op",
        {"reason": "传感器被淤泥覆盖"},
    )
    assert r.json()["confirmation"] == "dismissed"
    assert r.json()["event_id"] is None
    rates = {x["rule"]: x for x in api.get("/api/v1/warnings/false-alarms", "city_op").json()}
    assert rates["flood-forecast"]["dismissed"] >= 1
    assert 0 < rates["flood-forecast"]["false_alarm_rate"] <= 1


def test_a_silent_sensor_raises_one_dv01_event_to_its_owner_department(
    api: Api, now: float
) -> None:
    sensor = sensors_of(api, "hydrant_pressure")[3]
    send(api, [(sensor, now - 30, 0.35)])
    clock = api.container.clock
    before = clock.now()
    try:
        clock.advance(hours=2)  # type: ignore[attr-defined]
        api.container.telemetry.tick()
        api.container.telemetry.tick()
    finally:
        clock.current = before  # type: ignore[attr-defined]
    found = [
        w
        for w in api.get("/api/v1/warnings", "admin").json()
        if w["subject"] == sensor and w["event_type"] == "DV01"
    ]
    assert len(found) == 1
    event = api.get(f"/api/v1/events/{found[0]['event_id']}", "admin").json()
    assert event["type_code"] == "DV01"
    assert event["lead_unit"] == "FIRE"
    assert "DATA" in event["co_units"]


def test_arrow_ipc_is_accepted_too(api: Api, now: float) -> None:
    import pyarrow as pa

    sensor = sensors_of(api, "gas_lel")[11]
    table = pa.table({"sensor": [sensor, "NOPE"], "ts": [now - 20, now - 20], "value": [1.0, 1.0]})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    r = api.client.post(
        "/api/v1/telemetry",
        content=sink.getvalue().to_pybytes(),
        headers={**api.as_("admin"), "content-type": "application/vnd.apache.arrow.stream"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (1, 1)


class _Killed(Exception):
    """The process dies here."""


def _payload(sensor: str, ts: float, value: float) -> bytes:
    return json.dumps({"sensor": [sensor], "ts": [ts], "value": [value]}).encode()


@pytest.mark.parametrize("heal", ["reconcile", "replay"])
def test_an_upgrade_whose_follow_up_a_crash_cut_off_is_still_regraded(
    api: Api, now: float, monkeypatch: pytest.MonkeyPatch, heal: str
) -> None:
    """The upgrade is stored, then the process dies before regrading the event (two
    transactions): the next owner's reconcile, or a replay of the same readings, regrades it."""
    sensor = sensors_of(api, "gas_lel")[20 if heal == "reconcile" else 21]
    send(api, [(sensor, now - 600, 12.0)])
    send(api, [(sensor, now - 540, 12.5)])
    eid = warning_of(api, sensor)["event_id"]
    telemetry = api.container.telemetry

    def killed(*args: Any) -> None:
        raise _Killed

    stored: list[Any] = []  # the changes, as a new owner's restored engine makes them again
    apply = telemetry.apply

    def recording(changes: list[Any], before_commit: Any = None) -> int:
        stored.extend(changes)
        return apply(changes, before_commit)

    with monkeypatch.context() as m:
        m.setattr(telemetry, "_follow_events", killed)
        m.setattr(telemetry, "apply", recording)
        with pytest.raises(_Killed):
            telemetry.ingest(_payload(sensor, now - 480, 55.0), "application/json")
    assert warning_of(api, sensor)["level"] == "red"
    assert api.get(f"/api/v1/events/{eid}", "admin").json()["severity"] == "III"
    if heal == "reconcile":
        telemetry.reconcile()
    else:  # the replay holds the change already stored: it is skipped, its follow-up is not
        assert [c.kind.value for c in stored] == ["upgraded"]
        telemetry.apply(stored)
    assert api.get(f"/api/v1/events/{eid}", "admin").json()["severity"] == "I"
    timeline = api.get(f"/api/v1/events/{eid}/timeline", "admin").json()
    assert [x["action"] for x in timeline].count("regrade") == 1
    telemetry.reconcile()  # once more: nothing left to do
    again = api.get(f"/api/v1/events/{eid}/timeline", "admin").json()
    assert len(again) == len(timeline)


def test_a_clear_whose_verification_a_crash_cut_off_is_verified_by_the_next_reconcile(
    api: Api, now: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clear is stored, then the process dies before verifying the resolved event: the
    next owner's reconcile verifies it, once."""
    sensor = sensors_of(api, "gas_lel")[22]
    send(api, [(sensor, now - 600, 12.0)])
    send(api, [(sensor, now - 540, 12.5)])
    w = warning_of(api, sensor)
    eid = w["event_id"]
    event = api.get(f"/api/v1/events/{eid}", "admin").json()
    api.post(f"/api/v1/events/{eid}/accept", "admin")
    for unit in event["co_units"]:
        api.post(f"/api/v1/events/{eid}/feedback", "admin", {"result": "到场处置", "unit": unit})
    r = api.post(f"/api/v1/events/{eid}/resolve", "admin", {"result": "关阀通风，浓度回落"})
    assert r.json()["state"] == "resolved", r.text
    telemetry = api.container.telemetry

    def killed(*args: Any) -> None:
        raise _Killed

    with monkeypatch.context() as m:
        m.setattr(telemetry, "_follow_events", killed)
        with pytest.raises(_Killed):
            telemetry.ingest(_payload(sensor, now - 420, 0.0), "application/json")
    assert not api.get(f"/api/v1/warnings/{w['id']}", "admin").json()["active"]
    assert api.get(f"/api/v1/events/{eid}", "admin").json()["state"] == "resolved"
    telemetry.reconcile()
    assert api.get(f"/api/v1/events/{eid}", "admin").json()["state"] == "verified"
    timeline = api.get(f"/api/v1/events/{eid}/timeline", "admin").json()
    assert [x["action"] for x in timeline].count("verify") == 1
    telemetry.reconcile()  # once more: nothing left to do
    assert len(api.get(f"/api/v1/events/{eid}/timeline", "admin").json()) == len(timeline)
