"""Extension points for the optional files that other parts of CityLoop add to a city folder.

Each feature that ships its own city files (sensors, rules, plans, address table, classifier
corpus…) owns its schema, check and generator in its own package, and registers them here with
one line each, so that `cityloop city check` and `cityloop city generate` cover them and
docs/configuration.md is tested against their schemas.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from cityloop.city.issues import ConfigIssue
from cityloop.city.read import ParsedFolder

#: Validates a feature's files in a city folder; returns every issue (empty when valid).
ExtraCheck = Callable[[Path, ParsedFolder], list[ConfigIssue]]
#: Writes a feature's files into a freshly generated demo city (core files already written);
#: must be deterministic for a given seed.
ExtraWriter = Callable[[Path, int], None]


def extra_checks() -> list[ExtraCheck]:
    """The checks of every feature's city files, in order."""
    checks: list[ExtraCheck] = []
    from cityloop.city.open311 import check_open311

    checks.append(check_open311)
    from cityloop.dispatch.address.check import check_addresses

    checks.append(check_addresses)
    from cityloop.engine.check import check_sensors

    checks.append(check_sensors)
    from cityloop.engine.check_discharges import check_discharges

    checks.append(check_discharges)
    from cityloop.dispatch.classify.check import check_corpus

    checks.append(check_corpus)
    from cityloop.plans.check import check_plans

    checks.append(check_plans)
    return checks


def extra_writers() -> list[tuple[str, ExtraWriter]]:
    """(stage name, writer) for every feature's demo-city files, in order."""
    writers: list[tuple[str, ExtraWriter]] = []
    from cityloop.city.open311 import write_open311

    writers.append(("open311", write_open311))
    from cityloop.city.generate.gazetteer import write_gazetteer

    writers.append(("addresses", write_gazetteer))
    from cityloop.engine.generate import write_sensors

    writers.append(("sensors", write_sensors))
    from cityloop.engine.generate_discharges import write_discharges

    writers.append(("discharges", write_discharges))
    from cityloop.engine.library import write_rules

    writers.append(("rules", write_rules))
    from cityloop.city.generate.corpus import write_corpus

    writers.append(("corpus", write_corpus))
    from cityloop.plans.demo import write_plans

    writers.append(("plans", write_plans))
    return writers


def extra_schema_models() -> list[type[BaseModel]]:
    """Root pydantic models of every feature's city files (documented in configuration.md)."""
    models: list[type[BaseModel]] = []
    from cityloop.city.open311 import Open311File

    models.append(Open311File)
    from cityloop.dispatch.address.schema import AddressRow, RoadsFile

    models += [AddressRow, RoadsFile]
    from cityloop.engine.schema_models import ENGINE_SCHEMA_MODELS

    models += ENGINE_SCHEMA_MODELS
    from cityloop.engine.discharges import DischargeRow

    models.append(DischargeRow)
    from cityloop.dispatch.classify.corpus import CorpusRow

    models.append(CorpusRow)
    from cityloop.plans.resources import ResourceRow
    from cityloop.plans.schema import PlanFile

    models += [PlanFile, ResourceRow]
    return models
