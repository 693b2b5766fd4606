"""`cityloop serve` migrates a fresh database, prints the demo logins and answers over HTTP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


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
                    health = json.load(r)
                    assert health["city"] == "YZ"
                    assert health["intake"] == "intake process"
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


def test_serve_with_two_workers_shares_one_database_and_relays_each_message_once(
    demo_city_dir: Path, tmp_path: Path
) -> None:
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    from cityloop.city import load_city

    port = _free_port()
    db = tmp_path / "workers.db"
    env = {
        **os.environ,
        "CITYLOOP_DATABASE_URL": f"sqlite:///{db}",
        "CITYLOOP_SECRET_FILE": str(tmp_path / "secret.key"),
        "CITYLOOP_MODEL_DIR": str(tmp_path / "models"),
        "CITYLOOP_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    cmd = [sys.executable, "-m", "cityloop.cli", "serve", "--city", str(demo_city_dir)]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--workers", "2", "--no-access-log"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    city = load_city(demo_city_dir)
    points = [
        city.jurisdictions[c].geometry.representative_point()
        for c in sorted(city.jurisdictions)
        if city.jurisdictions[c].level.value == "grid"
    ][:40:2]
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 120 s"
                time.sleep(0.5)
        login = urllib.request.Request(
            f"{base}/api/v1/auth/login",
            data=json.dumps({"username": "city_op", "password": "cityloop-demo"}).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=10) as r:
            token = json.load(r)["access_token"]

        def report(i: int) -> int:
            p = points[i]
            body = {"text": "井盖丢失", "type_code": "UM02", "lon": p.x, "lat": p.y}
            req = urllib.request.Request(
                f"{base}/api/v1/grid/reports",
                data=json.dumps(body).encode(),
                headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
            )
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status

        with ThreadPoolExecutor(8) as pool:  # new connections: both workers take some
            assert set(pool.map(report, range(len(points)))) == {201}
        time.sleep(3)  # the leader relays every 0.25 s
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "2 worker processes" in out
    # both workers stored through the one intake process, which stopped with the server
    intake_pid = int(re.search(r"intake process pid (\d+)", out).group(1))  # type: ignore[union-attr]
    with pytest.raises(ProcessLookupError):
        os.kill(intake_pid, 0)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == len(points)
        assert (
            conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
            == 0
        )
        twice = conn.execute(
            "SELECT event_id, recipient, kind, count(*) FROM notifications "
            "GROUP BY event_id, recipient, kind HAVING count(*) > 1"
        ).fetchall()
        assert twice == []
        assert conn.execute("SELECT count(*) FROM notifications").fetchone()[0] >= len(points)
