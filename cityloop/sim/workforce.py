"""Simulated people at work: operators triage and dispatch, units accept, return, resolve with
feedback, co-units report, operators verify and close, citizens rate; all with realistic delays.

Each person acts through the HTTP API as a demo user: the unit's demo handler when the city has
one whose territory holds the event, otherwise the admin (who may take every action). Delays are
log-normal around the medians given (simulated minutes), so a few cases take much longer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from cityloop.sim.client import ApiError, CityLoopClient

log = logging.getLogger(__name__)

#: Demo handlers: (department, district or None for the whole city) → username.
DEMO_HANDLERS: dict[tuple[str, str | None], str] = {
    ("URBAN", "YZ01"): "urban_yz01",
    ("WATERCO", "YZ02"): "waterco_yz02",
    ("PSB", None): "psb_yz",
    ("URBAN", None): "urban_yz",
    ("ENV", None): "env_yz",
    ("WATER", None): "water_yz",
    ("WATERCO", None): "waterco_yz",
    ("DATA", None): "data_yz",
    ("TPOL", None): "tpol_yz",
    ("EMB", None): "emb_yz",
}
OPERATOR = "city_op"
OPEN_STATES = (
    "reported", "triaged", "returned", "dispatched", "accepted", "in_progress", "resolved",
    "verified",
)  # fmt: skip

RESULTS = {
    "zh": (
        "已到现场处置完毕，现场已恢复正常。", "已安排人员处理，隐患已消除。",
        "已抢修完成，并拍照留档。", "已联系责任单位整改到位。",
        "现场已清理，并设置警示标志。", "已处置，群众表示认可。",
    ),
}  # fmt: skip


@dataclass
class Delays:
    """Median delays in simulated minutes (log-normal, sigma `spread`)."""

    triage: float = 3.0
    accept: float = 8.0
    start: float = 5.0
    resolve: float = 45.0
    feedback: float = 30.0
    verify: float = 15.0
    close: float = 5.0
    spread: float = 0.5
    return_share: float = 0.03

    def draw(self, rng: np.random.Generator, median_min: float) -> float:
        """Seconds."""
        return float(median_min * 60.0 * math.exp(rng.normal(0.0, self.spread)))


@dataclass
class Workforce:
    client: CityLoopClient
    rng: np.random.Generator
    delays: Delays = field(default_factory=Delays)
    #: Only events created at or after this moment (ISO 8601), and of these types if given.
    since: datetime | None = None
    types: set[str] | None = None
    #: The true type of events whose report the simulation made (for triage).
    truth: dict[str, str] = field(default_factory=dict)
    now: Callable[[], float] = field(default=lambda: 0.0)
    #: event id → (action, due ts) planned
    planned: dict[tuple[str, str], float] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    returned: set[str] = field(default_factory=set)
    threads: int = 6

    def user_for(self, unit: str | None, event: dict[str, Any]) -> str:
        district = (event.get("location", {}).get("chain") or {}).get("district")
        return DEMO_HANDLERS.get((unit or "", district)) or DEMO_HANDLERS.get(
            (unit or "", None), "admin"
        )

    def _due(self, event_id: str, action: str, median_min: float) -> bool:
        """Whether the planned action is due now (planning it on first sight)."""
        key = (event_id, action)
        if key not in self.planned:
            self.planned[key] = self.now() + self.delays.draw(self.rng, median_min)
        return self.now() >= self.planned[key]

    def _act(self, event_id: str, action: str, user: str, payload: dict[str, Any]) -> bool:
        try:
            self.client.post(f"/api/v1/events/{event_id}/{action}", user, payload)
        except ApiError as exc:
            if exc.status in (404, 409, 422):  # moved on meanwhile, or not allowed any more
                self.errors.append(str(exc)[:200])
                return False
            raise
        self.done[action] = self.done.get(action, 0) + 1
        return True

    def _result(self) -> dict[str, Any]:
        options = RESULTS["zh"]
        return {
            "result": options[int(self.rng.integers(len(options)))],
            "people": int(self.rng.integers(1, 6)),
            "vehicles": int(self.rng.integers(0, 3)),
        }

    def _events(self) -> dict[str, list[dict[str, Any]]]:
        """The open events of the simulation's scope, by state (one request per page)."""
        query: dict[str, Any] = {"state": list(OPEN_STATES)}
        if self.since is not None:
            query["created_from"] = self.since.isoformat()
        out: dict[str, list[dict[str, Any]]] = {s: [] for s in OPEN_STATES}
        for e in self.client.events("admin", **query):
            if self.types is None or e["type_code"] in self.types or e["id"] in self.truth:
                out[e["state"]].append(e)
        return out

    def _duplicate_of(
        self, e: dict[str, Any], code: str, open_: list[dict[str, Any]]
    ) -> str | None:
        """An open event of the same type within 200 m: the operator merges instead of triaging."""
        lon, lat = e["location"]["lon"], e["location"]["lat"]
        if lon is None or lat is None:
            return None
        for other in open_:
            o = other["location"]
            if other["id"] == e["id"] or other["type_code"] != code or o["lon"] is None:
                continue
            dx = (o["lon"] - lon) * 111_320 * math.cos(math.radians(lat))
            dy = (o["lat"] - lat) * 110_540
            if math.hypot(dx, dy) <= 200.0:
                return str(other["id"])
        return None

    def round(self) -> None:
        """One look at every actionable event; act on those whose delay has passed."""
        d = self.delays
        self._todo: list[Callable[[], object]] = []
        by_state = self._events()
        open_ = [e for s in OPEN_STATES if s != "reported" for e in by_state[s]]
        for e in by_state["reported"]:
            code = e.get("type_code") or self.truth.get(e["id"])
            if not code or not self._due(e["id"], "triage", d.triage):
                continue
            parent = self._duplicate_of(e, code, open_)
            if parent is not None:
                self._later(e["id"], "merge", OPERATOR, {"into": parent, "note": "重复投诉，合并"})
            else:
                self._later(e["id"], "triage", OPERATOR, {"type_code": code})
        for state in ("triaged", "returned"):
            for e in by_state[state]:
                if self._due(e["id"], f"dispatch-{state}", d.triage):
                    self._later(e["id"], "dispatch", OPERATOR, {})
        for e in by_state["dispatched"]:
            if not self._due(e["id"], "accept", d.accept):
                continue
            user = self.user_for(e["lead_unit"], e)
            if e["id"] not in self.returned and self.rng.random() < d.return_share:
                self.returned.add(e["id"])
                self._later(e["id"], "return", user, {"reason": "不属于本单位职责，请重新分拨。"})
            else:
                self._later(e["id"], "accept", user, {"note": "已签收"})
        for e in by_state["accepted"]:
            if self._due(e["id"], "start", d.start):
                self._later(e["id"], "start", self.user_for(e["lead_unit"], e), {"note": "已出发"})
        for e in by_state["in_progress"]:
            for unit in e["co_units"]:
                if self._due(e["id"], f"feedback-{unit}", d.feedback):
                    self._later_feedback(e, unit)
            lead = self.user_for(e["lead_unit"], e)
            resolving = (e["id"], "resolved") not in self.planned
            if resolving and self._due(e["id"], "resolve", d.resolve):
                self.planned[(e["id"], "resolved")] = self.now()
                self._later(e["id"], "resolve", lead, self._result())
        for e in by_state["resolved"]:
            for unit in e["co_units"]:
                self._later_feedback(e, unit)
            if self._due(e["id"], "verify", d.verify):
                self._later(e["id"], "verify", OPERATOR, {"note": "现场核查属实"})
        for e in by_state["verified"]:
            if self._due(e["id"], "close", d.close):
                self._later(e["id"], "close", OPERATOR, {"note": "办结"})
        with ThreadPoolExecutor(self.threads) as pool:  # people work in parallel
            list(pool.map(lambda fn: fn(), self._todo))

    def _later(self, event_id: str, action: str, user: str, payload: dict[str, Any]) -> None:
        self._todo.append(lambda: self._act(event_id, action, user, payload))

    def _later_feedback(self, event: dict[str, Any], unit: str) -> None:
        key = (event["id"], f"sent-{unit}")
        if key not in self.planned:
            self.planned[key] = self.now()
            self._todo.append(lambda: self._feedback(event, unit))

    def _feedback(self, event: dict[str, Any], unit: str) -> None:
        key = (event["id"], f"sent-{unit}")
        user = self.user_for(unit, event)
        payload = self._result() | ({"unit": unit} if user == "admin" else {})
        try:
            self.client.post(f"/api/v1/events/{event['id']}/feedback", user, payload)
            self.planned[key] = self.now()
            self.done["feedback"] = self.done.get("feedback", 0) + 1
        except ApiError as exc:
            if exc.status not in (404, 409, 422):
                raise
            self.planned[key] = self.now()  # already reported, or not a co-unit any more
            self.errors.append(str(exc)[:200])
