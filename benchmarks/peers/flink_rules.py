"""The telemetry benchmark's workload on Apache Flink (PyFlink, parallelism 1), for comparison.

Runs the readings of `cityloop bench telemetry` (cityloop/bench/telemetry.py: the same synthetic
sensors, the same random sequence, so the very same values) through a Flink job

    collection of columnar-JSON payloads (one per simulated second)
      → flat_map: decode with orjson, map ids to dense indices, check range   (Python)
      → key_by(sensor index)
      → KeyedProcessFunction: per-sensor ValueState, the demo library's      (Python)
        threshold-with-hold, consecutive-count and rolling-sum/mean rules,
        edge-triggered (one output per level change)
      → collect sink (back to this process, where the changes are counted)

and prints the JSON of our bench with `"engine": "flink"`. The rules are the demo library's
threshold and rolling rules, compiled by cityloop itself (same thresholds per sensor, holds,
hysteresis, windows, buckets); see docs/performance-peers.md for what is and is not compared.

    PYTHONPATH=/work/main /work/peers-venv/bin/python benchmarks/peers/flink_rules.py --json

Needs `apache-flink` (the `peers` extra) and a Java runtime (tested with OpenJDK 17); run it from
a separate venv. Python functions run in PyFlink's `thread` mode by default (`--mode process` for
the separate-worker mode, far slower with keyed state). The JSON goes to stdout; details (per-rule
changes, latency from decode start, job wall time) go to stderr as one more JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, for `cityloop`

from cityloop.bench.telemetry import SAFE, STRESSED, STRESSED_SHARE, T0, synthetic_sensors
from cityloop.engine.library import library_documents
from cityloop.engine.rules.base import CompileContext, compile_rule
from cityloop.engine.rules.schema import RulesFile
from cityloop.engine.sensor_types import TYPE_ORDER, TYPE_SPECS, SensorType
from cityloop.engine.sensors import SensorTable

PEER_RULES = (
    "water-level-stage",  # threshold, 4 levels on per-gauge params, hold 2 readings
    "hydrant-pressure",  # threshold below, 4 levels, hold 2
    "gas-lel",  # threshold, hold 2 / 1
    "manhole-level",  # threshold on params, hold 2 / 1
    "dissolved-oxygen-gb3838",  # consecutive count: below a class limit for 3 readings
    "rainstorm-observed",  # rolling sum, 5 min buckets, 3 h / 6 h / 12 h windows
    "pm25-aqi",  # rolling 1 h mean → IAQI (HJ 633-2012)
)
"""The demo library rules run on Flink: every threshold and rolling rule (the three kinds)."""

PM25_BP = (0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0)
IAQI_BP = (0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0)


def iaqi_pm25(c: float) -> float:
    """Scalar HJ 633-2012 IAQI, as cityloop.engine.rules.transforms.iaqi_pm25 (np.interp + ceil)."""
    if c != c:
        return c
    if c <= PM25_BP[0]:
        x = IAQI_BP[0]
    elif c >= PM25_BP[-1]:
        x = IAQI_BP[-1]
    else:
        k = 1
        while PM25_BP[k] < c:
            k += 1
        lo, hi = PM25_BP[k - 1], PM25_BP[k]
        x = IAQI_BP[k - 1] + (IAQI_BP[k] - IAQI_BP[k - 1]) * (c - lo) / (hi - lo)
    return float(math.ceil(x - 1e-9))


# --- the workload (identical to run_telemetry_bench) ------------------------------------------


def workload(sensors: int, seconds: int, seed: int) -> tuple[SensorTable, list[bytes]]:
    """The sensors and the columnar-JSON payloads of `cityloop bench telemetry`, bit for bit.

    Draws from the generator in exactly the order run_telemetry_bench does.
    """
    rng = np.random.default_rng(seed)
    table, _areas = synthetic_sensors(sensors, rng)

    def draw(ranges: dict[SensorType, tuple[float, float]]) -> Any:
        low = np.array([ranges[t][0] for t in TYPE_ORDER])[table.types]
        high = np.array([ranges[t][1] for t in TYPE_ORDER])[table.types]
        return rng.uniform(low, high)

    stressed = rng.uniform(size=sensors) < STRESSED_SHARE
    level = np.where(stressed, draw(STRESSED), draw(SAFE))
    payloads = []
    for s in range(seconds):
        values = level * rng.uniform(0.98, 1.02, sensors)
        ts = T0 + s + rng.uniform(0.0, 0.9, sensors)
        payloads.append(
            orjson.dumps(
                {"sensor": table.ids, "ts": np.round(ts, 3), "value": np.round(values, 4)},
                option=orjson.OPT_SERIALIZE_NUMPY,
            )
        )
    return table, payloads


def compile_plan(table: SensorTable) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """Rule specs and, per sensor, its (rule, entry thresholds, clear thresholds) — by cityloop."""
    docs = [RulesFile.model_validate(doc) for _, _, doc in library_documents()]
    specs = [r for f in docs for r in f.rules if r.id in PEER_RULES]
    ctx = CompileContext(table, [])
    rules: list[dict[str, Any]] = []
    per_sensor: list[tuple[Any, ...]] = [() for _ in range(len(table.ids))]
    interned: dict[Any, Any] = {}
    for k, spec in enumerate(specs):
        ev = compile_rule(spec, ctx)
        m = ev.machine
        if m.timed:
            raise SystemExit(f"{spec.id}: duration holds are not ported")
        rule: dict[str, Any] = {
            "id": spec.id,
            "above": bool(m.above),
            "levels": tuple(int(x) for x in ev.levels),
            "holds": tuple(int(x) for x in m.hold_readings),
            "rolling": spec.type == "rolling",
        }
        if rule["rolling"]:
            rule |= {
                "agg": spec.agg,
                "bucket": float(ev.bucket),
                "ring": int(ev.ring),
                "spans": tuple(int(s) for s in ev.spans),
                "iaqi": spec.transform == "iaqi_pm25",
            }
            if spec.agg not in ("sum", "mean"):
                raise SystemExit(f"{spec.id}: agg {spec.agg} not ported")
        rules.append(rule)
        for j, i in enumerate(ev.members.tolist()):
            key = (k, tuple(m.entry[j].tolist()), tuple(m.clear[j].tolist()))
            per_sensor[i] += (interned.setdefault(key, key),)
    return rules, per_sensor


# --- the Flink job ---------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """Peak resident memory of this process and all its descendants (JVM, Python workers)."""

    def __init__(self, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.every, self.peak, self.stopped = every, 0, threading.Event()

    @staticmethod
    def tree_rss() -> int:
        parent: dict[int, int] = {}
        rss: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    stat = f.read()
                fields = stat[stat.rindex(b")") + 2 :].split()
                parent[int(d)] = int(fields[1])
                rss[int(d)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ValueError, IndexError):
                continue
        mine, total, grew = {os.getpid()}, 0, True
        while grew:
            grew = False
            for pid, ppid in parent.items():
                if ppid in mine and pid not in mine:
                    mine.add(pid)
                    grew = True
        for pid in mine:
            total += rss.get(pid, 0)
        return total

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.peak = max(self.peak, self.tree_rss())


def run_flink(
    table: SensorTable,
    payloads: list[bytes],
    rules: list[dict[str, Any]],
    per_sensor: list[tuple[Any, ...]],
    mode: str,
    cache: int,
) -> dict[str, Any]:
    from pyflink.common import Configuration, Types
    from pyflink.datastream import (
        FlatMapFunction,
        KeyedProcessFunction,
        RuntimeContext,
        StreamExecutionEnvironment,
    )
    from pyflink.datastream.state import ValueStateDescriptor

    index = {sid: i for i, sid in enumerate(table.ids)}
    low = tuple(TYPE_SPECS[TYPE_ORDER[t]].low for t in table.types.tolist())
    high = tuple(TYPE_SPECS[TYPE_ORDER[t]].high for t in table.types.tolist())
    batches = len(payloads)

    class Decode(FlatMapFunction):  # type: ignore[misc]
        """Columnar JSON → (sensor index, ts, value); a marker (-1, batch, wall time) first."""

        def flat_map(self, value: Any) -> Any:
            k, data = value[0], value[1]
            yield (-1, float(k), time.time())
            doc = orjson.loads(bytes(data))
            get = index.get
            for sid, ts, v in zip(doc["sensor"], doc["ts"], doc["value"], strict=True):
                i = get(sid)
                if i is None or not (low[i] <= v <= high[i]) or ts != ts:
                    continue  # rejected: unknown sensor, not finite / outside the range
                yield (i, float(ts), float(v))
            if k == batches - 1:
                yield (-1, float(batches), time.time())

    class Rules(KeyedProcessFunction):  # type: ignore[misc]
        """Per-sensor state [last ts, per rule: level, counts (, bucket ring)]; edge-triggered."""

        def open(self, runtime_context: RuntimeContext) -> None:
            self.state = runtime_context.get_state(
                ValueStateDescriptor("sensor", Types.PICKLED_BYTE_ARRAY())
            )
            self.batch, self.count = -1, 0

        def process_element(self, value: Any, ctx: Any) -> Any:
            i, ts, v = value
            if i < 0:  # a batch marker: everything before it has been judged
                now = time.time()
                if self.batch >= 0:
                    yield (1, self.batch, self.count, 0, now)
                self.batch, self.count = int(ts), 0
                if self.batch < batches:
                    yield (2, self.batch, 0, 0, v)
                return
            plan = per_sensor[i]
            st = self.state.value()
            if st is None:
                st = [-1e300]
                for k, _entry, _clear in plan:
                    r = rules[k]
                    n = len(r["levels"])
                    if r["rolling"]:
                        ring = r["ring"]
                        st.append([0, [0] * n, [None] * ring, [0.0] * ring, [0] * ring])
                    else:
                        st.append([0, [0] * n])
            if ts <= st[0]:
                return  # not newer than the sensor's latest reading
            st[0] = ts
            self.count += 1
            for slot, (k, entry, clear) in enumerate(plan, start=1):
                r = rules[k]
                rs = st[slot]
                if r["rolling"]:
                    bucket = int(ts // r["bucket"])
                    ring = r["ring"]
                    pos = bucket % ring
                    marks, acc, cnt = rs[2], rs[3], rs[4]
                    if marks[pos] != bucket:
                        marks[pos], acc[pos], cnt[pos] = bucket, 0.0, 0
                    acc[pos] += v
                    cnt[pos] += 1
                    signals = []
                    for span in r["spans"]:
                        total, n = 0.0, 0
                        for q in range(ring):
                            b = marks[q]
                            if b is not None and 0 <= bucket - b < span:
                                total += acc[q]
                                n += cnt[q]
                        if r["agg"] == "mean":
                            total = total / n if n else float("nan")
                        signals.append(iaqi_pm25(total) if r["iaqi"] else total)
                else:
                    signals = None
                current, counts = rs[0], rs[1]
                reached = kept = 0
                above = r["above"]
                for j, lv in enumerate(r["levels"]):
                    s = signals[j] if signals is not None else v
                    if above:
                        enter, keep = s >= entry[j], s >= clear[j]
                    else:
                        enter, keep = s < entry[j], s < clear[j]
                    c = counts[j] + 1 if enter else 0
                    counts[j] = c
                    if enter and c >= r["holds"][j] and lv > reached:
                        reached = lv
                    if keep and lv <= current and lv > kept:
                        kept = lv
                new = reached if reached > kept else kept
                if new != current:
                    rs[0] = new
                    yield (0, k, i, new, ts)
            self.state.update(st)

    if mode == "thread":
        # The Python functions run in an interpreter embedded in the JVM (pemja); it must find
        # this venv's packages (pyflink, pemja, orjson).
        import site

        paths = [*site.getsitepackages(), os.environ.get("PYTHONPATH", "")]
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    config = Configuration()
    config.set_string("python.executable", sys.executable)
    config.set_string("python.client.executable", sys.executable)
    config.set_string("python.execution-mode", mode)
    config.set_string("python.state.cache-size", str(cache))
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(1)
    source = env.from_collection(
        [(k, p) for k, p in enumerate(payloads)],
        type_info=Types.TUPLE([Types.INT(), Types.PRIMITIVE_ARRAY(Types.BYTE())]),
    )
    reading = Types.TUPLE([Types.INT(), Types.DOUBLE(), Types.DOUBLE()])
    out = Types.TUPLE([Types.INT(), Types.INT(), Types.INT(), Types.INT(), Types.DOUBLE()])
    stream = (
        source.flat_map(Decode(), output_type=reading)
        .key_by(lambda r: r[0], key_type=Types.INT())
        .process(Rules(), output_type=out)
    )
    sampler = RssSampler()
    sampler.start()
    submitted = time.perf_counter()
    changes = 0
    per_rule = [0] * len(rules)
    starts: dict[int, float] = {}
    done: dict[int, tuple[int, float]] = {}
    with stream.execute_and_collect() as results:
        for kind, a, b, _c, t in results:
            if kind == 0:
                changes += 1
                per_rule[a] += 1
            elif kind == 1:
                done[a] = (b, t)
            else:
                starts[a] = t
    wall = time.perf_counter() - submitted
    sampler.stopped.set()
    sampler.join()
    return {
        "starts": starts,
        "done": done,
        "changes": changes,
        "per_rule": {r["id"]: n for r, n in zip(rules, per_rule, strict=True)},
        "wall_s": wall,
        "rss_bytes": max(sampler.peak, sampler.tree_rss()),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(np.ceil(q * len(ordered))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sensors", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print only the JSON result line")
    parser.add_argument("--mode", choices=("thread", "process"), default="thread",
                        help="PyFlink Python execution mode (default: thread)")  # fmt: skip
    parser.add_argument("--state-cache", type=int, default=None,
                        help="python.state.cache-size (default: sensors + 1000)")  # fmt: skip
    args = parser.parse_args()

    table, payloads = workload(args.sensors, args.seconds, args.seed)
    rules, per_sensor = compile_plan(table)
    cache = args.state_cache or args.sensors + 1000
    res = run_flink(table, payloads, rules, per_sensor, args.mode, cache)

    starts, done = res["starts"], res["done"]
    batches = sorted(done)
    readings = sum(done[k][0] for k in batches)
    span = done[batches[-1]][1] - starts[batches[0]]
    # Time the pipeline spent per one-second batch: from the completion of the previous batch
    # (or the decode start of the first) to the moment the rule operator had judged this one.
    spent, previous = [], starts[batches[0]]
    for k in batches:
        spent.append(done[k][1] - previous)
        previous = done[k][1]
    # From the moment the decoder started a batch to the moment its last reading was judged.
    through = [done[k][1] - starts[k] for k in batches]
    result = {
        "bench": "telemetry",
        "engine": "flink",
        "sensors": args.sensors,
        "readings": readings,
        "readings_per_s": round(readings / span),
        "batch_latency_ms": {
            "p50": round(statistics.median(spent) * 1000, 1),
            "p99": round(percentile(spent, 0.99) * 1000, 1),
        },
        "warnings": res["changes"],
        "rss_mb": round(res["rss_bytes"] / 2**20, 1),
    }
    detail = {
        "mode": args.mode,
        "state_cache": cache,
        "rules": res["per_rule"],
        "decode_to_judged_ms": {
            "p50": round(statistics.median(through) * 1000, 1),
            "p99": round(percentile(through, 0.99) * 1000, 1),
        },
        "measured_s": round(span, 2),
        "job_wall_s": round(res["wall_s"], 2),
    }
    print(json.dumps(detail), file=sys.stderr)
    if not args.json:
        print(json.dumps(result, indent=2))
    else:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
