"""Telemetry over NATS JetStream with N worker processes
(`cityloop bench telemetry --bus nats://… --workers N --json`).

The synthetic sensors of `bench telemetry` are split into partitions (as a city's districts
would split them); `seconds` batches of one reading per sensor are published first, one message
per partition and second, on a stream of its own (deleted afterwards). Then N worker processes
start, each taking every N-th partition, and pull, decode and judge their messages with one
engine per partition — the path of `cityloop worker telemetry` without the database (warning
changes are counted, not stored; storing them is the database's throughput, measured by the
intake and e2e benchmarks). The figure is readings judged per second from the moment every
worker is ready to the moment the last one is done; `readings_per_cpu_s` is each worker's
readings per second of the CPU time it got, which tells a worker that is slow from one that
waits for a core (`load_avg_1m_before` is the machine's load when the run started).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import time
from typing import Any

import nats
import numpy as np
import orjson
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from cityloop.adapters.nats.names import BusNames
from cityloop.adapters.nats.setup import delete_all, ensure_streams
from cityloop.bench.telemetry import SAFE, STRESSED, STRESSED_SHARE, T0, synthetic_sensors
from cityloop.engine.decode import decode_columnar_json
from cityloop.engine.library import library_documents
from cityloop.engine.partition import Partitioning
from cityloop.engine.rules.schema import RulesFile
from cityloop.engine.sensor_types import TYPE_ORDER

FETCH = 64


def _partitioning(sensors: int, partitions: int, seed: int) -> Partitioning:
    rng = np.random.default_rng(seed)
    table, _ = synthetic_sensors(sensors, rng)
    keys = [f"P{i % partitions:02d}" for i in range(sensors)]
    return Partitioning.from_keys(table, keys)


def _worker(
    url: str,
    prefix: str,
    sensors: int,
    partitions: int,
    seed: int,
    mine: list[str],
    expected: int,
    ready: Any,
    go: Any,
    out: Any,
) -> None:
    rng = np.random.default_rng(seed)
    table, areas = synthetic_sensors(sensors, rng)
    keys = [f"P{i % partitions:02d}" for i in range(sensors)]
    parts = Partitioning.from_keys(table, keys)
    rules = [r for _, _, doc in library_documents() for r in RulesFile.model_validate(doc).rules]
    engines = {p: parts.engine(p, rules, areas, clock=None) for p in mine}
    names = BusNames(prefix)

    async def run() -> tuple[int, int, float, float, float]:
        nc = await nats.connect(url)
        js = nc.jetstream()
        subs = {
            p: await js.pull_subscribe(
                names.telemetry(p),
                stream=names.telemetry_stream,
                config=ConsumerConfig(
                    deliver_policy=DeliverPolicy.ALL,
                    ack_policy=AckPolicy.NONE,
                    inactive_threshold=30.0,
                ),
            )
            for p in mine
        }
        ready.set()
        go.wait()
        start, cpu = time.monotonic(), time.process_time()
        seen = readings = changes = 0
        while seen < expected:
            for p, sub in subs.items():
                try:
                    msgs = await sub.fetch(FETCH, timeout=0.2)
                except (nats.errors.TimeoutError, TimeoutError):
                    continue
                for m in msgs:
                    result = engines[p].ingest(decode_columnar_json(m.data, engines[p].sensors))
                    readings += result.accepted
                    changes += len(result.changes)
                    seen += 1
        end, cpu = time.monotonic(), time.process_time() - cpu
        await nc.close()
        return readings, changes, start, end, cpu

    readings, changes, start, end, cpu = asyncio.run(run())
    out.put({"readings": readings, "changes": changes, "start": start, "end": end, "cpu": cpu})


async def _publish(url: str, names: BusNames, parts: Partitioning, seconds: int, seed: int) -> int:
    rng = np.random.default_rng(seed + 1)
    table = parts.sensors
    n = len(table)

    def draw(ranges: dict[Any, tuple[float, float]]) -> np.ndarray[Any, Any]:
        low = np.array([ranges[t][0] for t in TYPE_ORDER])[table.types]
        high = np.array([ranges[t][1] for t in TYPE_ORDER])[table.types]
        return rng.uniform(low, high)

    stressed = rng.uniform(size=n) < STRESSED_SHARE
    level = np.where(stressed, draw(STRESSED), draw(SAFE))
    rows = {p: parts.rows(p) for p in parts.names}
    nc = await nats.connect(url)
    js = nc.jetstream()
    await delete_all(js, names)
    await ensure_streams(js, names)
    count = 0
    for s in range(seconds):
        values = level * rng.uniform(0.98, 1.02, n)
        ts = T0 + s + rng.uniform(0.0, 0.9, n)
        acks = []
        for p, r in rows.items():
            payload = orjson.dumps(
                {
                    "sensor": [table.ids[int(i)] for i in r],
                    "ts": np.round(ts[r], 3),
                    "value": np.round(values[r], 4),
                },
                option=orjson.OPT_SERIALIZE_NUMPY,
            )
            acks.append(js.publish(names.telemetry(p), payload))
            count += 1
        await asyncio.gather(*acks)
    await nc.close()
    return count


async def _clean(url: str, names: BusNames) -> None:
    nc = await nats.connect(url)
    await delete_all(nc.jetstream(), names)
    await nc.close()


def run_bus_bench(
    url: str,
    workers: int,
    sensors: int = 40_000,
    seconds: int = 10,
    partitions: int = 8,
    seed: int = 0,
) -> dict[str, Any]:
    prefix = f"bench{int(time.time() * 1000) % 10**9}"
    load = os.getloadavg()[0]
    names = BusNames(prefix)
    parts = _partitioning(sensors, partitions, seed)
    try:
        asyncio.run(_publish(url, names, parts, seconds, seed))
        ctx = mp.get_context("spawn")
        go = ctx.Event()
        out = ctx.Queue()
        readies, procs = [], []
        for k in range(workers):
            mine = parts.names[k::workers]
            ready = ctx.Event()
            proc = ctx.Process(
                target=_worker,
                args=(url, prefix, sensors, partitions, seed, mine, len(mine) * seconds),
                kwargs={"ready": ready, "go": go, "out": out},
            )
            proc.start()
            readies.append(ready)
            procs.append(proc)
        for ready in readies:
            ready.wait(300)
        go.set()
        results = [out.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join(60)
    finally:
        asyncio.run(_clean(url, names))
    start = min(r["start"] for r in results)
    end = max(r["end"] for r in results)
    readings = sum(r["readings"] for r in results)
    return {
        "bench": "telemetry",
        "bus": "nats",
        "workers": workers,
        "partitions": partitions,
        "sensors": sensors,
        "seconds": seconds,
        "readings": readings,
        "readings_per_s": round(readings / (end - start)),
        "per_worker_readings_per_s": [
            round(r["readings"] / (r["end"] - r["start"])) for r in results
        ],
        "readings_per_cpu_s": [round(r["readings"] / r["cpu"]) for r in results],
        "warning_changes": sum(r["changes"] for r in results),
        "wall_s": round(end - start, 2),
        "cores": os.cpu_count(),
        "load_avg_1m_before": round(load, 1),
    }
