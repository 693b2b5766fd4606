"""The intake channels are the first routes a request is matched against: every router passed
over costs a scan of its routes, and the city's reports are the hottest paths."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Match, Route

from tests.e2e.conftest import Api


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _position(api: Api, method: str, path: str) -> int:
    """Among the app's routers, in the order they are tried (the docs' own routes left out)."""
    routes = api.client.app.router.routes  # type: ignore[attr-defined]
    routers = [r for r in routes if not isinstance(r, Route)]
    for i, route in enumerate(routers):
        if route.matches(_scope(method, path))[0] is Match.FULL:
            return i
    raise AssertionError(f"no route for {method} {path}")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/grid/reports"),
        ("POST", "/api/v1/hotline/tickets"),
        ("POST", "/api/v1/feeds/import"),
        ("POST", "/open311/v2/requests.json"),
        ("POST", "/open311/v2/requests.xml"),
    ],
)
def test_an_intake_channel_is_found_in_the_first_two_routers(
    api: Api, method: str, path: str
) -> None:
    assert _position(api, method, path) <= 1


def test_the_other_api_routes_still_answer_behind_them(api: Api) -> None:
    assert api.get("/api/v1/events", "city_op").status_code == 200
    assert api.client.get("/open311/v2/services.json").status_code == 200
    assert api.client.get("/healthz").status_code == 200
