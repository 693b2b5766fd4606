"""A real server (uvicorn in a thread, SQLite file, the demo city) and a real Chromium.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright's bundled driver; when it is
missing the browser tests skip with a notice (fail under CITYLOOP_REQUIRE_ALL=1, as in CI).
A failing test leaves a screenshot of every page it had open in ``var/browser-failures/``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cityloop.api.app import create_app
from cityloop.bench.browser import CHROMIUM_ARGS, chromium_path
from cityloop.bootstrap import Container, bootstrap
from cityloop.city import City
from cityloop.settings import Settings
from tests.services import missing

CHROMIUM = chromium_path()
ARGS = CHROMIUM_ARGS
FAILURES = Path(os.environ.get("CITYLOOP_BROWSER_FAILURES", "var/browser-failures"))
PASSWORD = "cityloop-demo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """The whole app served over HTTP on 127.0.0.1 (a free port), background worker on."""

    def __init__(self, container: Container) -> None:
        import uvicorn

        self.container = container
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(container),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start within 30 s"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.container.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("Playwright", "pip install playwright (the browser is Debian's chromium)")
    if not Path(CHROMIUM).is_file():
        missing("Chromium", "apt-get install chromium (or set CITYLOOP_CHROMIUM)")
    return CHROMIUM


@pytest.fixture(scope="module")
def server(
    chromium_path: str,
    demo_city: City,
    tmp_path_factory: pytest.TempPathFactory,
    model_dir: Path,
) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'ui.db'}",
        city=demo_city.root,
        secret_key="browser-test-secret-key-0123456789abcdef",
        model_dir=model_dir,
        upload_dir=tmp / "uploads",
        public_url="http://127.0.0.1",
        supervision_interval_s=2.0,
    )
    container = bootstrap(settings, city=demo_city)
    container.warm_up()
    with LiveServer(container) as live:
        yield live


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


class Pages:
    """Browser contexts opened by one test (one per user), screenshotted if it fails."""

    def __init__(self, browser: Any, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self.opened: list[tuple[str, Any]] = []

    def new(self, name: str, *, mobile: bool = False) -> Any:
        viewport = {"width": 412, "height": 860} if mobile else {"width": 1600, "height": 900}
        ctx = self.browser.new_context(viewport=viewport, locale="en-GB")
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        self.opened.append((name, page))
        return page

    def login(self, username: str, lang: str = "en") -> Any:
        page = self.new(username)
        page.context.add_cookies([{"name": "cityloop_lang", "value": lang, "url": self.server.url}])
        page.goto(f"{self.server.url}/ui/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url("**/ui/ops")
        return page

    def close(self, failed: bool, test_name: str) -> None:
        if failed:
            FAILURES.mkdir(parents=True, exist_ok=True)
            for name, page in self.opened:
                path = FAILURES / f"{test_name}-{name}.png"
                try:
                    page.screenshot(path=str(path), full_page=True)
                    print(f"screenshot of the failing page: {path}")
                except Exception as exc:  # a crashed page still lets the others be saved
                    print(f"no screenshot of {name}: {exc}")
        for _, page in self.opened:
            page.context.close()


@pytest.fixture
def pages(request: pytest.FixtureRequest, browser: Any, server: LiveServer) -> Iterator[Pages]:
    p = Pages(browser, server)
    yield p
    p.close(request.node.stash.get(_FAILED, False), request.node.name)
