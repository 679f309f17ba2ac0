"""The offline sweep's simulator learns what the stack learns: with the default Thompson
settings, simulated users get their hidden favourite far more often late than early."""

from __future__ import annotations

import statistics

from benchmarks.personalization import Interaction, population, user_bootstrap_ci
from benchmarks.personalization_sweep import simulate
from common.personalization.policies import ThompsonSampling
from model_serving import split


def test_simulated_users_are_learned() -> None:
    corpus = split.ordinary_records()
    policy = ThompsonSampling(prior_strength=1.0, exploration_cap=0.05, draws=100)
    rows = simulate(policy, population(8), corpus, seed=0)
    assert len(rows) == 8 * 30 and {r for *_, r in rows} <= {0.0, 1.0}
    early = statistics.mean(r for i, _, r in rows if i <= 5)
    late = {
        kind: statistics.mean(r for i, k, r in rows if i >= 16 and k == kind)
        for kind in ("fixed", "by_tone", "by_intent")
    }
    assert late["fixed"] >= 0.9
    assert min(late.values()) > early + 0.2


def test_the_agreement_interval_resamples_whole_users() -> None:
    def users(rewards: list[list[float]]) -> list[Interaction]:
        return [
            Interaction(16 + i, f"t{u}-{i}", "lua", "lua", r, user=u)
            for u, rs in enumerate(rewards)
            for i, r in enumerate(rs)
        ]

    assert user_bootstrap_ci(users([[1.0] * 15] * 24)) == [1.0, 1.0]
    # half the users always get their favourite, half never: 0.5 on average, but with only 24
    # independent users the interval is far wider than 360 independent turns would give
    lo, hi = user_bootstrap_ci(users([[1.0] * 15] * 12 + [[0.0] * 15] * 12))
    assert lo <= 0.5 <= hi and hi - lo > 0.3
    assert user_bootstrap_ci([]) is None
