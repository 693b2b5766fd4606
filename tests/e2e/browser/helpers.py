"""Small HTTP helpers for browser tests: what a gateway or a citizen's phone does meanwhile."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

PASSWORD = "cityloop-demo"


def call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"{base}{path}", data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def token(base: str, username: str) -> str:
    out = call(base, "POST", "/api/v1/auth/login", {"username": username, "password": PASSWORD})
    return str(out["access_token"])


def report(base: str, who: str, title: str, lon: float, lat: float, type_code: str) -> Any:
    """An event reported, triaged and dispatched by the responsibility list, through the API."""
    tok = token(base, who)
    body = {
        "title": title,
        "description": title,
        "source": "hotline",
        "type_code": type_code,
        "lon": lon,
        "lat": lat,
    }
    event = call(base, "POST", "/api/v1/events", body, tok)
    if "triage" in event["allowed_actions"]:
        event = call(
            base, "POST", f"/api/v1/events/{event['id']}/triage", {"type_code": type_code}, tok
        )
    if "dispatch" in event["allowed_actions"]:
        event = call(base, "POST", f"/api/v1/events/{event['id']}/dispatch", {}, tok)
    return event
