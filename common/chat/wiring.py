"""The chat service's collaborators, assembled from configuration (the composition root)."""

from __future__ import annotations

from functools import cache

from common import clients
from common.analysis.types import Analysis
from common.analysis.with_model import analyze
from common.config import get_settings
from common.routing import ensemble


def read_message(text: str) -> tuple[Analysis, list[str]]:
    return analyze(text, model=clients.persona_model())


@cache
def _weights() -> ensemble.Weights:
    s = get_settings()
    return ensemble.Weights(
        router=s.ensemble_router_weight,
        model=s.ensemble_model_weight,
        context=s.ensemble_context_weight,
        time=s.ensemble_time_weight,
    )


def rank_personas(
    *, analysis: Analysis, convo: ensemble.Conversation, requested: str | None, seed: str
) -> ensemble.Ranking:
    routed = clients.router().rank(analysis, top=4)
    return ensemble.rank(
        analysis=analysis,
        router_scores={r.id: r.score for r in routed},
        router_reasons={r.id: tuple(r.reasons) for r in routed},
        convo=convo,
        weights=_weights(),
        requested=requested,
        epsilon=get_settings().exploration_epsilon,
        seed=seed,
    )


def turn_ports() -> dict:
    """Keyword arguments of service.take_turn that come from the environment."""
    store = clients.session_store()
    return {
        "store": store,
        "outbox": store,
        "publisher": clients.event_publisher(),
        "analyze": read_message,
        "rank": rank_personas,
        "generator": clients.response_generator(),
        "fallback": clients.fallback_generator(),
        "settings": get_settings(),
    }
