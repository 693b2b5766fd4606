"""The Qijiang case end to end: low dissolved oxygen → warning → AC10 event with its upstream
candidate sources → ENV, WATER and WATERCO notified together; and its CAP 1.2 messages."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from lxml import etree

from tests.e2e.conftest import Api

XSD = Path(__file__).resolve().parents[1] / "data" / "CAP-v1.2.xsd"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def do_station_with_upstream_sources(api: Api) -> str:
    tracer = api.container.telemetry.tracer
    assert tracer is not None
    with (api.container.city.root / "sensors.csv").open(encoding="utf-8") as f:
        stations = [r["id"] for r in csv.DictReader(f) if r["type"] == "dissolved_oxygen"]
    # The most downstream-looking station: the one with the most discharge points upstream
    # when nothing else reads normal.
    from cityloop.engine.tracing import trace_sources

    def count(s: str) -> int:
        result = trace_sources(
            tracer.network, tracer.stations, tracer.discharges, s, lambda _: False
        )
        return len(result.candidates)

    return max((s for s in stations if s in tracer.stations.index), key=count)


def low_oxygen(api: Api, station: str) -> dict[str, Any]:
    now = api.container.clock.now().timestamp()
    body = {"sensor": [station] * 3, "ts": [now - 300, now - 200, now - 100], "value": [1.5] * 3}
    r = api.client.post("/api/v1/telemetry", json=body, headers=api.as_("admin"))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_low_oxygen_traces_upstream_sources_and_alerts_three_departments(api: Api) -> None:
    station = do_station_with_upstream_sources(api)
    out = low_oxygen(api, station)
    assert out["events_created"] == 1
    w = next(x for x in api.get("/api/v1/warnings", "admin").json() if x["subject"] == station)
    assert w["level"] == "red"
    event = api.get(f"/api/v1/events/{w['event_id']}", "admin").json()
    assert event["type_code"] == "AC10"
    assert event["lead_unit"] == "ENV"
    assert set(event["co_units"]) == {"WATER", "WATERCO"}
    timeline = api.get(f"/api/v1/events/{event['id']}/timeline", "admin").json()
    trace = next(e for e in timeline if e["action"] == "trace")
    assert trace["payload"]["candidates"]
    assert trace["payload"]["reasons"][0].startswith(f"station {station}")
    distances = [c["distance_m"] for c in trace["payload"]["candidates"]]
    assert distances == sorted(distances)
    api.container.tick()
    with api.container.reader() as uow:
        told = {
            n.recipient
            for n in uow.notifications.for_event(event["id"])
            if n.recipient_kind == "unit" and n.kind == "dispatched"
        }
    assert {"ENV", "WATER", "WATERCO"} <= told


def test_every_warning_is_a_valid_cap_alert_and_in_the_feed(api: Api) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    warnings = api.get("/api/v1/warnings", "admin").json()
    assert warnings
    for w in warnings[:5]:
        r = api.client.get(f"/cap/alerts/{w['id']}.xml")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/cap+xml")
        doc = etree.fromstring(r.content)
        schema.assertValid(doc)
        assert doc.findtext(f"{CAP}msgType") == "Alert"
        assert doc.findtext(f"{CAP}info/{CAP}severity") in {
            "Minor",
            "Moderate",
            "Severe",
            "Extreme",
        }
    feed = etree.fromstring(api.client.get("/cap/feed.atom").content)
    entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) >= len(warnings[:5])
    assert api.client.get("/cap/alerts/no/such/warning.xml").status_code == 404


def test_a_cleared_warning_is_a_cap_cancel_referencing_the_earlier_messages(api: Api) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    with (api.container.city.root / "sensors.csv").open(encoding="utf-8") as f:
        gas = [r["id"] for r in csv.DictReader(f) if r["type"] == "gas_lel"][40]
    now = api.container.clock.now().timestamp()
    for ts, value in ((now - 90, 30.0), (now - 60, 60.0), (now - 30, 0.0)):
        body = {"sensor": [gas], "ts": [ts], "value": [value]}
        api.client.post("/api/v1/telemetry", json=body, headers=api.as_("admin"))
    w = next(
        x
        for x in api.get("/api/v1/warnings", "admin", params={"active": False}).json()
        if x["subject"] == gas
    )
    doc = etree.fromstring(api.client.get(f"/cap/alerts/{w['id']}.xml").content)
    schema.assertValid(doc)
    assert doc.findtext(f"{CAP}msgType") == "Cancel"
    assert len(doc.findtext(f"{CAP}references").split()) == 2
    first = etree.fromstring(api.client.get(f"/cap/alerts/{w['id']}.xml?sequence=1").content)
    assert first.findtext(f"{CAP}msgType") == "Alert"
