"""Imports every rule type so that each registers its evaluator in `REGISTRY`."""

from __future__ import annotations

from cityloop.engine.rules import (  # noqa: F401
    anomaly,
    area,
    forecast,
    rate,
    rolling,
    staleness,
    threshold,
)
