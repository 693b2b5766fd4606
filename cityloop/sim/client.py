"""A small HTTP client for CityLoop's public interfaces (stdlib only, keep-alive)."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from typing import Any

DEMO_PASSWORD = "cityloop-demo"


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} answered {status}: {body[:300]}")
        self.status = status
        self.body = body


@dataclass
class Answer:
    status: int
    body: Any


class CityLoopClient:
    """Logs in as demo users on demand (and again when a token expires). Tokens are shared by
    the clients of one process that talk to the same server (a login costs an argon2 hash)."""

    _shared: dict[tuple[str, str], str] = {}  # noqa: RUF012  (deliberately process-wide)

    def __init__(self, url: str, password: str = DEMO_PASSWORD, timeout_s: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = url.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.https = parts.scheme == "https"
        self.password = password
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []  # every thread's connection
        self._all_lock = threading.Lock()
        self._tokens = _Tokens(self.url, CityLoopClient._shared)
        self.requests = 0

    def _conn(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = cls(self.host, self.port, timeout=self.timeout_s)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def close_all(self) -> None:
        """Close the connections of every thread that used this client."""
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def raw(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        for attempt in range(2):
            conn = self._conn()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                self.close()
                if attempt:
                    raise
        self.requests += 1
        text = data.decode("utf-8", "replace")
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Answer(response.status, parsed)

    # ---- authentication -------------------------------------------------------------------

    def prelogin(self, users: list[str], threads: int = 4) -> None:
        """Log these users in now, several at once (before the scenario's clock starts)."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(self.token, [u for u in dict.fromkeys(users) if u not in self._tokens]))

    def token(self, user: str, fresh: bool = False) -> str:
        if fresh or user not in self._tokens:
            payload = json.dumps({"username": user, "password": self.password}).encode()
            a = self.raw(
                "POST", "/api/v1/auth/login", payload, {"content-type": "application/json"}
            )
            if a.status != 200:
                raise ApiError("POST", "/api/v1/auth/login", a.status, str(a.body))
            self._tokens[user] = a.body["access_token"]
        return self._tokens[user]

    def call(
        self,
        method: str,
        path: str,
        user: str | None = None,
        payload: Any = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        """JSON in, JSON out, as `user` (re-logging in once on 401); raises ApiError otherwise."""
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
        for attempt in range(3):
            headers = {"content-type": "application/json"}
            if user is not None:
                headers["authorization"] = f"Bearer {self.token(user, fresh=attempt > 0)}"
            a = self.raw(method, path, body, headers)
            if a.status == 401 and user is not None and attempt == 0:
                continue
            if a.status == 409 and "concurrent" in str(a.body) and attempt < 2:
                continue
            if a.status not in ok:
                raise ApiError(method, path, a.status, json.dumps(a.body, ensure_ascii=False))
            return a.body
        raise ApiError(method, path, a.status, str(a.body))

    def get(self, path: str, user: str | None = None, **query: Any) -> Any:
        q = {k: v for k, v in query.items() if v is not None}
        return self.call(
            "GET", path + ("?" + urllib.parse.urlencode(q, doseq=True) if q else ""), user
        )

    def post(self, path: str, user: str | None, payload: Any = None) -> Any:
        return self.call("POST", path, user, payload if payload is not None else {})

    # ---- public channels ------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        a = self.raw("GET", "/healthz")
        if a.status != 200:
            raise ApiError("GET", "/healthz", a.status, str(a.body))
        body: dict[str, Any] = a.body
        return body

    def advance_clock(self, seconds: float) -> datetime:
        """Move a stepped server clock on by `seconds` (the admin); its new time."""
        body: dict[str, Any] = self.post("/api/v1/admin/clock", "admin", {"seconds": seconds})
        return datetime.fromisoformat(body["time"])

    def telemetry(
        self, sensors: list[str], ts: list[float], values: list[float], user: str = "admin"
    ) -> dict[str, Any]:
        body: dict[str, Any] = self.post(
            "/api/v1/telemetry", user, {"sensor": sensors, "ts": ts, "value": values}
        )
        return body

    def open311(self, api_key: str, fields: dict[str, Any]) -> dict[str, Any]:
        form = urllib.parse.urlencode({"api_key": api_key, **fields}).encode()
        a = self.raw(
            "POST",
            "/open311/v2/requests.json",
            form,
            {"content-type": "application/x-www-form-urlencoded"},
        )
        if a.status not in (200, 201):
            raise ApiError("POST", "/open311/v2/requests.json", a.status, str(a.body))
        first: dict[str, Any] = a.body[0]
        return first

    def events(self, user: str, **query: Any) -> list[dict[str, Any]]:
        """Every event matching `query` (all pages)."""
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = self.get("/api/v1/events", user, limit=200, cursor=cursor, **query)
            out.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return out


class _Tokens:
    """A view of the shared token cache for one server."""

    def __init__(self, url: str, shared: dict[tuple[str, str], str]) -> None:
        self.url = url
        self.shared = shared

    def __contains__(self, user: object) -> bool:
        return (self.url, str(user)) in self.shared

    def __getitem__(self, user: str) -> str:
        return self.shared[(self.url, user)]

    def __setitem__(self, user: str, token: str) -> None:
        self.shared[(self.url, user)] = token
