"""Incident review (复盘): what was late and why, and which warnings came before the first report.

Pure computation over plain records read from storage (``cityloop.adapters.sql.reviews``):

- an event's timeline is cut into *dispatch segments*: from one dispatch to the next dispatch
  (a return and redispatch starts a new segment with new deadlines). In each, the **accept** step
  is late when the first accept came after the dispatch's ``accept_by`` — or never came while the
  deadline passed before the segment ended (the next dispatch, or the end of the review window);
  the **dispose** step likewise against ``dispose_by`` with the first resolve (or the lead's
  resolve while co-units are pending). The unit is the dispatch's lead unit. *Why* lists what
  happened in the segment before the step: returns (who, with their reason), suspensions and
  how long they held, escalations, and how long the step waited after dispatch;
- a plan task is late when it was finished after its ``due_at``, or is still open after it at the
  end of the window; the unit is the task's department;
- a warning counts as *before the first report* when it was first raised inside the window and
  before the earliest report of the incident's events; its lead time is the difference.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

WARNING_CHANGES = ("raised", "upgraded", "downgraded", "cleared")


@dataclass(frozen=True)
class Line:
    seq: int
    at: datetime
    action: str
    unit: str | None
    actor: str
    note: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class IncidentEvent:
    id: str
    ref: str
    type_code: str | None
    first_report_at: datetime
    district: str | None
    street: str | None
    lon: float | None
    lat: float | None
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class IncidentWarning:
    id: str
    rule_id: str
    subject: str
    event_type: str | None
    history: tuple[dict[str, Any], ...]

    def changes(self) -> list[tuple[datetime, str, str]]:
        """(at, kind, level) of each level change, oldest first."""
        out = [
            (datetime.fromisoformat(h["at"]), str(h["kind"]), str(h.get("level") or ""))
            for h in self.history
            if h.get("kind") in WARNING_CHANGES
        ]
        return sorted(out, key=lambda c: c[0])


@dataclass(frozen=True)
class IncidentTask:
    activation_id: str
    task_id: str
    department: str
    action_en: str
    action_zh: str
    assigned_at: datetime
    due_at: datetime
    acknowledged_at: datetime | None
    done_at: datetime | None


@dataclass
class Late:
    kind: str  # accept | dispose | task
    step: str
    unit: str | None
    event_ref: str | None
    started_at: str
    deadline: str
    done_at: str | None
    late_minutes: float
    why: list[str] = field(default_factory=list)


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def _minutes(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds() / 60, 1)


def _deadline(payload: dict[str, Any], name: str) -> datetime | None:
    value = payload.get(name)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _context(lines: list[Line], until: datetime) -> list[str]:
    """What in a dispatch segment, before ``until``, explains a wait."""
    out = []
    suspended: datetime | None = None
    for ln in lines:
        if ln.at > until:
            break
        if ln.action == "return":
            reason = f": {ln.note}" if ln.note else ""
            out.append(f"returned by {ln.unit or ln.actor} at {ln.at.isoformat()}{reason}")
        elif ln.action == "suspend":
            suspended = ln.at
        elif ln.action == "resume" and suspended is not None:
            out.append(f"suspended {_minutes(suspended, ln.at)} min from {suspended.isoformat()}")
            suspended = None
        elif ln.action == "escalate":
            out.append(f"escalated at {ln.at.isoformat()}")
        elif ln.action == "overdue":
            out.append(f"flagged overdue ({ln.payload.get('phase')}) at {ln.at.isoformat()}")
    if suspended is not None:
        out.append(f"suspended from {suspended.isoformat()}, not resumed")
    return out


def event_lateness(event: IncidentEvent, end: datetime) -> list[Late]:
    """The late accept and dispose steps of one event, segment by segment."""
    lines = sorted(event.lines, key=lambda ln: ln.seq)
    dispatches = [i for i, ln in enumerate(lines) if ln.action == "dispatch"]
    out: list[Late] = []
    for n, i in enumerate(dispatches):
        d = lines[i]
        stop = dispatches[n + 1] if n + 1 < len(dispatches) else len(lines)
        segment = lines[i + 1 : stop]
        segment_end = lines[stop].at if stop < len(lines) else end
        unit = str(d.payload.get("lead_unit") or d.unit or "") or None
        steps = (
            ("accept", ("accept",), _deadline(d.payload, "accept_by")),
            ("dispose", ("resolve", "lead_resolve"), _deadline(d.payload, "dispose_by")),
        )
        for kind, actions, deadline in steps:
            if deadline is None:
                continue
            done = next((ln for ln in segment if ln.action in actions), None)
            finished = done.at if done else None
            reference = finished or segment_end
            if reference <= deadline:
                continue
            why = [
                f"{kind} {'came' if done else 'had not come'} "
                f"{_minutes(d.at, reference)} min after the dispatch to {unit} at "
                f"{d.at.isoformat()}; the deadline was {_minutes(d.at, deadline)} min"
            ]
            if done is None:
                nxt = lines[stop] if stop < len(lines) else None
                why.append(
                    f"not done when the event was dispatched again at {nxt.at.isoformat()}"
                    if nxt is not None
                    else f"still not done at the end of the window {end.isoformat()}"
                )
            if kind == "dispose":
                accepted = next((ln for ln in segment if ln.action == "accept"), None)
                if accepted is not None and accepted.at <= reference:
                    why.append(f"accepted after {_minutes(d.at, accepted.at)} min")
            why += _context(segment, reference)
            out.append(
                Late(
                    kind=kind,
                    step=f"{kind} of {event.ref}",
                    unit=unit,
                    event_ref=event.ref,
                    started_at=d.at.isoformat(),
                    deadline=deadline.isoformat(),
                    done_at=_iso(finished),
                    late_minutes=_minutes(deadline, reference),
                    why=why,
                )
            )
    return out


def task_lateness(task: IncidentTask, end: datetime) -> Late | None:
    reference = task.done_at or end
    if reference <= task.due_at:
        return None
    why = [
        f"task {'finished' if task.done_at else 'still open'} "
        f"{_minutes(task.assigned_at, reference)} min after it was assigned at "
        f"{task.assigned_at.isoformat()}; it was due in {_minutes(task.assigned_at, task.due_at)} "
        "min",
        (
            f"acknowledged after {_minutes(task.assigned_at, task.acknowledged_at)} min"
            if task.acknowledged_at
            else "never acknowledged"
        ),
    ]
    return Late(
        kind="task",
        step=f"plan task {task.task_id}: {task.action_en}",
        unit=task.department,
        event_ref=None,
        started_at=task.assigned_at.isoformat(),
        deadline=task.due_at.isoformat(),
        done_at=_iso(task.done_at),
        late_minutes=_minutes(task.due_at, reference),
        why=why,
    )


def warnings_before(
    warnings: list[IncidentWarning], first_report: datetime | None, start: datetime
) -> list[dict[str, Any]]:
    """Warnings first raised in ``[start, first_report)``, earliest first, with lead times."""
    if first_report is None:
        return []
    out: list[dict[str, Any]] = []
    for w in warnings:
        raised = [c for c in w.changes() if c[1] == "raised"]
        if not raised:
            continue
        at, _, level = raised[0]
        if not start <= at < first_report:
            continue
        levels = [c[2] for c in w.changes() if c[0] < first_report]
        out.append(
            {
                "id": w.id,
                "rule": w.rule_id,
                "subject": w.subject,
                "event_type": w.event_type,
                "raised_at": at.isoformat(),
                "level_at_raise": level,
                "level_at_first_report": levels[-1] if levels else level,
                "lead_minutes": _minutes(at, first_report),
            }
        )
    out.sort(key=lambda x: str(x["raised_at"]))
    return out


def timeline(
    events: list[IncidentEvent], warnings: list[IncidentWarning], tasks: list[IncidentTask]
) -> list[dict[str, Any]]:
    """Every event step, warning level change and plan task milestone, oldest first."""
    rows: list[dict[str, Any]] = []
    for e in events:
        for ln in e.lines:
            rows.append(
                {
                    "at": ln.at.isoformat(),
                    "kind": "event",
                    "ref": e.ref,
                    "action": ln.action,
                    "unit": ln.unit,
                    "actor": ln.actor,
                }
            )
    for w in warnings:
        for at, kind, level in w.changes():
            rows.append(
                {
                    "at": at.isoformat(),
                    "kind": "warning",
                    "id": w.id,
                    "action": kind,
                    "level": level,
                }
            )
    for t in tasks:
        milestones: tuple[tuple[datetime | None, str], ...] = (
            (t.assigned_at, "task_assigned"),
            (t.acknowledged_at, "task_acknowledged"),
            (t.done_at, "task_done"),
        )
        for moment, action in milestones:
            if moment is not None:
                rows.append(
                    {
                        "at": moment.isoformat(),
                        "kind": "task",
                        "id": t.task_id,
                        "action": action,
                        "unit": t.department,
                    }
                )
    rows.sort(key=lambda r: (r["at"], r["kind"], r.get("ref") or r.get("id") or ""))
    return rows


def findings(
    events: list[IncidentEvent],
    warnings: list[IncidentWarning],
    tasks: list[IncidentTask],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """The computed part of a review record."""
    late: list[Late] = []
    for e in events:
        late += event_lateness(e, end)
    late += [x for x in (task_lateness(t, end) for t in tasks) if x is not None]
    late.sort(key=lambda x: (x.deadline, x.step))
    first = min((e.first_report_at for e in events), default=None)
    before = warnings_before(warnings, first, start)
    return {
        "window": {"from": start.isoformat(), "to": end.isoformat()},
        "events": [
            {
                "ref": e.ref,
                "type_code": e.type_code,
                "first_report_at": e.first_report_at.isoformat(),
                "district": e.district,
                "street": e.street,
                "lon": e.lon,
                "lat": e.lat,
            }
            for e in events
        ],
        "first_report_at": _iso(first),
        "late": [x.__dict__ for x in late],
        "late_by_unit": dict(sorted(Counter(x.unit or "" for x in late).items())),
        "warnings_before_first_report": before,
        "lead_time_minutes": max((w["lead_minutes"] for w in before), default=None),
        "timeline": timeline(events, warnings, tasks),
    }
