"""`open311.yaml`: how the city presents itself to Open311 GeoReport v2 clients (optional)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cityloop.city.issues import ConfigIssue, issues_from_validation
from cityloop.city.read import ParsedFolder

FILE = "open311.yaml"


class DemoKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Who the key is for")
    key: str = Field(min_length=16, description="The key in plain text (demo cities only)")


class Open311File(BaseModel):
    """Discovery details and the demo API keys of a city's Open311 endpoint."""

    model_config = ConfigDict(extra="forbid")

    contact: str = Field(description="Who to contact about the endpoint")
    key_service: str = Field(description="How to obtain an API key")
    changeset: str = Field(description="When the service list last changed (ISO 8601)")
    demo_keys: list[DemoKey] = Field(default_factory=list)


def load_open311(root: Path) -> Open311File | None:
    path = Path(root) / FILE
    if not path.exists():
        return None
    return Open311File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def check_open311(root: Path, parsed: ParsedFolder) -> list[ConfigIssue]:
    try:
        load_open311(root)
    except ValidationError as exc:
        return issues_from_validation(FILE, exc)
    except yaml.YAMLError as exc:
        return [ConfigIssue(FILE, "(root)", f"not valid YAML: {exc}")]
    return []


DEMO_KEY = "yuzhou-open311-demo-key-2026"


def write_open311(out: Path, seed: int) -> None:
    """The demo city's Open311 description, with one demo key (printed by `make demo`)."""
    doc = {
        "contact": "渝州市城市运行和治理中心 12345 / ops@yuzhou.example",
        "key_service": "Ask the city's data administrator (data_admin) for a key.",
        "changeset": "2026-11-23T00:00:00+08:00",
        "demo_keys": [{"name": "Demo Open311 client", "key": DEMO_KEY}],
    }
    text = "# Open311 GeoReport v2 endpoint of the demo city. DEMO KEY ONLY.\n"
    text += yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    (out / FILE).write_text(text, encoding="utf-8")
