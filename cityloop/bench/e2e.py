"""`cityloop bench e2e`: from a red reading POSTed over HTTP to the dispatched event visible
through the API, while a background stream feeds the server 100,000 readings per second."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from cityloop.bench.intake import _free_port, _launch, _login, _wait


def _post(url: str, body: bytes, token: str) -> dict[str, Any]:
    req = urllib.request.Request(
        url,
        data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        out: dict[str, Any] = json.load(r)
        return out


def _get(url: str, token: str) -> Any:
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


class Stream(threading.Thread):
    """Background readings at a steady rate, in batches every ``period`` seconds."""

    def __init__(self, url: str, token: str, sensors: list[str], rate: int, period: float):
        super().__init__(daemon=True)
        self.url, self.token, self.sensors = url, token, sensors
        self.per_batch = int(rate * period)
        self.period = period
        self.stop_flag = threading.Event()
        self.sent = 0
        self.rejected = 0
        self.errors = 0

    def run(self) -> None:
        rng = np.random.default_rng(1)
        position = 0
        next_at = time.monotonic()
        while not self.stop_flag.is_set():
            n = self.per_batch
            idx = (np.arange(n) + position) % len(self.sensors)
            position += n
            now = time.time()
            ts = now - 0.05 + np.arange(n) / n * 0.04
            body = orjson.dumps(
                {
                    "sensor": [self.sensors[i] for i in idx],
                    "ts": ts.tolist(),
                    "value": rng.uniform(0.5, 2.0, n).tolist(),
                }
            )
            try:
                out = _post(self.url, body, self.token)
                self.sent += out["accepted"]
                self.rejected += out["rejected"]
            except OSError:
                self.errors += 1
            next_at += self.period
            self.stop_flag.wait(max(0.0, next_at - time.monotonic()))


def run_e2e_bench(
    city_dir: Path, trials: int = 20, rate: int = 100_000, seed: int = 0
) -> dict[str, Any]:
    with (city_dir / "sensors.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    gas = [r["id"] for r in rows if r["type"] == "gas_lel"]
    background = [r["id"] for r in rows if r["type"] in ("gas_lel", "pm25")]
    rng = np.random.default_rng(seed)
    targets = [gas[int(i)] for i in rng.choice(len(gas), size=trials, replace=False)]
    streamed = [s for s in background if s not in set(targets)]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CITYLOOP_DATABASE_URL": f"sqlite:///{tmp}/e2e.db",
            "CITYLOOP_SECRET_FILE": f"{tmp}/secret.key",
            "CITYLOOP_UPLOAD_DIR": f"{tmp}/uploads",
        }
        cmd = [sys.executable, "-m", "cityloop.cli", "serve", "--city", str(city_dir)]
        cmd += ["--port", str(port), "--no-access-log"]
        log = Path(tmp) / "server.log"
        proc = _launch(cmd, env, log)
        stream = None
        try:
            _wait(base, proc, log)
            token = _login(base, "admin", "cityloop-demo")
            stream = Stream(f"{base}/api/v1/telemetry", token, streamed, rate, 0.1)
            stream.start()
            time.sleep(3.0)
            latencies = []
            started = time.monotonic()
            for sensor in targets:
                t0 = time.perf_counter()
                body = orjson.dumps({"sensor": [sensor], "ts": [time.time()], "value": [70.0]})
                _post(f"{base}/api/v1/telemetry", body, token)
                while True:
                    found = _get(
                        f"{base}/api/v1/events?source=sensor&state=dispatched&limit=50&q={sensor}",
                        token,
                    )["items"]
                    if found:
                        break
                    if time.perf_counter() - t0 > 30:
                        raise RuntimeError(f"no dispatched event for {sensor} within 30 s")
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - t0)
                time.sleep(0.2)
            elapsed = time.monotonic() - started
        finally:
            if stream is not None:
                stream.stop_flag.set()
                stream.join(timeout=10)
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    ms = np.array(latencies) * 1000
    return {
        "bench": "e2e",
        "trials": trials,
        "warning_to_dispatch_ms": {
            "p50": round(float(np.percentile(ms, 50)), 1),
            "p99": round(float(np.percentile(ms, 99)), 1),
        },
        "stream_readings_per_s": round(stream.sent / (elapsed + 3.0), 0) if stream else 0,
        "stream_target_per_s": rate,
        "stream_errors": stream.errors if stream else 0,
    }
