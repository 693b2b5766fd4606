"""docs/api.md documents every route the API serves."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Api

DOC = Path(__file__).parents[2] / "docs" / "api.md"


def test_every_api_path_is_documented(api: Api) -> None:
    text = DOC.read_text()
    spec = api.client.get("/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        for method in ops
        if f"{method.upper()} {path}" not in text
    ]
    assert missing == []
