"""Citizens answer the personal links they receive: a small webhook receiver gets the server's
notifications (`CITYLOOP_WEBHOOK_URLS`); when a case is resolved the citizen confirms the fix
(now and then says it is not fixed), and when it is closed rates it 1–5."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from cityloop.sim.client import ApiError, CityLoopClient

TOKEN = re.compile(r"/citizen/([\w-]+)$")
COMMENTS = ("处理得很及时，谢谢！", "还可以。", "态度不错。", "拖得有点久。", "没有彻底解决。")


class CitizenDesk:
    def __init__(self, client: CityLoopClient, rng: np.random.Generator, port: int) -> None:
        self.client = client
        self.rng = rng
        self.inbox: list[dict[str, Any]] = []
        self.done: dict[str, int] = {}
        self._lock = threading.Lock()
        desk = self

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                try:
                    note = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    note = {}
                with desk._lock:
                    desk.inbox.append(note)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Hook)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        port: int = self.server.server_address[1]
        return port

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def round(self) -> None:
        with self._lock:
            notes, self.inbox = self.inbox, []
        for note in notes:
            m = TOKEN.search(note.get("link") or "")
            if m is None:
                continue
            token = m.group(1)
            try:
                status = self.client.get(f"/api/v1/citizen/{token}")
                if status.get("can_rate"):
                    score = int(self.rng.choice([5, 5, 5, 4, 4, 3, 2, 1], 1)[0])
                    comment = COMMENTS[min(5 - score, len(COMMENTS) - 1)]
                    self.client.post(f"/api/v1/citizen/{token}/rating", None,
                                     {"score": score, "comment": comment})  # fmt: skip
                    self.done["rated"] = self.done.get("rated", 0) + 1
                elif status.get("can_verify"):
                    fixed = bool(self.rng.random() > 0.05)
                    self.client.post(f"/api/v1/citizen/{token}/verification", None,
                                     {"fixed": fixed})  # fmt: skip
                    self.done["confirmed" if fixed else "not_fixed"] = (
                        self.done.get("confirmed" if fixed else "not_fixed", 0) + 1
                    )
            except ApiError:
                self.done["refused"] = self.done.get("refused", 0) + 1
