"""Three telemetry workers on real NATS JetStream and PostgreSQL; one is killed mid-stream.

The same stream of readings goes once through the in-process path (one process, the default
bus) and once over NATS to three worker processes, one of which gets SIGKILL half-way. Its
districts move to the survivors, which restore them from their checkpoints and replay the
stream; the warnings (with their whole history) and the events must come out the same as in
the single-process run: none lost, none duplicated.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import numpy as np
import orjson
import pytest
import sqlalchemy as sa

from cityloop.adapters.nats.names import BusNames
from cityloop.adapters.sql import tables as t
from cityloop.bootstrap import bootstrap
from cityloop.city import City
from cityloop.engine.partition import Partitioning
from cityloop.engine.sensors import load_sensor_table
from cityloop.services.telemetry_routing import city_partitioning
from cityloop.settings import Settings
from tests.services import fresh_nats_prefix, fresh_postgres_database

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.slow]

LEASE_S = 3.0
BATCHES = 30
LEVELS = np.array([1.0, 7.0, 12.0, 30.0, 60.0])  # %LEL: none, blue, yellow, orange, red


def _spread_gas_sensors(parts: Partitioning, per_partition: int) -> list[str]:
    """Gas sensors of every district at least 600 m from each other (so that no two of them
    merge into one event: the order of districts could then change which one leads)."""
    table = parts.sensors
    chosen: list[int] = []
    gas = [i for i, sid in enumerate(table.ids) if sid.startswith("GL")]
    count: dict[int, int] = {}
    for i in gas:
        p = int(parts.of_sensor[i])
        if count.get(p, 0) >= per_partition:
            continue
        dx = (table.lon[chosen] - table.lon[i]) * 96_000.0
        dy = (table.lat[chosen] - table.lat[i]) * 111_000.0
        if chosen and float(np.min(np.hypot(dx, dy))) < 600.0:
            continue
        chosen.append(i)
        count[p] = count.get(p, 0) + 1
    return [table.ids[i] for i in chosen]


def _batches(ids: list[str], start: float) -> list[bytes]:
    """A random walk over warning levels per sensor, one reading per sensor per batch."""
    rng = np.random.default_rng(9)
    state = rng.integers(0, len(LEVELS), len(ids))
    out = []
    for k in range(BATCHES):
        state = np.clip(state + rng.integers(-1, 2, len(ids)), 0, len(LEVELS) - 1)
        values = LEVELS[state] * rng.uniform(0.97, 1.03, len(ids))
        ts = np.full(len(ids), start + 0.5 * k)
        out.append(
            orjson.dumps(
                {"sensor": ids, "ts": ts, "value": np.round(values, 3)},
                option=orjson.OPT_SERIALIZE_NUMPY,
            )
        )
    return out


def _outcome(engine: sa.Engine) -> tuple[dict[str, Any], list[Any]]:
    """The gas warnings with their engine history, and their events by the warnings they came
    from. (Sensors the stream never mentions go offline three intervals after an engine starts,
    at times of the wall clock: those time-driven warnings are not the stream's and are left
    out.)"""
    with engine.connect() as conn:
        warnings = {
            r.id: (
                r.level,
                r.active,
                r.event_type,
                [(h["kind"], h["level"], h["at"], h["value"]) for h in r.history if "seq" in h],
                sum(h["kind"] == "event" for h in r.history),
            )
            for r in conn.execute(sa.select(t.warnings).where(t.warnings.c.rule_id == "gas-lel"))
        }
        events = sorted(
            (tuple(sorted(r.warning_ids)), r.type_code, r.severity, r.state, r.district_code)
            for r in conn.execute(sa.select(t.events).where(t.events.c.type_code == "AC03"))
        )
    return warnings, events


@pytest.fixture
def two_databases() -> Iterator[tuple[str, str]]:
    with fresh_postgres_database() as one, fresh_postgres_database() as two:
        yield one, two


def _settings(city_dir: Path, url: str, model_dir: Path, **more: Any) -> Settings:
    return Settings(
        database_url=url,
        city=city_dir,
        seed_demo_users=False,
        secret_key="failover-test-secret-key-0123456789abcdef",
        model_dir=model_dir,
        **more,
    )


async def _leases(url: str, names: BusNames) -> dict[str, str]:
    nc = await nats.connect(url)
    try:
        try:
            kv = await nc.jetstream().key_value(names.leases)
            keys = await kv.keys()
        except Exception:  # no bucket yet, or no keys
            return {}
        out = {}
        for key in keys:
            if key.startswith("partition."):
                try:
                    entry = await kv.get(key)
                except Exception:
                    continue
                out[key.removeprefix("partition.")] = (entry.value or b"").decode()
        return out
    finally:
        await nc.close()


async def _last_seqs(url: str, names: BusNames, partitions: list[str]) -> dict[str, int]:
    nc = await nats.connect(url)
    try:
        jsm = nc.jetstream()
        out = {}
        for p in partitions:
            try:
                msg = await jsm.get_last_msg(names.telemetry_stream, names.telemetry(p))
            except Exception:
                continue
            out[p] = int(msg.seq or 0)
        return out
    finally:
        await nc.close()


def _wait(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.25)


def test_killing_a_worker_loses_and_duplicates_nothing(
    demo_city_dir: Path,
    demo_city: City,
    model_dir: Path,
    two_databases: tuple[str, str],
    tmp_path: Path,
) -> None:
    reference_url, nats_db_url = two_databases
    parts = city_partitioning(demo_city, load_sensor_table(demo_city_dir))
    ids = _spread_gas_sensors(parts, per_partition=12)
    batches = _batches(ids, time.time())

    # The same readings through NATS to three telemetry worker processes, and (1.) once
    # through the in-process path, in one process with one engine.
    with fresh_nats_prefix() as (url, prefix):
        names = BusNames(prefix)
        settings = _settings(demo_city_dir, nats_db_url, model_dir, bus=url, bus_prefix=prefix)
        api = bootstrap(settings, city=demo_city)  # the API server's side: it only forwards
        env = dict(
            os.environ,
            CITYLOOP_BUS=url,
            CITYLOOP_BUS_PREFIX=prefix,
            CITYLOOP_DATABASE_URL=nats_db_url,
            CITYLOOP_CITY=str(demo_city_dir),
            CITYLOOP_MODEL_DIR=str(model_dir),
            CITYLOOP_SEED_DEMO_USERS="false",
            CITYLOOP_SECRET_KEY=settings.secret_key or "",
            CITYLOOP_WORKER_LEASE_S=str(LEASE_S),
            CITYLOOP_CHECKPOINT_INTERVAL_S="1",
        )
        logs = [open(tmp_path / f"worker{k}.log", "wb") for k in range(3)]  # noqa: SIM115
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "cityloop.cli", "worker", "telemetry"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for log in logs
        ]
        try:
            # (the workers take a while to start: meanwhile, the reference)
            # 1. The single-process run: the in-process bus, one engine.
            single = bootstrap(_settings(demo_city_dir, reference_url, model_dir), city=demo_city)
            try:
                for payload in batches:
                    single.telemetry.ingest(payload, "application/json")
                expected = _outcome(single.engine)
            finally:
                single.close()
            assert len(expected[0]) >= 20, expected
            assert len(expected[1]) >= 10, expected
            kinds = {h[0] for w in expected[0].values() for h in w[3]}
            assert kinds == {"raised", "upgraded", "downgraded", "cleared"}

            share = math.ceil(len(parts.names) / 3)

            def balanced() -> dict[str, str] | None:
                leases = asyncio.run(_leases(url, names))
                owners = {o: sum(v == o for v in leases.values()) for o in set(leases.values())}
                ok = len(leases) == len(parts.names) and len(owners) == 3
                return leases if ok and max(owners.values()) <= share else None

            leases = _wait("three workers sharing the districts", balanced, 240)
            half = len(batches) // 2
            for payload in batches[:half]:
                api.telemetry.ingest(payload, "application/json")
            victim_name = next(iter(leases.values()))
            victim = next(w for w in workers if victim_name.endswith(f"-{w.pid}"))
            moved = sorted(p for p, o in leases.items() if o == victim_name)

            def checkpoints() -> dict[str, tuple[int, str]]:
                c = t.engine_checkpoints.c
                with api.engine.connect() as conn:
                    rows = conn.execute(sa.select(c.partition, c.stream_seq, c.owner)).all()
                return {r.partition: (int(r.stream_seq), r.owner) for r in rows}

            # Kill it once it has stored results of its own, so that its successor restores a
            # checkpoint and replays only what follows it; the rest of the stream is still due.
            _wait(
                "the victim's first checkpoint",
                lambda: any(checkpoints().get(p, (0, ""))[1] == victim_name for p in moved),
                60,
            )
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            killed_at = time.monotonic()
            for payload in batches[half:]:
                api.telemetry.ingest(payload, "application/json")

            def taken_over() -> dict[str, str] | None:
                leases = asyncio.run(_leases(url, names))
                ok = len(leases) == len(parts.names) and victim_name not in leases.values()
                return leases if ok else None

            after = _wait("the victim's districts to move", taken_over, 4 * LEASE_S + 10)
            failover_s = time.monotonic() - killed_at
            assert failover_s <= 4 * LEASE_S + 10
            assert {after[p] for p in moved} <= set(after.values()) - {victim_name}

            last = asyncio.run(_last_seqs(url, names, parts.names))

            def caught_up() -> bool:
                with api.engine.connect() as conn:
                    saved = dict(
                        conn.execute(
                            sa.select(
                                t.engine_checkpoints.c.partition,
                                t.engine_checkpoints.c.stream_seq,
                            )
                        ).all()
                    )
                return all(saved.get(p, 0) >= seq for p, seq in last.items())

            _wait("every district checkpointed at the end of the stream", caught_up, 40)
            final = checkpoints()
            assert all(final[p][1] not in ("", victim_name) for p in moved)
            deadline = time.monotonic() + 20  # the events follow their warnings' commit
            got = _outcome(api.engine)
            while got != expected and time.monotonic() < deadline:
                time.sleep(0.5)
                got = _outcome(api.engine)
            differ = {k: (got[0].get(k), v) for k, v in expected[0].items() if got[0].get(k) != v}
            assert not differ, differ  # (got, expected) of each warning that differs
            assert set(got[0]) == set(expected[0])
            assert got[1] == expected[1]
        finally:
            for w in workers:
                if w.poll() is None:
                    w.send_signal(signal.SIGTERM)
            for w in workers:
                try:
                    w.wait(20)
                except subprocess.TimeoutExpired:
                    w.kill()
                    w.wait(5)
            for log in logs:
                log.close()
            api.close()
