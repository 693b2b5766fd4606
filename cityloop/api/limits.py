"""Refuse oversized request bodies before reading them (HTTP 413, as a problem detail)."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

MB = 1024 * 1024
#: Largest body per path prefix; the first match wins.
LIMITS: tuple[tuple[str, int], ...] = (
    ("/api/v1/uploads", 101 * MB),
    ("/api/v1/telemetry", 64 * MB),
    ("/api/v1/feeds/import", 20 * MB),
    ("", 2 * MB),
)


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = next(size for prefix, size in LIMITS if path.startswith(prefix))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, path, limit)
            return
        seen = 0

        async def limited() -> dict[str, object]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                seen += len(body) if isinstance(body, bytes) else 0
                if seen > limit:
                    raise BodyTooLarge(limit)
            return dict(message)

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await _too_large(send, path, limit)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes")


async def _too_large(send: Send, path: str, limit: int) -> None:
    body = orjson.dumps(
        {
            "type": "/problems/too-large",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"the request body may be at most {limit // MB} MB here",
            "instance": path,
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
