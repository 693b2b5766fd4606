"""``GET /api/v1/live``: Server-Sent Events of new events, warnings, state changes and plan
activations in the caller's territory, within a second of their commit."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from cityloop.api.deps import ContainerDep, PrincipalDep
from cityloop.domain.access import Principal
from cityloop.services.live import LiveFeed

router = APIRouter(tags=["live"])

POLL_S = 0.2
HEARTBEAT_S = 15.0


@router.get(
    "/live",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def live(
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int | None, Query(ge=0, description="resume after this outbox id")] = None,
    kinds: Annotated[str | None, Query(description="comma list: event, warning, plan")] = None,
    max_seconds: Annotated[float | None, Query(gt=0, le=86_400)] = None,
) -> StreamingResponse:
    """A stream of `event`, `warning` and `plan` messages (each `id:` is the outbox id, so a
    client resumes with `Last-Event-ID`), scoped like the lists; a comment every 15 s keeps it
    open. `max_seconds` ends the stream (tests); the client reconnects."""
    feed: LiveFeed = request.app.state.live
    start = after
    if start is None and last_event_id and last_event_id.isdigit():
        start = int(last_event_id)
    if start is None:
        start = await run_in_threadpool(feed.head)
    wanted = set(kinds.split(",")) if kinds else {"event", "warning", "plan"}
    stream = _stream(request, feed, principal, container, start, wanted, max_seconds)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(
    request: Request,
    feed: LiveFeed,
    principal: Principal,
    container: ContainerDep,
    cursor: int,
    wanted: set[str],
    max_seconds: float | None,
) -> AsyncIterator[str]:
    began = last_beat = time.monotonic()
    yield f"retry: 1000\nevent: hello\nid: {cursor}\ndata: {json.dumps({'after': cursor})}\n\n"
    while True:
        if await request.is_disconnected():
            return
        items = await run_in_threadpool(feed.after, cursor)
        for item in items:
            cursor = max(cursor, item.id)
            if item.kind not in wanted or not item.visible_to(principal, container.city):
                continue
            body = {"name": item.name, "at": item.at, **item.data}
            yield f"id: {item.id}\nevent: {item.kind}\ndata: {json.dumps(body, default=str)}\n\n"
        now = time.monotonic()
        if now - last_beat >= HEARTBEAT_S:
            last_beat = now
            yield ": keep-alive\n\n"
        if max_seconds is not None and now - began >= max_seconds:
            return
        await asyncio.sleep(POLL_S)
