"""The chat service's collaborators, assembled from configuration (the composition root)."""

from __future__ import annotations

from functools import cache

from common import clients
from common.analysis.types import Analysis
from common.analysis.with_model import MODEL_DOWN, analyze
from common.config import get_settings
from common.personalization.policies import Policy, make_policy
from common.personalization.preferences import Profile, liking
from common.routing import ensemble


def read_message(text: str) -> tuple[Analysis, list[str]]:
    return analyze(text, model=clients.persona_model())


def read_without_model(text: str) -> tuple[Analysis, list[str]]:
    """A message past the analysis caps, read by the baseline: degraded only where a model
    would have read it."""
    analysis, _ = analyze(text, model=None)
    return analysis, [MODEL_DOWN] if clients.persona_model() else []


@cache
def _weights() -> ensemble.Weights:
    s = get_settings()
    return ensemble.Weights(
        router=s.ensemble_router_weight,
        model=s.ensemble_model_weight,
        context=s.ensemble_context_weight,
        time=s.ensemble_time_weight,
    )


@cache
def policy(name: str | None = None) -> Policy:
    """The named policy (an A/B variant's), by default the configured one."""
    s = get_settings()
    name = name or s.personalization_policy
    if name == "thompson":
        return make_policy(
            "thompson",
            prior_strength=s.thompson_prior_strength,
            exploration_cap=s.thompson_exploration_cap,
        )
    return make_policy(name)


def rank_personas(
    *,
    analysis: Analysis,
    convo: ensemble.Conversation,
    requested: str | None,
    seed: str,
    profile: Profile | None = None,
    policy_name: str | None = None,
) -> ensemble.Ranking:
    """The ensemble's ranking, then the personalization policy's choice (new users and users
    who turned personalization off get the ensemble alone: the policy's own rule).
    `policy_name` is the user's A/B variant's policy, None for the configured one."""
    routed = clients.router().rank(analysis, top=4)
    ranking = ensemble.rank(
        analysis=analysis,
        router_scores={r.id: r.score for r in routed},
        router_reasons={r.id: tuple(r.reasons) for r in routed},
        convo=convo,
        weights=_weights(),
        requested=requested,
        epsilon=get_settings().exploration_epsilon,
        seed=seed,
    )
    if requested or convo.care:
        return ranking  # the user's choice, or care after a crisis, is not for a policy
    decision = policy(policy_name).choose(
        ensemble=ranking.scores, profile=profile, local_hour=convo.local_hour, seed=seed
    )
    brisk = convo.gentle and decision.chosen in ensemble.BRISK
    if decision.policy == "static" or brisk or decision.chosen == convo.refused:
        # the ensemble's pick: not a brisk persona after a loss, nor one the user said no to
        return ranking
    return ensemble.personalize(
        ranking,
        chosen_id=decision.chosen,
        propensity=decision.propensities[decision.chosen],
        policy=decision.policy,
        liking=liking(profile, decision.chosen),
        refused=convo.refused,
    )


def turn_ports() -> dict:
    """Keyword arguments of service.take_turn that come from the environment."""
    store = clients.session_store()
    return {
        "store": store,
        "outbox": store,
        "publisher": clients.event_publisher(),
        "analyze": read_message,
        "baseline": read_without_model,
        "rank": rank_personas,
        "generator": clients.response_generator(),
        "fallback": clients.fallback_generator(),
        "settings": get_settings(),
    }
