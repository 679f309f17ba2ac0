"""Policies that choose the persona from the ensemble's scores and the user's profile, and say
how likely they were to show each persona, so that logged turns can evaluate any policy offline.

One rule holds for every policy, in `LearnedPolicy.choose`: a user without a profile, a new user
(`Profile.is_new`), one whose profile has faded (`Profile.faded`: not updated for
PREFERENCES_FADE_DAYS) or one who turned personalization off gets StaticRouter's decision, never
a learned score. The architecture promises the last the router alone, and the others have too
little (or too old) evidence for a learned score to mean anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    import numpy as np

from common.labels import PERSONA_IDS
from common.personalization.preferences import Profile, favourite_persona, time_of_day_match


@dataclass(frozen=True)
class PolicyDecision:
    chosen: str
    scores: dict[str, float]  # what the policy ranked by (ensemble, formula or posterior mean)
    propensities: dict[str, float]  # P(policy shows persona | this exact input); sums to 1
    policy: str = "static"  # the policy that actually decided (after the fallback rule)


class Policy(Protocol):
    name: str

    def choose(
        self,
        *,
        ensemble: dict[str, float],
        profile: Profile | None,
        local_hour: int | None,
        seed: str,
    ) -> PolicyDecision: ...


def personalized(profile: Profile | None) -> bool:
    """Whether a learned policy may use this profile (see the module docstring)."""
    return (
        profile is not None and profile.personalization and not profile.is_new and not profile.faded
    )


def _clean(ensemble: dict[str, float]) -> dict[str, float]:
    if unknown := set(ensemble) - set(PERSONA_IDS):
        raise ValueError(f"unknown personas in ensemble: {sorted(unknown)}")
    return {p: min(1.0, max(0.0, float(ensemble.get(p, 0.0)))) for p in PERSONA_IDS}


def _argmax(scores: dict[str, float]) -> str:
    """The best persona; ties go to the earlier one in PERSONA_IDS, as in the ensemble."""
    return max(PERSONA_IDS, key=lambda p: (scores[p], -PERSONA_IDS.index(p)))


def _deterministic(chosen: str, scores: dict[str, float], policy: str) -> PolicyDecision:
    return PolicyDecision(chosen, scores, {p: float(p == chosen) for p in PERSONA_IDS}, policy)


@dataclass(frozen=True)
class StaticRouter:
    """The ensemble's best persona, always (propensity 1)."""

    name = "static"

    def choose(
        self,
        *,
        ensemble: dict[str, float],
        profile: Profile | None,
        local_hour: int | None,
        seed: str,
    ) -> PolicyDecision:
        scores = _clean(ensemble)
        return _deterministic(_argmax(scores), scores, self.name)


class LearnedPolicy:
    """A policy that uses the profile, behind the one fallback rule."""

    name = "learned"

    def choose(
        self,
        *,
        ensemble: dict[str, float],
        profile: Profile | None,
        local_hour: int | None,
        seed: str,
    ) -> PolicyDecision:
        if profile is None or not personalized(profile):
            return StaticRouter().choose(
                ensemble=ensemble, profile=profile, local_hour=local_hour, seed=seed
            )
        return self._choose(
            ensemble=_clean(ensemble), profile=profile, local_hour=local_hour, seed=seed
        )

    def _choose(
        self, *, ensemble: dict[str, float], profile: Profile, local_hour: int | None, seed: str
    ) -> PolicyDecision:
        raise NotImplementedError


# satisfaction, appropriateness, time of day, engagement bonus
FORMULA_WEIGHTS: Final = (0.5, 0.3, 0.2, 0.1)


@dataclass(frozen=True)
class OriginalFormula(LearnedPolicy):
    """The formula from the original design, with every input in [0, 1]:

    score = (0.5 · satisfaction + 0.3 · appropriateness + 0.2 · time_of_day_match
             + 0.1 · engagement · [persona is the favourite]) / 1.1

    with no time term (its weight 0, the sum divided by 0.9) when the user's hour is unknown.

    satisfaction is the posterior mean, appropriateness the ensemble score. The published
    example mixed a 1–5 satisfaction scale with 0–1 terms (so satisfaction drowned the rest) and
    its weights sum to 1.1; here every term is in [0, 1] and the sum is divided out, so the
    score is in [0, 1]. The best score is shown, deterministically.
    """

    name = "formula"

    def _choose(
        self, *, ensemble: dict[str, float], profile: Profile, local_hour: int | None, seed: str
    ) -> PolicyDecision:
        w_sat, w_app, w_time, w_eng = FORMULA_WEIGHTS
        favourite = favourite_persona(profile)
        time_match = dict.fromkeys(PERSONA_IDS, 0.0)
        if local_hour is None:  # no time zone: a UTC hour is no one's time of day
            w_time = 0.0
        else:
            time_match = {p: time_of_day_match(profile, p, local_hour) for p in PERSONA_IDS}
        scores = {
            p: (
                w_sat * profile.stat(p).mean
                + w_app * ensemble[p]
                + w_time * time_match[p]
                + w_eng * profile.engagement * (p == favourite)
            )
            / (w_sat + w_app + w_time + w_eng)
            for p in PERSONA_IDS
        }
        return _deterministic(_argmax(scores), scores, self.name)


def _rng(seed: str) -> np.random.Generator:
    import numpy as np  # here, not at import: numpy costs ~100 ms of cold start

    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))


def warm_up() -> None:
    """numpy's import and its first draw, ahead of the first turn that samples (~200 ms)."""
    _rng("warm").beta(1, 1)


@dataclass(frozen=True)
class ThompsonSampling(LearnedPolicy):
    """Thompson sampling with the ensemble as the prior and bounded exploration.

    Persona p's posterior is Beta(α_p + s·e_p, β_p + s·(1 − e_p)), where e_p is the ensemble
    score, s = prior_strength and (α_p, β_p) the user's counts (starting at 1, 1, which also
    keeps both parameters positive when e_p is 0 or 1). With no evidence the ensemble decides;
    as evidence grows past s it dominates.

    Bounded exploration: a persona whose posterior mean is more than `exploration_cap` below
    the best mean is never shown (propensity exactly 0). Among the others, one value is drawn
    per persona and the highest wins.

    Propensities are the probabilities of winning under that rule, estimated from `draws`
    Monte Carlo draws of a generator seeded by `seed` (reproducible). The first draw is the
    one acted on, so the chosen persona is always among the counted wins (propensity > 0).
    """

    prior_strength: float = 10.0
    exploration_cap: float = 0.2
    draws: int = 4000

    name = "thompson"

    def __post_init__(self) -> None:
        if self.prior_strength < 0:
            raise ValueError("prior_strength must be non-negative")
        if not 0.0 <= self.exploration_cap <= 1.0:
            raise ValueError("exploration_cap must be in [0, 1]")
        if self.draws < 1:
            raise ValueError("draws must be at least 1")

    def _choose(
        self, *, ensemble: dict[str, float], profile: Profile, local_hour: int | None, seed: str
    ) -> PolicyDecision:
        import numpy as np

        e = np.array([ensemble[p] for p in PERSONA_IDS])
        a = self.prior_strength * e + np.array([profile.stat(p).alpha for p in PERSONA_IDS])
        b = self.prior_strength * (1 - e) + np.array([profile.stat(p).beta for p in PERSONA_IDS])
        mean = a / (a + b)
        eligible = np.flatnonzero(mean >= mean.max() - self.exploration_cap - 1e-12)
        if len(eligible) == 1:
            winners = eligible
        else:
            theta = _rng(seed).beta(a[eligible], b[eligible], size=(self.draws, len(eligible)))
            winners = eligible[theta.argmax(axis=1)]
        counts = np.bincount(winners, minlength=len(PERSONA_IDS)) / len(winners)
        return PolicyDecision(
            chosen=PERSONA_IDS[int(winners[0])],
            scores={p: float(m) for p, m in zip(PERSONA_IDS, mean, strict=True)},
            propensities={p: float(c) for p, c in zip(PERSONA_IDS, counts, strict=True)},
            policy=self.name,
        )


POLICIES: Final[dict[str, type[Any]]] = {
    "static": StaticRouter,
    "formula": OriginalFormula,
    "thompson": ThompsonSampling,
}


def make_policy(name: str, **params: Any) -> Policy:
    """The policy configured by name: "static", "formula" or "thompson" (with its params)."""
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; expected one of {sorted(POLICIES)}")
    policy: Policy = POLICIES[name](**params)
    return policy
