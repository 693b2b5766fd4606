"""Stored warnings as CAP 1.2 messages: one message per change, each referencing the earlier."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cityloop.adapters.cap import CapWarning, reference_of
from cityloop.city.model import City
from cityloop.domain.warning import Warning
from cityloop.engine.engine import Engine
from cityloop.engine.sensor_types import TYPE_ORDER, TYPE_SPECS

SENDER = "cityloop@{code}.example"


class CapMessages:
    def __init__(self, city: City, engine: Engine | None, public_url: str) -> None:
        self.city = city
        self.engine = engine
        self.public_url = public_url.rstrip("/")
        self.sender = SENDER.format(code=city.code.lower())
        self._rules: dict[str, Any] = (
            {ev.spec.id: ev.spec for ev in engine.evaluators} if engine is not None else {}
        )

    def messages(self, w: Warning) -> list[CapWarning]:
        """Every CAP message of the warning, oldest first."""
        changes = [
            h for h in w.history if h.get("kind") in ("raised", "upgraded", "downgraded", "cleared")
        ]
        out: list[CapWarning] = []
        for h in changes:
            out.append(self._message(w, h, tuple(reference_of(m) for m in out)))
        return out

    def _message(self, w: Warning, h: dict[str, Any], refs: tuple[Any, ...]) -> CapWarning:
        spec = self._rules.get(w.rule_id)
        etype = self.city.event_types.get(w.event_type or "")
        eclass = etype.class_code if etype else None
        unit = ""
        if self.engine is not None and w.subject in self.engine.sensors.index:
            i = self.engine.sensors.index[w.subject]
            unit = TYPE_SPECS[TYPE_ORDER[int(self.engine.sensors.types[i])]].unit
        return CapWarning(
            id=w.id,
            sequence=int(h["seq"]),
            kind=h["kind"],
            level=h["level"],
            sent=datetime.fromisoformat(h["at"]),
            rule_id=w.rule_id,
            rule_name_zh=spec.name_zh if spec else w.rule_id,
            rule_name_en=spec.name_en if spec else w.rule_id,
            event_type=w.event_type,
            event_name_zh=etype.name_zh if etype else "预警",
            event_name_en=etype.name_en if etype else "Warning",
            subject=w.subject,
            subject_name=w.subject,
            sender=self.sender,
            sender_name=f"{self.city.name_zh}城市运行和治理中心 / {self.city.name_en} operations",
            web=f"{self.public_url}/api/v1/warnings/{w.id}",
            lon=w.lon,
            lat=w.lat,
            value=h.get("value"),
            threshold=h.get("threshold"),
            unit=unit,
            predicted=w.predicted,
            anomaly=w.anomaly,
            needs_confirmation=w.confirmation.value == "pending",
            source=spec.source if spec else "",
            references=refs,
            event_class=eclass,
        )
