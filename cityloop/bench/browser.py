"""How long the operations centre takes to open in a real browser (Chromium via Playwright).

From the navigation to the moment the page is whole: the territory drawn, the events layer
drawn (clusters), the vital-sign tiles and the live stream filled. Debian's Chromium is driven
by Playwright's bundled driver (Playwright never downloads a browser here).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Headless Chromium as the browser tests and the bench start it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The operations centre is open: every panel the first screen shows has its content.
OPS_READY = (
    "() => { const o = window.CL && window.CL.ops; return !!o"
    " && o.layers.base.features.length > 0 && o.layers.events.drawn.length > 0"
    " && document.querySelectorAll('#vitals .tile').length > 0"
    " && document.querySelectorAll('#stream li').length > 0; }"
)


def chromium_path() -> str:
    return os.environ.get("CITYLOOP_CHROMIUM", "/usr/bin/chromium")


def ops_open_ms(base: str, username: str, password: str, loads: int = 5) -> dict[str, Any]:
    """Open `/ui/ops` `loads` times as `username` (logged in once); milliseconds to whole."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "Playwright is not installed (pip install playwright)"}
    path = chromium_path()
    if not Path(path).is_file():
        return {"skipped": f"no Chromium at {path} (apt-get install chromium)"}
    took: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
            page.goto(f"{base}/ui/login")
            page.fill("#username", username)
            page.fill("#password", password)
            page.click("#login-submit")
            page.wait_for_url("**/ui/ops")
            page.wait_for_function(OPS_READY, timeout=60_000)  # warm: caches, first compiles
            for _ in range(loads):
                start = time.perf_counter()
                page.goto(f"{base}/ui/ops")
                page.wait_for_function(OPS_READY, timeout=60_000, polling=20)
                took.append(time.perf_counter() - start)
        finally:
            browser.close()
    ms = np.array(took) * 1000
    return {
        "user": username,
        "loads": loads,
        "p50": round(float(np.median(ms)), 1),
        "max": round(float(ms.max()), 1),
    }
