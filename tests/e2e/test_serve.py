"""`cityloop serve` migrates a fresh database, prints the demo logins and answers over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_starts_on_a_fresh_database_and_serves_the_city(
    demo_city_dir: Path, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "CITYLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "CITYLOOP_SECRET_FILE": str(tmp_path / "secret.key"),
        "CITYLOOP_MODEL_DIR": str(tmp_path / "models"),
        "CITYLOOP_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    cmd = [sys.executable, "-m", "cityloop.cli", "serve", "--city", str(demo_city_dir)]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    assert json.load(r)["city"] == "YZ"
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 60 s"
                time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/api/v1/event-types?lang=en", timeout=5) as r:
            types = json.load(r)
        assert len(types) == 50
        login = urllib.request.Request(
            f"{base}/api/v1/auth/login",
            data=json.dumps({"username": "city_op", "password": "cityloop-demo"}).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=10) as r:
            assert json.load(r)["token_type"] == "bearer"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}" in out
    assert "city_op" in out
    assert "cityloop-demo" in out
