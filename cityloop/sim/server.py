"""Start a local CityLoop server for a scenario: a fresh SQLite database in a temporary folder,
an accelerated clock, a free port; stopped (and its folder removed) when the block ends."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def local_server(
    city: Path,
    clock_speed: float,
    *,
    model_dir: Path | None = None,
    webhook_url: str | None = None,
    tick_s: float = 0.5,
    timeout_s: float = 180.0,
    stepped: bool = False,
) -> Iterator[str]:
    """Yield the base URL of a `cityloop serve` running on `city` at `clock_speed` (with
    `stepped`, on a clock that moves only when the simulation advances it; `clock_speed`
    then sets the simulation's cadence)."""
    tmp = Path(tempfile.mkdtemp(prefix="cityloop-scenario-"))
    port = free_port()
    env = os.environ | {
        "CITYLOOP_DATABASE_URL": f"sqlite:///{tmp / 'cityloop.db'}",
        "CITYLOOP_CITY": str(city),
        "CITYLOOP_SECRET_FILE": str(tmp / "secret.key"),
        "CITYLOOP_UPLOAD_DIR": str(tmp / "uploads"),
        "CITYLOOP_CLOCK_SPEED": str(clock_speed),
        "CITYLOOP_CLOCK_STEPPED": "1" if stepped else "0",
        # Deadlines and stale sensors are checked every `tick_s` real seconds.
        "CITYLOOP_SUPERVISION_INTERVAL_S": str(tick_s),
        # A login lasts as many simulated minutes as a day of real time would.
        "CITYLOOP_TOKEN_TTL_MINUTES": str(int(24 * 60 * max(clock_speed, 1.0))),
        "CITYLOOP_WEBHOOK_URLS": f'["{webhook_url}"]' if webhook_url else "[]",
    }
    if model_dir is not None:
        env["CITYLOOP_MODEL_DIR"] = str(model_dir)
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cityloop.cli", "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    "the server exited while starting:\n" + (tmp / "server.log").read_text()[-3000:]
                )
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start in time") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
