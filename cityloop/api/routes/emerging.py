"""Emerging complaints: clusters of the report texts that fit no event type well."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query

from cityloop.adapters.sql.views_emerging import load_uncertain_reports
from cityloop.api.deps import ContainerDep, PrincipalDep
from cityloop.api.routes.evaluation import FromQ, ToQ, _scope, _window
from cityloop.dispatch.classify.corpus import corpus_path, read_corpus
from cityloop.evaluation.emerging import METHOD, emerging

router = APIRouter(tags=["evaluation"])


@lru_cache(maxsize=4)
def background(city_root: Path) -> tuple[str, ...]:
    """The city's labelled corpus, whose texts set the IDF background (empty when absent)."""
    path = corpus_path(city_root)
    return tuple(row.text for row in read_corpus(path)) if path.exists() else ()


@router.get("/api/v1/demand/emerging")
def get_emerging(
    container: ContainerDep,
    principal: PrincipalDep,
    territory: str | None = None,
    start: FromQ = None,
    end: ToQ = None,
    min_size: Annotated[int, Query(ge=2, le=1000)] = 3,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
) -> dict[str, Any]:
    """Themes among the reports the classifier could not place (confidence below its triage
    threshold, or no suggestion), in ``[from, to)`` and the period of the same length before:
    size, top terms, example texts (contacts blanked), places and growth."""
    start, end = _window(container, start, end)
    scope = _scope(container, principal, territory)
    data = load_uncertain_reports(container.engine, start - (end - start), end, scope)
    summary, clusters = emerging(
        data.text,
        data.received,
        data.street,
        data.lon,
        data.lat,
        data.suggested,
        start.timestamp(),
        end.timestamp(),
        min_size=min_size,
        alpha=alpha,
        names=data.names,
        background=background(container.city.root),
    )
    jurisdictions = container.city.jurisdictions
    items = []
    for c in clusters:
        item = c.as_dict()
        for place in item["places"]:
            j = jurisdictions.get(place["code"])
            place["name_zh"], place["name_en"] = (j.name_zh, j.name_en) if j else (None, None)
        items.append(item)
    return {
        "territory": scope.code or container.city.city_jurisdiction.code,
        "from": start,
        "to": end,
        "method": METHOD,
        **summary,
        "items": items,
    }
