"""`cityloop bench intake`: the full intake pipeline over HTTP against a real server.

A server is started on a fresh SQLite database; N grid reports without a type (so the
classifier runs) at random points of the city go through classify → locate → de-duplicate →
route → persist with timeline and outbox. The same load goes to a baseline endpoint that only
inserts the raw report, to show what the pipeline costs.

The two loads take turns, in rounds (a part of the pipeline's reports, then as many baseline
reports, and so on), and each one's figures are those of all its rounds together: a shared
machine's speed drifts within a minute, and two loads run one after the other would each meet
a different machine.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from cityloop.bench.http_load import LoadResult, post_json_request, run_load
from cityloop.city import load_city

PIPELINE = "/api/v1/grid/reports"
BASELINE = "/api/v1/_bench/raw-report"


def _rounds(reports: int, rounds: int) -> list[tuple[int, int]]:
    """(first report, how many) of each round: the reports split as evenly as they go."""
    count = max(1, min(rounds, reports))
    edges = [reports * k // count for k in range(count + 1)]
    return [(a, b - a) for a, b in itertools.pairwise(edges) if b > a]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _texts(city_dir: Path) -> list[str]:
    corpus = city_dir / "corpus" / "classify.tsv"
    if corpus.exists():
        with corpus.open(encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter="\t"))
        texts = [r[-1] for r in rows[1:] if r]
        if texts:
            return texts
    city = load_city(city_dir)
    return [f"{t.name_zh} {' '.join(t.keywords_zh)}" for t in city.event_types.values()]


def _points(city_dir: Path, n: int, seed: int) -> np.ndarray[Any, Any]:
    city = load_city(city_dir)
    minx, miny, maxx, maxy = city.city_jurisdiction.geometry.bounds
    rng = np.random.default_rng(seed)
    found: list[np.ndarray[Any, Any]] = []
    have = 0
    while have < n:
        lon = rng.uniform(minx, maxx, n)
        lat = rng.uniform(miny, maxy, n)
        inside = city.locator.locate_many(lon, lat).inside
        found.append(np.column_stack([lon[inside], lat[inside]]))
        have += int(inside.sum())
    return np.concatenate(found)[:n]


def _launch(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server whose messages go to ``log`` (a file, not a pipe that nobody reads and
    that could fill up and stop it)."""
    with log.open("wb") as out:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=out)


def _wait(base: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"the server exited while starting:\n{tail}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not start in time")


def _login(base: str, username: str, password: str) -> str:
    req = urllib.request.Request(
        f"{base}/api/v1/auth/login",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        token: str = json.load(r)["access_token"]
        return token


def run_intake_bench(
    city_dir: Path,
    reports: int = 5000,
    concurrency: int = 32,
    seed: int = 0,
    workers: int = 1,
    rounds: int = 3,
) -> dict[str, Any]:
    texts = _texts(city_dir)
    points = _points(city_dir, reports, seed)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(texts), reports)
    bodies = [
        json.dumps(
            {"text": texts[int(picks[i])], "lon": float(points[i, 0]), "lat": float(points[i, 1])},
            ensure_ascii=False,
        ).encode()
        for i in range(reports)
    ]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CITYLOOP_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "CITYLOOP_SECRET_FILE": f"{tmp}/secret.key",
            "CITYLOOP_UPLOAD_DIR": f"{tmp}/uploads",
            "CITYLOOP_BENCH_ENDPOINTS": "1",
        }
        cmd = [sys.executable, "-m", "cityloop.cli", "serve", "--city", str(city_dir)]
        cmd += ["--port", str(port), "--no-access-log", "--workers", str(workers)]
        log = Path(tmp) / "server.log"
        proc = _launch(cmd, env, log)
        try:
            _wait(base, proc, log)
            token = _login(base, "city_op", "cityloop-demo")
            headers = {"Authorization": f"Bearer {token}"}

            def request(path: str, offset: int) -> Any:
                return lambda i: post_json_request(
                    "127.0.0.1", port, path, bodies[(offset + i) % reports], headers
                )

            warm = min(200, reports)
            run_load("127.0.0.1", port, request(PIPELINE, 0), warm, concurrency)
            pipeline_parts: list[LoadResult] = []
            baseline_parts: list[LoadResult] = []
            for start, size in _rounds(reports, rounds):
                for path, parts in ((PIPELINE, pipeline_parts), (BASELINE, baseline_parts)):
                    load = request(path, start)
                    parts.append(run_load("127.0.0.1", port, load, size, concurrency))
            pipeline = LoadResult.combined(pipeline_parts)
            baseline = LoadResult.combined(baseline_parts)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    figures = _figures(pipeline, baseline, reports, concurrency)
    return {**figures, "server_workers": workers, "rounds": len(pipeline_parts)}


def _figures(
    pipeline: LoadResult, baseline: LoadResult, reports: int, concurrency: int
) -> dict[str, Any]:
    rate = pipeline.ok / pipeline.elapsed_s
    base_rate = baseline.ok / baseline.elapsed_s
    return {
        "bench": "intake",
        "reports": reports,
        "reports_per_s": round(rate, 1),
        "latency_ms": {"p50": pipeline.percentile_ms(50), "p99": pipeline.percentile_ms(99)},
        "baseline_reports_per_s": round(base_rate, 1),
        "ratio_to_baseline": round(rate / base_rate, 3),
        "concurrency": concurrency,
        "errors": reports - pipeline.ok,
        "baseline_errors": reports - baseline.ok,
        "statuses": {str(k): v for k, v in sorted(pipeline.statuses.items())},
    }
