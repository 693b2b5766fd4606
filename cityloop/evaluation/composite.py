"""The composite score: weights are configuration, the formula is returned beside the score.

Satisfaction weighs most; the count of closed tickets is deliberately *not* a component (the
seeds warn against "digital formalism"): only rates, each in [0, 1], so volume cannot buy score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from cityloop.evaluation.scorecard import Scorecard


class ScoreWeights(BaseModel):
    """Weights of the components (renormalised over those that have data) and penalties."""

    satisfaction: float = Field(0.35, ge=0, description="(mean rating − 1) / 4")
    low_rating_free: float = Field(0.10, ge=0, description="1 − share of ratings ≤ 2")
    rating_response: float = Field(0.05, ge=0, description="rated events / closed events")
    disposed_on_time: float = Field(0.15, ge=0)
    accepted_on_time: float = Field(0.10, ge=0)
    verification: float = Field(0.10, ge=0, description="verified / resolved")
    not_reopened: float = Field(0.10, ge=0, description="1 − reopen rate")
    not_overdue: float = Field(0.05, ge=0, description="1 − overdue events / received")
    penalty_low_rating_reopen: float = Field(0.5, ge=0, description="× 100 × count / received")
    penalty_bounced: float = Field(0.25, ge=0)
    penalty_suspension: float = Field(0.1, ge=0)
    shrinkage_events: float = Field(
        10.0,
        ge=0,
        description="k: the ranking score is (n·score + k·prior) / (n + k), n = events received",
    )


FORMULA = (
    "score = 100 × Σ wᵢ·xᵢ / Σ wᵢ (over components with data) "
    "− 100 × (p_reopen·reopened_by_low_rating + p_bounce·bounced_returns "
    "+ p_suspend·suspensions) / received, clipped to [0, 100]"
)


def components(card: Scorecard) -> dict[str, float | None]:
    """Each component xᵢ in [0, 1], or None when the group has no data for it."""
    overdue_free = None if card.received == 0 else 1 - card.overdue / card.received
    return {
        "satisfaction": None if card.rating_mean is None else (card.rating_mean - 1) / 4,
        "low_rating_free": None if card.low_rating_share is None else 1 - card.low_rating_share,
        "rating_response": card.rating_response_rate,
        "disposed_on_time": card.dispose_on_time_rate,
        "accepted_on_time": card.accept_on_time_rate,
        "verification": card.verification_rate,
        "not_reopened": None if card.reopen_rate is None else 1 - card.reopen_rate,
        "not_overdue": overdue_free,
    }


def composite(card: Scorecard, w: ScoreWeights) -> tuple[float | None, dict[str, float]]:
    """The score and its parts (each xᵢ and the penalty) so that it can be checked by hand."""
    weights = w.model_dump()
    parts = {k: v for k, v in components(card).items() if v is not None}
    total = sum(weights[k] for k in parts)
    if total == 0 or card.received == 0:
        return None, {k: round(v, 4) for k, v in parts.items()}
    base = 100 * sum(weights[k] * v for k, v in parts.items()) / total
    g = card.anti_gaming
    penalty = (
        100
        * (
            w.penalty_low_rating_reopen * g.reopened_by_low_rating
            + w.penalty_bounced * g.bounced_returns
            + w.penalty_suspension * g.suspensions
        )
        / card.received
    )
    out = {k: round(v, 4) for k, v in parts.items()}
    out["base"] = round(base, 2)
    out["penalty"] = round(penalty, 2)
    return round(min(100.0, max(0.0, base - penalty)), 2), out


RANKING_FORMULA = (
    "ranking_score = (n·score + k·prior) / (n + k), n = events received, k = shrinkage_events, "
    "prior = the mean score of the ranked groups weighted by their events"
)


def shrink(cards: list[Scorecard], k: float) -> float | None:
    """Set each card's ``ranking_score``: its score pulled towards the prior (the events-weighted
    mean score of all the scored groups) as if it had ``k`` more events scoring the prior, so a
    unit with few events cannot top the ranking on little evidence. Returns the prior."""
    scored = [c for c in cards if c.score is not None and c.received > 0]
    if not scored:
        return None
    n = sum(c.received for c in scored)
    prior = sum(c.received * (c.score or 0.0) for c in scored) / n
    for c in scored:
        c.ranking_score = round((c.received * (c.score or 0.0) + k * prior) / (c.received + k), 2)
    return round(prior, 2)


def rank(cards: list[Scorecard], k: float = 0.0) -> list[Scorecard]:
    """Best ranking score first (the shrunk score, see ``shrink``), rank 1 is the best; ties
    share a rank; groups without a score last."""
    shrink(cards, k)
    scored = sorted(
        (c for c in cards if c.ranking_score is not None),
        key=lambda c: (-(c.ranking_score or 0), c.key),
    )
    previous: float | None = None
    for i, card in enumerate(scored, start=1):
        card.rank = i if card.ranking_score != previous else scored[i - 2].rank
        previous = card.ranking_score
    rest = sorted((c for c in cards if c.ranking_score is None), key=lambda c: c.key)
    return scored + rest


def describe(weights: ScoreWeights) -> dict[str, Any]:
    return {"formula": FORMULA, "ranking": RANKING_FORMULA, "weights": weights.model_dump()}
