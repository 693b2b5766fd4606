"""A small HTTP/1.1 load generator on asyncio streams (keep-alive, no dependencies).

Good for a few thousand requests per second from one core, which is what benchmarks of a
server on the same 2-core machine need; it measures each request's latency.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    @classmethod
    def combined(cls, parts: list[LoadResult]) -> LoadResult:
        """One result of several runs of a load: their requests, statuses and times added up."""
        whole = cls()
        for part in parts:
            whole.latencies_s.extend(part.latencies_s)
            for status, n in part.statuses.items():
                whole.statuses[status] = whole.statuses.get(status, 0) + n
            whole.elapsed_s += part.elapsed_s
        return whole

    def percentile_ms(self, q: float) -> float:
        return round(float(np.percentile(np.array(self.latencies_s), q)) * 1000, 2)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
        return status, body
    return status, await reader.readexactly(length) if length else b""


async def _worker(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    counter: list[int],
    total: int,
    result: LoadResult,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while counter[0] < total:
            i = counter[0]
            counter[0] += 1
            start = time.perf_counter()
            writer.write(make_request(i))
            await writer.drain()
            status, _ = await _read_response(reader)
            result.latencies_s.append(time.perf_counter() - start)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


def post_json_request(
    host: str, port: int, path: str, body: bytes, headers: dict[str, str]
) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def run_load(
    host: str, port: int, make_request: Callable[[int], bytes], total: int, concurrency: int
) -> LoadResult:
    """Send ``total`` requests over ``concurrency`` keep-alive connections."""
    result = LoadResult()
    counter = [0]

    async def main() -> None:
        start = time.perf_counter()
        await asyncio.gather(
            *(_worker(host, port, make_request, counter, total, result) for _ in range(concurrency))
        )
        result.elapsed_s = time.perf_counter() - start

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
    return result
