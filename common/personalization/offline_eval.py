"""Off-policy evaluation: how well would a policy have done on turns another policy chose?

Each logged turn keeps what the logging policy saw, what it showed, how likely it was to show
it (its propensity) and the reward observed. Reweighting each reward by
w = π_target(shown | context) / π_logging(shown | context) gives unbiased (IPS) or slightly
biased but steadier (self-normalised IPS) estimates of the target policy's mean reward.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
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


def estimate(
    policy: Policy,
    logs: Iterable[LoggedInteraction | Mapping[str, Any]],
    groups: Sequence[Hashable] | None = None,
) -> Estimate:
    """IPS and SNIPS estimates of `policy`'s expected reward on `logs`.

    IPS = mean(w·r); SNIPS = Σ w·r / Σ w. CIs: normal approximation, the variance from the
    records' deviations (w·r − IPS, and w·(r − SNIPS) by the delta method) summed per group:
    `groups` gives each log's group (e.g. its user, whose turns are not independent of each
    other); without it every record is its own group, i.e. Var(IPS) = sample variance / n.
    w uses the target's propensity of the shown persona, not just whether it would have chosen
    it, which gives lower variance for stochastic targets at no cost in bias.
    """
    weights: list[float] = []
    rewards: list[float] = []
    group: list[int] = []  # dense ids 0, 1, ... of the records' groups
    ids: dict[Hashable, int] = {}
    skipped = 0
    for i, raw in enumerate(logs):
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
        group.append(ids.setdefault(i if groups is None else groups[i], len(ids)))
    return _estimate(np.array(weights), np.array(rewards), np.array(group, dtype=int), skipped)


def _half_width(deviations: np.ndarray, group: np.ndarray, scale: float) -> float:
    """z · √(G/(G−1) · Σ_groups (Σ deviations)²) / scale: with one record per group, the
    sample-variance interval of a mean (scale n) or the delta-method one of a ratio."""
    sums = np.bincount(group, weights=deviations)
    g = len(sums)
    return Z_95 * math.sqrt(float((sums**2).sum()) * g / (g - 1)) / scale


def _estimate(w: np.ndarray, r: np.ndarray, group: np.ndarray, skipped: int) -> Estimate:
    n = len(w)
    if n == 0:
        return Estimate(math.nan, NAN_CI, math.nan, NAN_CI, 0, 0.0, skipped)
    several = int(group.max()) >= 1  # at least two groups
    wr = w * r
    ips = float(wr.mean())
    ips_ci = NAN_CI
    if several:
        half = _half_width(wr - ips, group, n)
        ips_ci = (ips - half, ips + half)
    total = float(w.sum())
    if total == 0.0:
        return Estimate(ips, ips_ci, math.nan, NAN_CI, n, 0.0, skipped)
    snips = float(wr.sum()) / total
    snips_ci = NAN_CI
    if several:
        half = _half_width(w * (r - snips), group, total)
        snips_ci = (snips - half, snips + half)
    ess = total**2 / float((w**2).sum())
    return Estimate(ips, ips_ci, snips, snips_ci, n, ess, skipped)
