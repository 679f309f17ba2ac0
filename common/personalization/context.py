"""Preferences that depend on the kind of message: one user wants Elro's structure whatever they
write, another wants Lua only when they are low. Evidence is kept per context as well as
overall, and a turn is judged on the evidence from messages like it (pure)."""

from __future__ import annotations

from dataclasses import replace

from common.labels import PERSONA_IDS
from common.personalization.preferences import PersonaStats, Profile

# Coarse groups, so that a month of conversations fills each bucket with real evidence.
TONE_GROUPS = {
    "anxious": "low", "sad": "low", "overwhelmed": "low",
    "frustrated": "stuck", "confused": "stuck",
    "curious": "up", "excited": "up", "calm": "up",
}  # fmt: skip
INTENT_GROUPS = {
    "learning": "think", "decision_making": "think", "planning": "think",
    "problem_solving": "fix", "motivation": "fix",
    "emotional_support": "share", "feedback": "share", "check_in": "share",
}  # fmt: skip
OVERALL_SHARE = 0.3  # how much of the evidence from every other kind of message still counts
# Evidence from the exact kind of message (tone and intent groups together) counts fully; from
# messages that share only the tone group or only the intent group, half (a backoff: the joint
# bucket fills slowly, the single ones quickly).
KEY_WEIGHTS = {"both": 1.0, "tone": 0.5, "intent": 0.5}


def context_keys(tone: str | None, intent: str | None) -> tuple[str, ...]:
    """The context buckets a message falls in: tone group, intent group, and both together."""
    keys = []
    if tone in TONE_GROUPS:
        keys.append(f"tone_{TONE_GROUPS[tone]}")
    if intent in INTENT_GROUPS:
        keys.append(f"intent_{INTENT_GROUPS[intent]}")
    if len(keys) == 2:
        keys.append(f"both_{TONE_GROUPS[tone]}_{INTENT_GROUPS[intent]}")
    return tuple(keys)


def in_context(profile: Profile, counts: dict | None, keys: tuple[str, ...]) -> Profile:
    """The profile as seen for one kind of message: the evidence gathered in each matching
    context (counts[key][persona] = {"alpha": a, "beta": b}, beyond the prior) plus
    OVERALL_SHARE of the overall evidence, on the uniform prior."""
    counts = counts or {}
    stats = {}
    for pid in PERSONA_IDS:
        overall = profile.stat(pid)
        alpha = 1.0 + OVERALL_SHARE * (overall.alpha - 1.0)
        beta = 1.0 + OVERALL_SHARE * (overall.beta - 1.0)
        for key in keys:
            bucket = (counts.get(key) or {}).get(pid) or {}
            weight = KEY_WEIGHTS[key.split("_", 1)[0]]
            alpha += weight * float(bucket.get("alpha", 0.0))
            beta += weight * float(bucket.get("beta", 0.0))
        stats[pid] = PersonaStats(max(alpha, 1e-6), max(beta, 1e-6))
    return replace(profile, stats=stats)
