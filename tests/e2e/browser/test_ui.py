"""The web UI in a real browser: each role's territory, the citizen's report round the closed
loop (live on the street centre's board), a telemetry warning on the map, a plan from the UI."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from cityloop.adapters.sql import tables as t
from tests.e2e.browser.conftest import LiveServer, Pages
from tests.e2e.browser.helpers import call, report, token

pytestmark = pytest.mark.browser

# 1×1 PNG: a photo as the portal and the resolve form send it
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5d4a1a90000000049454e44ae426082"
)


def _point(server: LiveServer, code: str) -> tuple[float, float]:
    p = server.container.city.jurisdictions[code].geometry.representative_point()
    return (p.x, p.y)


def test_each_role_sees_its_own_level_and_territory(pages: Pages, server: LiveServer) -> None:
    mark = uuid.uuid4().hex[:6]
    here = report(server.url, "admin", f"井盖缺失 {mark}-A", *_point(server, "YZ01S01"), "UM07")
    there = report(server.url, "admin", f"井盖缺失 {mark}-B", *_point(server, "YZ02S01"), "UM07")
    seen = {
        "city_op": ({here["ref"], there["ref"]}, set(), "City operations centre"),
        "yz01_op": ({here["ref"]}, {there["ref"]}, "District operations centre"),
        "yz01s01_op": ({here["ref"]}, {there["ref"]}, "Street operations centre"),
        "urban_yz01": ({here["ref"]}, {there["ref"]}, "Operations centre"),
        "leader": ({here["ref"], there["ref"]}, set(), "City operations centre"),
    }
    for user, (visible, hidden, title) in seen.items():
        page = pages.login(user)
        page.wait_for_selector("#vitals .tile")
        assert title in page.inner_text("#ops-title")
        page.goto(f"{server.url}/ui/board?q={mark}")
        page.wait_for_selector(f'#events tr[data-ref="{next(iter(visible))}"]')
        refs = set(page.eval_on_selector_all("#events tr", "rs => rs.map(r => r.dataset.ref)"))
        assert visible <= refs, user
        assert not hidden & refs, user
    # a grid worker may not open the leader's cockpit
    grid = pages.login("grid_yz01s01c01g001")
    response = grid.goto(f"{server.url}/ui/cockpit")
    assert response is not None
    assert response.status == 403
    # Chinese is one click away, taxonomy names included
    city = pages.opened[0][1]
    city.goto(f"{server.url}/ui/board?q={mark}")
    city.click("#lang-toggle")
    city.wait_for_selector('nav a[data-nav="ops"]:has-text("运行中心")')
    city.wait_for_selector(f'#events tr[data-ref="{here["ref"]}"]:has-text("井盖")')


def test_a_citizens_report_goes_round_the_loop_live(
    pages: Pages, server: LiveServer, tmp_path: Path
) -> None:
    photo = tmp_path / "pothole.png"
    photo.write_bytes(PNG)
    mark = uuid.uuid4().hex[:6]
    text = f"这里有个问题需要处理一下 {mark}"
    lon, lat = _point(server, "YZ01S01C01")
    board = pages.login("yz01s01_op")
    board.goto(f"{server.url}/ui/board")
    board.wait_for_selector("#live-dot.on")

    # the citizen reports on the portal (a phone-sized window), on the map, with a photo
    portal = pages.new("citizen", mobile=True)
    portal.goto(f"{server.url}/portal?lang=en")
    portal.wait_for_function("window.CL.map && window.CL.map.layers.length >= 3")
    x, y = portal.evaluate(f"window.CL.map.project({lon}, {lat})")
    box = portal.locator("#map").bounding_box()
    assert box is not None
    portal.mouse.click(box["x"] + x, box["y"] + y)
    portal.wait_for_selector('#picked[data-inside="true"]')
    portal.fill("#description", text)
    portal.fill("#phone", "13900001111")
    portal.set_input_files("#photo", str(photo))
    portal.click("#large-text")
    assert "large-text" in (portal.get_attribute("body", "class") or "")
    portal.click("#send")
    request_id = portal.inner_text("#request-id")
    shown = time.monotonic()

    # it appears on the street centre's board without a reload, in the triage queue
    row = board.locator("#triage tr", has_text=mark)
    row.wait_for(timeout=5_000)
    latency = time.monotonic() - shown
    print(f"live: the report reached the street board {latency:.3f} s after the portal's answer")
    assert latency < 1.0, f"the report took {latency:.2f} s to appear on the board"
    board.locator("#events tr", has_text=mark).wait_for()
    # the operator takes the classifier's suggestion (here a person decides: manhole cover)
    row.locator("select.triage-type").select_option("UM07")
    row.locator("button.triage-accept").click()
    event_row = board.locator('#events tr[data-state="triaged"]', has_text=mark)
    event_row.wait_for()
    event_row.locator("input.sel").check()
    board.click("#bulk-dispatch")
    board.locator('#events tr[data-state="dispatched"]', has_text=mark).wait_for()
    event_id = board.locator("#events tr", has_text=mark).first.get_attribute("data-event")

    # the lead unit handles it: accept, start, resolve with feedback and a photo
    unit = pages.login("urban_yz01")
    unit.goto(f"{server.url}/ui/events/{event_id}")
    for action in ("accept", "start"):
        unit.click(f'#actions button[data-action="{action}"]')
        unit.click("#action-form button[type=submit]")
        unit.wait_for_selector(f'#timeline li[data-action="{action}"]')
    unit.click('#actions button[data-action="resolve"]')
    unit.fill("#form-resolve textarea[name=result]", "井盖已更换 / cover replaced")
    unit.fill("#form-resolve input[name=people]", "2")
    unit.set_input_files("#form-resolve input[name=files]", str(photo))
    unit.click("#form-resolve button[type=submit]")
    unit.wait_for_selector('#timeline li[data-action="resolve"]')
    unit.wait_for_selector("#attachments img")

    # the street centre verifies and closes (its open page follows along live)
    board.goto(f"{server.url}/ui/events/{event_id}")
    for action in ("verify", "close"):
        board.click(f'#actions button[data-action="{action}"]')
        board.click("#action-form button[type=submit]")
        board.wait_for_selector(f'#timeline li[data-action="{action}"]')
    assert board.get_attribute("#supervision-state", "data-state") == "sv_ok"

    # the citizen tracks it by number, then rates it through the link sent by SMS
    portal.fill("#track-id", request_id)
    portal.click("#track-form button")
    portal.wait_for_selector('#track-status[data-status="closed"]')
    link = _citizen_link(server, "closed")
    portal.goto(f"{server.url}{link}")
    portal.click('.stars button[data-score="5"]')
    portal.fill("#rate-comment", "很及时")
    portal.click("#rate-send")
    portal.wait_for_selector("#rated")
    timeline = call(
        server.url,
        "GET",
        f"/api/v1/events/{event_id}/timeline",
        None,
        token(server.url, "yz01s01_op"),
    )
    assert [e["action"] for e in timeline][-1] == "rate"


def _citizen_link(server: LiveServer, kind: str) -> str:
    """The personal link in the last SMS of this kind (what the citizen's phone received)."""
    n = t.notifications
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with server.container.engine.connect() as conn:
            link = conn.execute(
                sa.select(n.c.link)
                .where(n.c.kind == kind, n.c.channel == "sms")
                .order_by(n.c.id.desc())
                .limit(1)
            ).scalar()
        if link:
            return re.sub(r"^https?://[^/]+", "", link)
        time.sleep(0.2)
    raise AssertionError(f"no {kind} SMS with a link")


def test_a_telemetry_warning_appears_on_the_map(pages: Pages, server: LiveServer) -> None:
    ops = pages.login("city_op")
    ops.wait_for_selector("#live-dot.on")
    ops.wait_for_function("window.CL.ops && window.CL.ops.layers.base.features.length > 0")
    sensor = next(
        sid for sid in server.container.telemetry.engine.sensors.ids if sid.startswith("GL")
    )
    admin = token(server.url, "admin")
    body = {"sensor": [sensor], "ts": [int(time.time())], "value": [60.0]}
    out = call(server.url, "POST", "/api/v1/telemetry", body, admin)
    assert out["warning_changes"] >= 1
    ops.wait_for_selector(f'#warnings li[data-warning*="{sensor}"]', timeout=5_000)
    on_map = ops.evaluate(
        f"window.CL.ops.layers.warnings.points.filter(w => w.subject === '{sensor}')"
        ".map(w => w.level)"
    )
    assert on_map == ["red"]
    drawn = ops.evaluate("window.CL.ops.layers.warnings.drawn.length")
    assert drawn >= 1


def test_a_plan_activated_from_the_ui_shows_its_tasks(pages: Pages, server: LiveServer) -> None:
    page = pages.login("city_op")
    page.goto(f"{server.url}/ui/plans")
    card = page.locator('.plan-card[data-plan="power-outage"]')
    card.locator("select.plan-level").select_option("IV")
    card.locator("input.plan-reason").fill("drill: substation fault reported")
    card.locator("button.activate").click()
    # the page shows the new activation (its id in the address) once it is stored; until then
    # its detail may be another one's, left active by an earlier test
    page.wait_for_function("location.hash.length > 1")
    activation = page.evaluate("location.hash.slice(1)")
    detail = page.locator(
        f'#activation-detail[data-activation="{activation}"][data-status="active"]'
    )
    detail.wait_for()
    tasks = page.locator("#tasks tr")
    assert tasks.count() >= 1
    assert "assigned" in tasks.first.inner_text()
    page.fill(".act-reason", "drill over")
    page.click('button[data-do="terminate"]')
    page.locator('#activation-detail[data-status="terminated"]').wait_for()


def test_the_replay_slider_shows_each_event_as_it_was_and_a_review_takes_lessons(
    pages: Pages, server: LiveServer
) -> None:
    start_ms = int(time.time() * 1000) - 60_000
    mark = uuid.uuid4().hex[:6]
    event = report(server.url, "city_op", f"路灯不亮 {mark}", *_point(server, "YZ01S01"), "UM09")
    assert event["state"] == "dispatched"
    time.sleep(1.5)
    between_ms = int(time.time() * 1000) - 700
    handler = token(server.url, "urban_yz01")
    accepted = call(server.url, "POST", f"/api/v1/events/{event['id']}/accept", {}, handler)
    assert accepted["state"] == "accepted"
    end_ms = int(time.time() * 1000) + 60_000

    page = pages.login("yz01_op")
    iso = "new Date({}).toISOString()"
    page.goto(
        f"{server.url}/ui/replay?from="
        + page.evaluate(iso.format(start_ms))
        + "&to="
        + page.evaluate(iso.format(end_ms))
    )
    page.wait_for_function("window.CL.replay && window.CL.replay.ready")

    def state_of_event() -> str | None:
        states: list[str] = page.evaluate(
            f"window.CL.replay.moment.events.filter(e => e.ref === '{event['ref']}')"
            ".map(e => e.state)"
        )
        return states[0] if states else None

    def slide(value: int) -> None:
        page.eval_on_selector(
            "#slider",
            f"s => {{ s.value = '{value}'; s.dispatchEvent(new Event('input')); }}",
        )
        page.wait_for_timeout(120)  # one animation frame to fold and draw

    slide(0)  # the window's start: the event was not yet reported
    assert state_of_event() is None
    page.evaluate(f"window.CL.replay.seek({between_ms})")
    page.wait_for_timeout(120)
    assert state_of_event() == "dispatched"
    on_map = page.evaluate(
        f"window.CL.replay.layers.events.points.filter(p => p.ref === '{event['ref']}')"
        ".map(p => [p.state, p.lon != null])"
    )
    assert on_map == [["dispatched", True]]
    slide(1000)  # the end: accepted by the urban management department
    assert state_of_event() == "accepted"
    page.wait_for_selector(f'#steps li[data-ref="{event["ref"]}"]')
    # playing from the start reaches the end by itself (back to the start first, so that the
    # moment drawn at the end above does not already answer the wait below)
    slide(0)
    assert state_of_event() is None
    page.select_option("#speed", "16")
    page.click("#play")
    page.wait_for_function(
        f"window.CL.replay.moment.at === new Date({end_ms}).toISOString()", timeout=30_000
    )
    assert state_of_event() == "accepted"

    # a review of this window, with a lesson noted by the operator
    page.click("#new-review")
    page.wait_for_selector("#review-panel:not([hidden])")
    page.fill("#lesson-text", f"lamp {mark}: accept faster at night")
    page.click("#lesson-add")
    page.wait_for_selector(f'#review-lessons li:has-text("lamp {mark}")')
    review_id = page.eval_on_selector("#review-panel", "p => p.dataset.review")
    reader = token(server.url, "yz01_op")
    stored = call(server.url, "GET", f"/api/v1/reviews/{review_id}", None, reader)
    assert [x["text"] for x in stored["lessons"]] == [f"lamp {mark}: accept faster at night"]
    assert stored["lessons"][0]["by"] == "yz01_op"
    assert event["ref"] in {e["ref"] for e in stored["events"]}


def test_an_operator_merges_a_duplicate_and_splits_a_wrong_merge_from_the_event_page(
    pages: Pages, server: LiveServer
) -> None:
    mark = uuid.uuid4().hex[:6]
    where = _point(server, "YZ05")
    first = report(server.url, "city_op", f"路面坑洼 {mark} 1", *where, "UM08")
    second = report(server.url, "city_op", f"路面坑洼 {mark} 2", *where, "UM08")
    page = pages.login("city_op")
    page.goto(f"{server.url}/ui/events/{second['id']}")
    page.click('#actions button[data-action="merge"]')
    page.click(f'#merge-list a[data-ref="{first["ref"]}"]')  # offered: same type, same street
    assert page.input_value("#form-merge input[name=into]") == first["ref"]
    page.click("#form-merge button[type=submit]")
    page.wait_for_selector('#head .state[data-state="merged"]')
    admin = token(server.url, "admin")
    timeline = call(server.url, "GET", f"/api/v1/events/{first['id']}/timeline", None, admin)
    assert timeline[-1]["action"] == "absorb"

    # two grid reports at one spot were merged by the platform; one was about another heap
    lon, lat = _point(server, "YZ07")
    body = {"text": f"垃圾没人收 {mark}", "type_code": "UM02", "lon": lon, "lat": lat}
    a = call(server.url, "POST", "/api/v1/grid/reports", body, admin)
    body = {"text": f"另一处垃圾堆 {mark}", "type_code": "UM02", "lon": lon, "lat": lat}
    b = call(server.url, "POST", "/api/v1/grid/reports", body, admin)
    assert b["merged"] is True
    eid = a["event"]["id"]
    page.goto(f"{server.url}/ui/events/{eid}")
    page.click(f'#reports li[data-report="{b["report"]["ref"]}"] button.split')
    page.fill("#form-split textarea[name=reason]", "两处不同的垃圾点")
    page.click("#form-split button[type=submit]")
    made = page.locator("#split-result a")
    new_ref = made.inner_text()
    assert new_ref != a["event"]["ref"]
    left = call(server.url, "GET", f"/api/v1/events/{eid}/reports", None, admin)
    assert [r["ref"] for r in left] == [a["report"]["ref"]]
    made.click()
    page.wait_for_selector(f'#event-ref:has-text("{new_ref}")')
