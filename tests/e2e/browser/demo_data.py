"""Fill a running server with a plausible day of reports and readings, over its public HTTP
interfaces (as a city would): citizens' reports through Open311 at addresses of the city,
with texts of its corpus, and one round of sensor readings (a gas alarm among them)."""

from __future__ import annotations

import csv
import json
import random
import time
import urllib.parse
import urllib.request
from pathlib import Path

DEMO_KEY = "yuzhou-open311-demo-key-2026"


def _post(url: str, data: bytes, headers: dict[str, str]) -> object:
    req = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def login(base: str, username: str) -> str:
    body = json.dumps({"username": username, "password": "cityloop-demo"}).encode()
    out = _post(f"{base}/api/v1/auth/login", body, {"content-type": "application/json"})
    assert isinstance(out, dict)
    return str(out["access_token"])


def reports(base: str, city_dir: Path, n: int, seed: int = 7) -> int:
    """Post ``n`` Open311 reports at random addresses with texts of the city's corpus."""
    rnd = random.Random(seed)
    with (city_dir / "addresses.csv").open(encoding="utf-8") as f:
        places = [(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(f)]
    with (city_dir / "corpus" / "classify.tsv").open(encoding="utf-8") as f:
        texts = [r for r in csv.DictReader(f, delimiter="\t") if r["lang"] == "zh"]
    sent = 0
    for _ in range(n):
        lon, lat = rnd.choice(places)
        row = rnd.choice(texts)
        form = {
            "api_key": DEMO_KEY,
            "service_code": row["type_code"],
            "lat": f"{lat + rnd.uniform(-0.002, 0.002):.6f}",
            "long": f"{lon + rnd.uniform(-0.002, 0.002):.6f}",
            "description": row["text"],
            "phone": f"139{rnd.randrange(10**8):08d}",
        }
        data = urllib.parse.urlencode(form).encode()
        try:
            _post(f"{base}/open311/v2/requests.json", data, {})
            sent += 1
        except urllib.error.HTTPError:
            continue
    return sent


def telemetry(base: str, sensors: dict[str, float]) -> object:
    """One reading per sensor now, sent as an admin."""
    token = login(base, "admin")
    now = int(time.time())
    body = json.dumps(
        {"sensor": list(sensors), "ts": [now] * len(sensors), "value": list(sensors.values())}
    ).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    return _post(f"{base}/api/v1/telemetry", body, headers)


def sensor_round(city_dir: Path, seed: int = 3, share: float = 0.85) -> dict[str, float]:
    """Ordinary readings for most sensors (quiet values by type)."""
    rnd = random.Random(seed)
    quiet = {
        "crowd_count": 20.0,
        "dissolved_oxygen": 7.5,
        "gas_lel": 0.0,
        "hydrant_pressure": 0.35,
        "manhole_level": 0.2,
        "pm25": 35.0,
        "rainfall": 0.2,
        "slope_displacement": 0.5,
        "traffic_speed": 32.0,
        "water_level": 1.0,
    }
    out: dict[str, float] = {}
    with (city_dir / "sensors.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["type"] in quiet and rnd.random() < share:
                out[r["id"]] = quiet[r["type"]]
    return out


def advance(base: str, seed: int = 1) -> int:
    """Carry dispatched events (sensor-device faults aside) some way round the loop as an
    admin, so the screens show every state; returns the number of steps taken."""
    from tests.e2e.browser.helpers import call

    tok = login(base, "admin")
    page = call(base, "GET", "/api/v1/events?state=dispatched&limit=500", None, tok)
    rnd = random.Random(seed)
    steps = [
        ("accept", {}),
        ("start", {}),
        ("resolve", {"result": "已处置 / done", "people": 2}),
        ("verify", {}),
        ("close", {}),
    ]
    taken = 0
    for e in page["items"]:
        if e["type_code"] == "DV01":
            continue
        for name, body in steps[: rnd.choice([0, 0, 1, 1, 2, 2, 2, 3, 4, 5])]:
            try:
                call(base, "POST", f"/api/v1/events/{e['id']}/{name}", body, tok)
            except urllib.error.HTTPError:
                break
            taken += 1
    return taken


def main() -> None:
    """``python -m tests.e2e.browser.demo_data URL CITY_DIR``: what docs/screenshots show."""
    import sys

    base, city_dir = sys.argv[1], Path(sys.argv[2])
    readings = sensor_round(city_dir, share=0.96)
    for sid in [s for s in readings if s.startswith("GL")][:3]:
        readings[sid] = 60.0  # three gas alarms
    print(json.dumps({"telemetry": str(telemetry(base, readings))[:200]}))
    print(json.dumps({"reports": reports(base, city_dir, 450, seed=11)}))
    print(json.dumps({"steps": advance(base)}))


if __name__ == "__main__":
    main()
