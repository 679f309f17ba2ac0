"""Off-policy evaluation: how well would a policy have done on turns another policy chose?

Each logged turn keeps what the logging policy saw, what it showed, how likely it was to show
it (its propensity) and the reward observed. Reweighting each reward by
w = π_target(shown | context) / π_logging(shown | context) gives unbiased (IPS) or slightly
biased but steadier (self-normalised IPS) estimates of the target policy's mean reward.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from common.personalization.policies import Policy
from common.personalization.preferences import Profile

Z_95: Final = 1.959964  # two-sided 95 % quantile of the standard normal


@dataclass(frozen=True)
class LoggedInteraction:
    """One logged turn: the logging policy's input, what it showed, and what came of it."""

    ensemble: dict[str, float]
    profile: dict[str, Any] | None  # Profile.to_dict() at the time, or None
    local_hour: int
    seed: str
    shown: str
    propensity: float  # P(logging policy shows `shown` | this input)
    reward: float  # in [0, 1]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoggedInteraction:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Estimate:
    """The target policy's estimated mean reward. CIs are 95 %; nan where undefined (< 2
    usable records, or no weight on the target's choices for SNIPS)."""

    ips: float
    ips_ci: tuple[float, float]
    snips: float
    snips_ci: tuple[float, float]
    n: int  # records used
    ess: float  # effective sample size (Σw)² / Σw²: how many on-policy records they are worth
    skipped: int = 0  # records with propensity 0 (a logging defect), left out


NAN_CI: Final = (math.nan, math.nan)


def estimate(policy: Policy, logs: Iterable[LoggedInteraction | Mapping[str, Any]]) -> Estimate:
    """IPS and SNIPS estimates of `policy`'s expected reward on `logs`.

    IPS = mean(w·r), CI = IPS ± z·sd(w·r)/√n (normal approximation, sample variance).
    SNIPS = Σ w·r / Σ w, CI by the delta method: Var ≈ Σ w²(r − SNIPS)² / (Σ w)².
    w uses the target's propensity of the shown persona, not just whether it would have chosen
    it, which gives lower variance for stochastic targets at no cost in bias.
    """
    weights: list[float] = []
    rewards: list[float] = []
    skipped = 0
    for raw in logs:
        log = raw if isinstance(raw, LoggedInteraction) else LoggedInteraction.from_dict(raw)
        if not 0.0 <= log.reward <= 1.0:
            raise ValueError(f"reward must be in [0, 1], got {log.reward}")
        if not 0.0 <= log.propensity <= 1.0:
            raise ValueError(f"propensity must be in [0, 1], got {log.propensity}")
        if log.propensity == 0.0:
            skipped += 1
            continue
        decision = policy.choose(
            ensemble=log.ensemble,
            profile=Profile.from_dict(log.profile) if log.profile is not None else None,
            local_hour=log.local_hour,
            seed=log.seed,
        )
        weights.append(decision.propensities.get(log.shown, 0.0) / log.propensity)
        rewards.append(log.reward)
    return _estimate(np.array(weights), np.array(rewards), skipped)


def _estimate(w: np.ndarray, r: np.ndarray, skipped: int) -> Estimate:
    n = len(w)
    if n == 0:
        return Estimate(math.nan, NAN_CI, math.nan, NAN_CI, 0, 0.0, skipped)
    wr = w * r
    ips = float(wr.mean())
    ips_ci = NAN_CI
    if n >= 2:
        half = Z_95 * float(wr.std(ddof=1)) / math.sqrt(n)
        ips_ci = (ips - half, ips + half)
    total = float(w.sum())
    if total == 0.0:
        return Estimate(ips, ips_ci, math.nan, NAN_CI, n, 0.0, skipped)
    snips = float(wr.sum()) / total
    snips_ci = NAN_CI
    if n >= 2:
        # n/(n-1) matches the IPS interval's sample-variance correction.
        var = float((w**2 * (r - snips) ** 2).sum()) / total**2 * n / (n - 1)
        half = Z_95 * math.sqrt(var)
        snips_ci = (snips - half, snips + half)
    ess = total**2 / float((w**2).sum())
    return Estimate(ips, ips_ci, snips, snips_ci, n, ess, skipped)
