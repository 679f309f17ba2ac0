"""Off-policy evaluation: how well would a policy have done on turns another policy chose?

Each logged turn keeps what the logging policy saw, what it showed, how likely it was to show
it (its propensity) and the reward observed. Reweighting each reward by
w = π_target(shown | context) / π_logging(shown | context) gives unbiased (IPS) or slightly
biased but steadier (self-normalised IPS) estimates of the target policy's mean reward.
Where no policy chose (the user asked for a persona, or the care persona answered after a crisis
signal) every policy would have shown the same persona: the target's probability of it is 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np

from common.personalization.policies import Policy, PolicyDecision
from common.personalization.preferences import Profile

Z_95: Final = 1.959964  # two-sided 95 % quantile of the standard normal
# Turn events' persona_source values where no policy chose what was shown.
NOT_CHOSEN_BY_POLICY: Final = frozenset({"requested", "care"})


@dataclass(frozen=True)
class LoggedInteraction:
    """One logged turn: the logging policy's input, what it showed, and what came of it."""

    ensemble: dict[str, float]
    profile: dict[str, Any] | None  # Profile.to_dict() at the time, or None
    local_hour: int | None  # None: the user's time zone was unknown (no time-of-day term)
    seed: str
    shown: str
    propensity: float  # P(logging policy shows `shown` | this input)
    reward: float  # in [0, 1]
    persona_source: str | None = None  # the turn event's; None: a policy chose

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoggedInteraction:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class Estimate:
    """The target policy's estimated mean reward. CIs are 95 %; nan where undefined (< 2
    groups of usable records; for SNIPS, < 2 groups with weight on the target's choices)."""

    ips: float
    ips_ci: tuple[float, float]
    snips: float
    snips_ci: tuple[float, float]
    n: int  # records used
    ess: float  # effective sample size (Σw)² / Σw²: how many on-policy records they are worth
    skipped: int = 0  # records with propensity 0 (a logging defect), left out
    # 1 − Σw/n estimates the target's share of choices the logger never shows (E[w] = the
    # target's probability on what the logger can show): IPS counts them as reward 0, SNIPS
    # leaves them out, so neither is an estimate of the target unless this is near 0. Noisy:
    # slightly negative is possible.
    unsupported_share: float = math.nan
    # The same share computed exactly, where the logger's support is known (estimate()'s
    # `logger_support`): no sampling noise to put a fully supported pair past a threshold.
    unsupported_exact: float = math.nan


NAN_CI: Final = (math.nan, math.nan)


def estimate(
    policy: Policy,
    logs: Iterable[LoggedInteraction | Mapping[str, Any]],
    groups: Sequence[Hashable] | None = None,
    logger_support: Callable[[LoggedInteraction], Collection[str]] | None = None,
) -> Estimate:
    """IPS and SNIPS estimates of `policy`'s expected reward on `logs`.

    IPS = mean(w·r); SNIPS = Σ w·r / Σ w. CIs: Student's t with G − 1 degrees of freedom for G
    groups (with two dozen users the normal quantile is too narrow), the variance from the
    records' deviations (w·r − IPS, and w·(r − SNIPS) by the delta method) summed per group
    (for SNIPS, G counts only the groups with weight on the target's choices; no interval
    below 2 of them): `groups` gives each log's group (e.g. its user, whose turns are not
    independent of each other); without it every record is its own group, i.e.
    Var(IPS) = sample variance / n.
    w uses the target's propensity of the shown persona, not just whether it would have chosen
    it, which gives lower variance for stochastic targets at no cost in bias. On records whose
    `persona_source` is in NOT_CHOSEN_BY_POLICY the target is not asked: its probability is 1.
    With `logger_support` (the personas the logging policy could have shown on a record's
    input), `unsupported_exact` is the target's mean probability outside that support.
    """
    weights: list[float] = []
    rewards: list[float] = []
    group: list[int] = []  # dense ids 0, 1, ... of the records' groups
    ids: dict[Hashable, int] = {}
    skipped = 0
    outside = 0.0  # the target's probability outside the logger's support, summed
    for i, raw in enumerate(logs):
        log = raw if isinstance(raw, LoggedInteraction) else LoggedInteraction.from_dict(raw)
        if not 0.0 <= log.reward <= 1.0:
            raise ValueError(f"reward must be in [0, 1], got {log.reward}")
        if not 0.0 <= log.propensity <= 1.0:
            raise ValueError(f"propensity must be in [0, 1], got {log.propensity}")
        if log.propensity == 0.0:
            skipped += 1
            continue
        target = target_propensities(policy, log)
        weights.append(target.get(log.shown, 0.0) / log.propensity)
        rewards.append(log.reward)
        group.append(ids.setdefault(i if groups is None else groups[i], len(ids)))
        if logger_support is not None and log.persona_source not in NOT_CHOSEN_BY_POLICY:
            support = logger_support(log)  # (the turns no policy chose are every policy's own)
            outside += sum(q for persona, q in target.items() if persona not in support)
    est = _estimate(np.array(weights), np.array(rewards), np.array(group, dtype=int), skipped)
    if logger_support is None or not weights:
        return est
    return replace(est, unsupported_exact=outside / len(weights))


def target_propensities(policy: Policy, log: LoggedInteraction) -> dict[str, float]:
    """The target's probability of each persona on this record's input; on a record where no
    policy chose (the user's request or the care persona), the shown one for certain."""
    if log.persona_source in NOT_CHOSEN_BY_POLICY:
        return {log.shown: 1.0}
    return decide(policy, log).propensities


def importance_weight(policy: Policy, log: LoggedInteraction) -> float:
    """π_target(shown | input) / π_logging(shown | input) for one record (propensity > 0)."""
    return target_propensities(policy, log).get(log.shown, 0.0) / log.propensity


def decide(policy: Policy, log: LoggedInteraction) -> PolicyDecision:
    """What `policy` would have done on this record's logged input."""
    return policy.choose(
        ensemble=log.ensemble,
        profile=Profile.from_dict(log.profile) if log.profile is not None else None,
        local_hour=log.local_hour,
        seed=log.seed,
    )


def t_975(df: int) -> float:
    """The two-sided 95 % quantile of Student's t with `df` degrees of freedom: exact for 1
    and 2, else the Cornish-Fisher expansion around the normal quantile (Abramowitz & Stegun
    26.7.5; off by less than 0.001 from df 3, less than 0.00005 from df 10)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df == 1:
        return math.tan(math.pi * 0.475)
    if df == 2:
        return 0.95 / math.sqrt(2 * 0.975 * 0.025)
    z = Z_95
    terms = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
        (27 * z**11 + 339 * z**9 + 930 * z**7 - 1782 * z**5 - 765 * z**3 + 17955 * z) / 368640,
    )
    return z + sum(g / df**k for k, g in enumerate(terms, 1))


def _half_width(deviations: np.ndarray, group: np.ndarray, scale: float, groups: int) -> float:
    """t(G−1) · √(G/(G−1) · Σ_groups (Σ deviations)²) / scale for G = `groups`: with one record
    per group, the sample-variance interval of a mean (scale n) or the delta-method one of a
    ratio. nan below 2 groups: nothing to estimate a variance from."""
    if groups < 2:
        return math.nan
    sums = np.bincount(group, weights=deviations)
    return t_975(groups - 1) * math.sqrt(float((sums**2).sum()) * groups / (groups - 1)) / scale


def _weighted_groups(w: np.ndarray, group: np.ndarray) -> int:
    """How many groups carry weight. A ratio's deviations w·(r − SNIPS) are 0 in the others, so
    they add nothing to its variance: counted, they made a ratio whose weight is all on one
    user's turns look certain (an interval of width 0)."""
    return len(np.unique(group[w > 0]))


def _estimate(w: np.ndarray, r: np.ndarray, group: np.ndarray, skipped: int) -> Estimate:
    n = len(w)
    if n == 0:
        return Estimate(math.nan, NAN_CI, math.nan, NAN_CI, 0, 0.0, skipped)
    wr = w * r
    ips = float(wr.mean())
    half = _half_width(wr - ips, group, n, len(np.unique(group)))
    ips_ci = (ips - half, ips + half) if math.isfinite(half) else NAN_CI
    total = float(w.sum())
    unsupported = 1.0 - total / n
    if total == 0.0:
        return Estimate(ips, ips_ci, math.nan, NAN_CI, n, 0.0, skipped, unsupported)
    snips = float(wr.sum()) / total
    half = _half_width(w * (r - snips), group, total, _weighted_groups(w, group))
    snips_ci = (snips - half, snips + half) if math.isfinite(half) else NAN_CI
    ess = total**2 / float((w**2).sum())
    return Estimate(ips, ips_ci, snips, snips_ci, n, ess, skipped, unsupported)
