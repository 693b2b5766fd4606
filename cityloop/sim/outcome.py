"""The measured outcome of a scenario, read back from the system over HTTP.

Times are the server's own (timeline entries, warnings' `raised_at`, reports' `received_at`), so
latencies are measured on its (accelerated) clock, not computed from the scenario's inputs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cityloop.sim.drivers import Driver
    from cityloop.sim.runner import Run

ACCOUNTED = ("dispatched", "accepted", "in_progress", "suspended", "resolved", "verified", "closed")
PER_EVENT_MAX = 12


def _ts(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


def scenario_warnings(run: Run, full: bool = False) -> list[dict[str, Any]]:
    """Warnings raised since the scenario started on its own subjects."""
    out: list[dict[str, Any]] = []
    start = run.started.timestamp() - 1
    for active in ("true", "false"):
        for w in run.client.get("/api/v1/warnings", "admin", active=active, limit=2000):
            if w["subject"] in run.scope_subjects and (_ts(w["raised_at"]) or 0) >= start:
                out.append(w)
    if full:
        out = [run.client.get(f"/api/v1/warnings/{w['id']}", "admin") for w in out]
    return out


def _refresh(run: Run) -> None:
    """Map every report id and ref of the scenario's event types to its event."""
    cache: dict[str, str] = run.__dict__.setdefault("_report_event", {})
    received: dict[str, float] = run.__dict__.setdefault("_report_received", {})
    for e in run.client.events(
        "admin", created_from=run.started.isoformat(), type_code=sorted(run.scenario.event_types)
    ):
        if all(rid in cache for rid in e["report_ids"]) and e["report_ids"]:
            continue
        for rep in run.client.get(f"/api/v1/events/{e['id']}/reports", "admin"):
            cache[rep["id"]] = e["id"]
            cache[rep["ref"]] = e["id"]
            received[rep["id"]] = _ts(rep["received_at"]) or 0.0


def resolve_point(run: Run, pid: str) -> list[str]:
    """The events (ids) that hold point `pid`'s reports or warning."""
    point = run.points[pid]
    ids = set(point.event_ids)
    if point.reports:
        cache: dict[str, str] = run.__dict__.get("_report_event", {})
        if any(ref not in cache for ref in point.reports):
            _refresh(run)
            cache = run.__dict__["_report_event"]
        ids.update(cache[ref] for ref in point.reports if ref in cache)
    if point.warning is not None:
        warnings = run.__dict__.get("_warnings_by_key")
        if warnings is None or point.warning not in warnings or not warnings[point.warning]:
            warnings = {
                (w["rule"], w["subject"]): w.get("event_id") for w in scenario_warnings(run)
            }
            run.__dict__["_warnings_by_key"] = warnings
        if warnings.get(point.warning):
            ids.add(warnings[point.warning])
    return sorted(ids)


def _stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    v = sorted(values)

    def q(p: float) -> float:
        return round(v[min(len(v) - 1, int(p * len(v)))], 1)

    return {"n": len(v), "p50": q(0.5), "p90": q(0.9), "max": round(v[-1], 1)}


def measure(run: Run, driver: Driver, ended: datetime) -> dict[str, Any]:
    s = run.scenario
    run.__dict__.pop("_warnings_by_key", None)
    warnings = scenario_warnings(run)
    by_key = {(w["rule"], w["subject"]): w for w in warnings}
    run.__dict__["_warnings_by_key"] = {k: w.get("event_id") for k, w in by_key.items()}
    _refresh(run)
    raised_at = {w["id"]: _ts(w["raised_at"]) for w in warnings}
    # The scenario's events: those holding its points, and those of its warnings.
    point_events = {pid: resolve_point(run, pid) for pid in run.points}
    ids = {e for v in point_events.values() for e in v} | {
        w["event_id"] for w in warnings if w.get("event_id")
    }
    events: dict[str, dict[str, Any]] = {}
    todo = list(ids)
    while todo:  # follow merges to the parents that absorbed them
        eid = todo.pop()
        if eid in events:
            continue
        e = run.client.get(f"/api/v1/events/{eid}", "admin")
        events[eid] = e
        if e.get("parent_id"):
            todo.append(e["parent_id"])

    def root(eid: str) -> dict[str, Any]:
        e = events[eid]
        while e.get("parent_id") and e["parent_id"] in events:
            e = events[e["parent_id"]]
        return e

    accounted = sum(
        any(root(e)["state"] in ACCOUNTED for e in evs) for evs in point_events.values()
    )
    received: dict[str, float] = run.__dict__.get("_report_received", {})
    rows: list[dict[str, Any]] = []
    detection, dispatch, dispose, close = [], [], [], []
    live = [e for e in events.values() if e["state"] != "merged"]
    for e in live:
        timeline = run.client.get(f"/api/v1/events/{e['id']}/timeline", "admin")
        created = _ts(e["created_at"]) or 0.0
        signals = [received[r] for r in e["report_ids"] if received.get(r)]
        signals += [raised_at[w] or created for w in e["warning_ids"] if w in raised_at]
        signal = min([*signals, created])

        def first(state: str, tl: list[dict[str, Any]] = timeline) -> float | None:
            return next((_ts(t["at"]) for t in tl if t["to_state"] == state), None)

        dispatched, resolved, closed_at = first("dispatched"), first("resolved"), first("closed")
        row: dict[str, Any] = {"ref": e["ref"], "type": e["type_code"], "state": e["state"]}
        row["detection_min"] = round((created - signal) / 60, 2)
        detection.append(row["detection_min"])
        if dispatched is not None:
            row["dispatch_min"] = round((dispatched - created) / 60, 2)
            dispatch.append(row["dispatch_min"])
        if resolved is not None:
            row["dispose_min"] = round((resolved - signal) / 60, 1)
            dispose.append(row["dispose_min"])
        if closed_at is not None:
            row["close_min"] = round((closed_at - signal) / 60, 1)
            close.append(row["close_min"])
        rows.append(row)
    expected = run.expected_warnings
    matched = {k for k in by_key if k in expected}
    measured: dict[str, Any] = {
        "points_expected": s.truth.points,
        "points_accounted": accounted,
        "lost": s.truth.points - accounted,
        "events_expected": s.truth.points,
        "events_created": len(live),
        "duplicates_merged": sum(max(len(e["report_ids"]) - 1, 0) for e in live),
        "events_dispatched": sum(e["state"] in ACCOUNTED for e in live),
        "lead_units": sorted({e["lead_unit"] for e in live if e["lead_unit"]}),
        "events_closed": sum(e["state"] == "closed" for e in live),
        "reports_sent": run.sent["reports"],
        "readings_sent": run.sent["readings"],
        "detection_latency_min": _stats(detection),
        "dispatch_latency_min": _stats(dispatch),
        "time_to_dispose_min": _stats(dispose),
        "time_to_close_min": _stats(close),
        "warnings": {
            "raised": len(by_key),
            "expected": len(expected),
            "matched": len(matched),
            "precision": round(len(matched) / len(by_key), 4) if by_key else None,
            "recall": round(len(matched) / len(expected), 4) if expected else None,
        },
    }
    if len(rows) <= PER_EVENT_MAX:
        measured["per_event"] = rows
    measured |= driver.extra()
    results = []
    for x in s.expect:
        value = _lookup(measured, x.metric)
        results.append(
            {"metric": x.metric, "op": x.op, "value": x.value, "measured": value,
             "pass": x.judge(value)}
        )  # fmt: skip
    return {
        "scenario": s.id,
        "title": s.title.en,
        "source": s.source,
        "clock_speed": run.clock.speed,
        "clock": "stepped" if run.clock.stepped else "running",
        "simulated_min": round((ended - run.started).total_seconds() / 60, 1),
        "measured": measured,
        "expectations": results,
        "passed": all(r["pass"] for r in results),
    }


def _lookup(measured: dict[str, Any], metric: str) -> Any:
    value: Any = measured
    for part in metric.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
