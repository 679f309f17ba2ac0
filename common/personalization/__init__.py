"""Personalization: per-user preferences learned from feedback, the policies that choose a
persona from them, offline evaluation of those policies, and activity anomaly checks (pure)."""

from common.personalization.anomaly import DEFAULT_THRESHOLDS, Thresholds, Verdict, check
from common.personalization.offline_eval import Estimate, LoggedInteraction, estimate
from common.personalization.policies import (
    LearnedPolicy,
    OriginalFormula,
    Policy,
    PolicyDecision,
    StaticRouter,
    ThompsonSampling,
    make_policy,
    personalized,
)
from common.personalization.preferences import (
    IMPLICIT_SIGNALS,
    NEW_USER_TURNS,
    PersonaStats,
    Profile,
    engagement_score,
    explicit_reward,
    favourite_persona,
    implicit_updates,
    observe,
    time_of_day_match,
    update,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "IMPLICIT_SIGNALS",
    "NEW_USER_TURNS",
    "Estimate",
    "LearnedPolicy",
    "LoggedInteraction",
    "OriginalFormula",
    "PersonaStats",
    "Policy",
    "PolicyDecision",
    "Profile",
    "StaticRouter",
    "ThompsonSampling",
    "Thresholds",
    "Verdict",
    "check",
    "engagement_score",
    "estimate",
    "explicit_reward",
    "favourite_persona",
    "implicit_updates",
    "make_policy",
    "observe",
    "personalized",
    "time_of_day_match",
    "update",
]
