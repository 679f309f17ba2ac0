"""Off-policy estimates for the retraining decision, from logged turn events and their ratings,
with the existing evaluator (common/personalization/offline_eval.py: IPS and SNIPS).

What can be replayed without the text: each logged turn keeps every persona's ensemble score,
what the policy saw (profile, local hour, the turn id as its seed), the persona shown, the
propensity it had and the rating (feedback.py). The challenger's persona head cannot be run on
a logged message (no text reaches analytics), so its effect on the ranking is approximated by
kind of message: for the turn's (tone, intent), the mean persona-head distribution of each model
over the held-out corpus messages of that kind (backing off to the intent alone, then to all of
held-out, below `MIN_KIND` messages). The challenger's ensemble score of persona p is the logged
score plus the model's ensemble weight times (challenger mean - champion mean) for p, clipped to
[0, 1]; the configured personalization policy then chooses from those scores as it does in chat.

The champion's estimate replays the same policy on the logged scores. Only turns the champion
itself read (`analysis_source` == its version) and the policy chose (not a user's explicit
choice, not the care persona after a crisis) are used: elsewhere the logged scores are another
model's or no model's. So the two estimates differ only through the persona head, and by an
approximation; they are a guardrail against a persona head that moves the ranking towards
personas users rate worse, not a measurement of the text heads.

Both estimates come from the same turns, so their intervals cannot be compared with each other
(what the turns share, their rewards and their users, moves both alike): the promotion gate uses
`paired_difference`, challenger minus champion per turn, with its own interval.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from common.labels import PERSONA_IDS
from common.personalization.offline_eval import (
    NOT_CHOSEN_BY_POLICY,
    _half_width,
    _weighted_groups,
    importance_weight,
)
from model_serving.feedback import Rated, RatedTurn

MIN_KIND = 5


def kind_means(heldout: Sequence[dict], persona_probs: np.ndarray) -> dict[str, Any]:
    """Mean persona distribution by (tone, intent), by intent, and overall, over held-out."""
    by_kind: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(heldout):
        by_kind[(r["tone"], r["intent"])].append(i)
        by_intent[r["intent"]].append(i)
    return {
        "kind": {
            k: persona_probs[v].mean(axis=0) for k, v in by_kind.items() if len(v) >= MIN_KIND
        },
        "intent": {
            k: persona_probs[v].mean(axis=0) for k, v in by_intent.items() if len(v) >= MIN_KIND
        },
        "all": persona_probs.mean(axis=0),
    }


def _mean_for(means: dict[str, Any], tone: str | None, intent: str | None) -> np.ndarray:
    if (tone, intent) in means["kind"]:
        return means["kind"][(tone, intent)]
    return means["intent"].get(intent, means["all"])


def policy_and_weight() -> tuple[Any, float, str]:
    """The configured policy (as the chat function builds it) and the model's share of the
    ensemble when its head is present, from the same Settings the functions read."""
    from common.config import get_settings
    from common.personalization.policies import make_policy

    s = get_settings()
    name = s.personalization_policy
    if name == "thompson":
        policy = make_policy(
            "thompson",
            prior_strength=s.thompson_prior_strength,
            exploration_cap=s.thompson_exploration_cap,
        )
    else:
        policy = make_policy(name)
    weights = (
        s.ensemble_router_weight,
        s.ensemble_model_weight,
        s.ensemble_context_weight,
        s.ensemble_time_weight,
    )
    return policy, s.ensemble_model_weight / (sum(weights) or 1.0), name


def unreplayable(turn: Rated, champion_version: str) -> str | None:
    """Why such turns cannot be replayed, from what a group of them says too (None: they may
    be). feedback.read_rated_turns(read_by=...) reads only the others, the same test in SQL."""
    if turn.persona_source in NOT_CHOSEN_BY_POLICY:
        return "not_chosen_by_a_policy"
    if not turn.keyed:  # anonymised: the profile the policy saw is not logged
        return "anonymised"
    if turn.analysis_source != champion_version:
        return "read_by_another_model"
    return None


def logged(
    turns: Sequence[RatedTurn], champion_version: str
) -> tuple[list[RatedTurn], dict[str, int]]:
    """The turns both estimates can use, and why the others were left out."""
    kept: list[RatedTurn] = []
    skipped: defaultdict[str, int] = defaultdict(int)
    for t in turns:
        if reason := unreplayable(t, champion_version):
            skipped[reason] += 1
        elif not t.scores or set(t.scores) != set(PERSONA_IDS) or t.persona not in PERSONA_IDS:
            skipped["no_scores"] += 1
        elif t.propensity is None or not 0.0 < t.propensity <= 1.0:
            skipped["no_propensity"] += 1
        elif not 0.0 <= t.reward <= 1.0:
            skipped["incomplete"] += 1
        else:
            kept.append(t)
    return kept, dict(skipped)


def _as_dict(estimate: Any) -> dict[str, Any]:
    out = asdict(estimate)
    return {
        k: (
            [None if math.isnan(x) else round(x, 4) for x in v]
            if isinstance(v, tuple)
            else (None if isinstance(v, float) and math.isnan(v) else v)
        )
        for k, v in out.items()
    }


def weights(policy: Any, logs: Sequence[Any]) -> np.ndarray:
    """offline_eval.estimate's importance weights, π_policy(shown) / propensity, per logged turn."""
    return np.array([importance_weight(policy, log) for log in logs])


def paired_difference(
    w_champion: np.ndarray, w_challenger: np.ndarray, reward: np.ndarray, groups: Sequence[Any]
) -> dict[str, Any]:
    """Challenger minus champion on the same logged turns, with 95 % intervals whose variance
    comes from each turn's contribution to the difference, summed per group (user), as
    offline_eval does for one estimate. IPS: mean((w_chal − w_champ)·r). SNIPS by the delta
    method: a turn contributes w_chal·(r − S_chal)/Σw_chal − w_champ·(r − S_champ)/Σw_champ.
    Where both policies choose alike the contributions cancel, so the interval is as narrow as
    the turns they disagree on allow. The SNIPS interval needs each policy's weight on 2 groups
    or more (offline_eval._weighted_groups), and counts the groups with either's weight."""
    ids: dict[Any, int] = {}
    group = np.array([ids.setdefault(g, len(ids)) for g in groups], dtype=int)
    d = (w_challenger - w_champion) * reward
    ips = float(d.mean())
    out: dict[str, Any] = {"ips": round(ips, 4), "ips_ci": [None, None]}
    out |= {"snips": None, "snips_ci": [None, None]}
    half = _half_width(d - ips, group, len(d), len(ids))
    if math.isfinite(half):
        out["ips_ci"] = [round(ips - half, 4), round(ips + half, 4)]
    total_champion, total_challenger = float(w_champion.sum()), float(w_challenger.sum())
    if total_champion == 0.0 or total_challenger == 0.0:
        return out
    s_champion = float((w_champion * reward).sum()) / total_champion
    s_challenger = float((w_challenger * reward).sum()) / total_challenger
    snips = s_challenger - s_champion
    out["snips"] = round(snips, 4)
    # A policy whose weight is all on one user's turns adds nothing to the sum below (its
    # deviations cancel within that user): an interval would leave its uncertainty out.
    if min(_weighted_groups(w_champion, group), _weighted_groups(w_challenger, group)) >= 2:
        contribution = (
            w_challenger * (reward - s_challenger) / total_challenger
            - w_champion * (reward - s_champion) / total_champion
        )
        either = _weighted_groups(w_champion + w_challenger, group)
        half = _half_width(contribution, group, 1.0, either)
        out["snips_ci"] = [round(snips - half, 4), round(snips + half, 4)]
    return out


def evaluate(
    turns: Sequence[RatedTurn],
    *,
    champion_version: str,
    champion_means: dict[str, Any],
    challenger_means: dict[str, Any],
    rated: Sequence[Rated] | None = None,
) -> dict[str, Any]:
    """IPS / SNIPS of the configured policy on the champion's logged turns, with the logged
    scores (champion) and with the persona head's shift (challenger). `turns`: every rated turn;
    or, with `rated` (every rated turn, by group), only the ones `unreplayable` leaves, read one
    by one: all of them or, beyond feedback.read_rated_turns' `max_rows`, a fixed sample (each
    turn as likely as any other to be in it: the estimates are those of all, on fewer turns)."""
    from common.personalization.offline_eval import LoggedInteraction, estimate

    policy, model_weight, policy_name = policy_and_weight()
    kept, logged_skips = logged(turns, champion_version)
    skipped = defaultdict(int, logged_skips)
    rated_turns, replayable = len(turns), None
    if rated is not None:
        rated_turns, replayable = sum(g.n for g in rated), 0
        for g in rated:
            if reason := unreplayable(g, champion_version):
                skipped[reason] += g.n
            else:
                replayable += g.n
    base, shifted = [], []
    for t in kept:
        assert t.scores is not None and t.propensity is not None
        delta = _mean_for(challenger_means, t.tone, t.intent) - _mean_for(
            champion_means, t.tone, t.intent
        )
        moved = {
            p: float(np.clip(t.scores[p] + model_weight * delta[i], 0.0, 1.0))
            for i, p in enumerate(PERSONA_IDS)
        }
        logged_turn = LoggedInteraction(
            ensemble=dict(t.scores),
            profile=t.profile,
            # None: the user's time zone was unknown, and the policy had no time-of-day term
            local_hour=None if t.local_hour is None else int(t.local_hour),
            seed=t.turn_id,  # what the chat function seeds the policy with
            shown=t.persona,
            propensity=float(t.propensity),
            reward=float(t.reward),
        )
        base.append(logged_turn)
        shifted.append(replace(logged_turn, ensemble=moved))
    result: dict[str, Any] = {
        "policy": policy_name,
        "model_weight": round(model_weight, 4),
        "rated_turns": rated_turns,
        "used": len(kept),
        "skipped": dict(skipped),
        "observed_mean_reward": round(float(np.mean([t.reward for t in kept])), 4)
        if kept
        else None,
    }
    if replayable is not None:  # the turns the replay could use, and how many were read of them
        result |= {"replayable": replayable, "read": len(turns)}
    if kept:
        # A user's turns are not independent (one preference, one learned profile): the intervals
        # sum deviations per user.
        groups = [t.user_key for t in kept]
        result["users"] = len(set(groups))
        result["champion"] = _as_dict(estimate(policy, base, groups=groups))
        result["challenger"] = _as_dict(estimate(policy, shifted, groups=groups))
        result["difference"] = paired_difference(
            weights(policy, base),
            weights(policy, shifted),
            np.array([t.reward for t in kept]),
            groups,
        )
    return result


def observed_by_model(turns: Sequence[Rated]) -> dict[str, dict[str, float]]:
    """Mean rating of the turns each model version (or the baseline) read: on-policy figures."""
    n: dict[str, int] = defaultdict(int)
    total: dict[str, float] = defaultdict(float)
    for t in turns:
        n[t.analysis_source or "unknown"] += t.n
        total[t.analysis_source or "unknown"] += t.reward_sum
    return {k: {"rated_turns": n[k], "mean_reward": round(total[k] / n[k], 4)} for k in sorted(n)}
