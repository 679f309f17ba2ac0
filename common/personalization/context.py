"""Preferences that depend on the kind of message: one user wants Elro's structure whatever they
write, another wants Lua only when they are low (pure).

Evidence is kept overall and per context (tone group, intent group, both together). Which of
these explains a user best is itself learned: four explanations of their ratings compete (one
favourite whatever they write; a favourite per tone group; per intent group; per tone and intent
together), each weighted by its Bayesian evidence, the probability it gave to the ratings seen so
far. A finer explanation has more buckets to fill, so it wins only when the ratings really differ
between contexts (Occam's razor comes with the marginal likelihood). A message is judged by what
each explanation's evidence says of messages like it, averaged by the explanations' weights.

The explanations are weighed on the same ratings only: those of messages with both a tone and an
intent group, which the `both_*` buckets hold (each in one). The overall counts also hold
evidence with no context or one (a session's end whose last turn had no intent, a rating of a
turn stored without them), and the tone and intent buckets evidence that lacks the other group:
each rating lowers the probability of the ratings seen, so an explanation scored on fewer would
win for having seen less. Stored counts are read as they are. Each explanation's judgement of a
message still uses all of its own counts."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Final

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
# Prior weight of each explanation: most people are assumed to have one favourite until their
# ratings say otherwise.
EXPLANATION_PRIOR: Final = {"overall": 0.4, "tone": 0.2, "intent": 0.2, "both": 0.2}


def context_keys(tone: str | None, intent: str | None) -> tuple[str, ...]:
    """The context buckets a message falls in: tone group, intent group, and both together."""
    keys = []
    if tone in TONE_GROUPS:
        keys.append(f"tone_{TONE_GROUPS[tone]}")
    if intent in INTENT_GROUPS:
        keys.append(f"intent_{INTENT_GROUPS[intent]}")
    if len(keys) == 2 and tone is not None and intent is not None:  # both in their groups
        keys.append(f"both_{TONE_GROUPS[tone]}_{INTENT_GROUPS[intent]}")
    return tuple(keys)


def _kind(key: str) -> str:
    """The explanation a context key belongs to: "tone_low" -> "tone"."""
    return key.split("_", 1)[0]


def stored_counts(c: dict | None) -> tuple[float, float]:
    """Stored {"alpha": a, "beta": b} evidence as (a, b), never negative: a changed rating's
    event (which takes the old rating out) may be applied before the first rating's. A value
    that is not a finite number (a NaN an older updater let through stays NaN under every later
    increment) counts as no evidence, rather than failing each of the user's turns."""
    c = c or {}
    return _count(c.get("alpha")), _count(c.get("beta"))


def _count(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) and x > 0 else 0.0


def _log_evidence(alpha: float, beta: float) -> float:
    """log P(ratings | one Beta(1, 1) persona): log B(1 + a, 1 + b) for a successes and b
    failures beyond the prior (fractional counts allowed)."""
    a, b = max(alpha, 0.0), max(beta, 0.0)
    return math.lgamma(1 + a) + math.lgamma(1 + b) - math.lgamma(2 + a + b)


def _pooled(counts: dict) -> dict[str, dict[tuple[str, str], list[float]]]:
    """The `both_*` buckets' counts pooled as each explanation sees them: per kind, (group,
    persona) -> [a, b]; all of one persona's for "overall", by tone group, by intent group."""
    pooled: dict[str, dict[tuple[str, str], list[float]]] = {k: {} for k in EXPLANATION_PRIOR}
    for key, bucket in counts.items():
        parts = key.split("_")
        if len(parts) != 3 or parts[0] != "both":
            continue
        groups = {"overall": "", "tone": parts[1], "intent": parts[2], "both": key}
        for pid, c in (bucket or {}).items():
            a, b = stored_counts(c)
            for kind, group in groups.items():
                cell = pooled[kind].setdefault((group, pid), [0.0, 0.0])
                cell[0] += a
                cell[1] += b
    return pooled


def explanation_weights(counts: dict | None, keys: tuple[str, ...]) -> dict[str, float]:
    """Posterior weight of each explanation that can judge this message (sums to 1), from the
    ratings all four explain (the `both_*` buckets)."""
    pooled = _pooled(counts or {})
    kinds = {"overall", *(_kind(key) for key in keys)}
    log_post = {
        kind: math.log(prior) + sum(_log_evidence(a, b) for a, b in pooled[kind].values())
        for kind, prior in EXPLANATION_PRIOR.items()
        if kind in kinds
    }
    top = max(log_post.values())
    unnormalised = {k: math.exp(v - top) for k, v in log_post.items()}
    total = sum(unnormalised.values())
    return {k: w / total for k, w in unnormalised.items()}


def in_context(profile: Profile, counts: dict | None, keys: tuple[str, ...]) -> Profile:
    """The profile as seen for one kind of message.

    counts[key][persona] = {"alpha": a, "beta": b} is the evidence gathered in each context
    beyond the prior. Each explanation judges the message on its own evidence about messages
    like it (the overall counts, or this message's bucket), on the uniform prior. A persona's
    mean is the average of the explanations' means, by their weights from
    explanation_weights() (Bayesian model averaging); its strength, the weighted evidence.
    Averaging the counts instead would let the explanation with the most evidence, always
    "overall", outweigh a better-supported one: four thumbs-down for Riri when a user is low
    counted for less than their twenty thumbs-up for Riri otherwise."""
    counts = counts or {}
    weights = explanation_weights(counts, keys)
    bucket_of = {_kind(key): counts.get(key) or {} for key in keys}
    stats = {}
    for pid in PERSONA_IDS:
        overall = profile.stat(pid)
        mean, strength = 0.0, 2.0
        for kind, w in weights.items():
            if kind == "overall":
                judged = overall
            else:
                a, b = stored_counts(bucket_of[kind].get(pid))
                judged = PersonaStats(1.0 + a, 1.0 + b)
            mean += w * judged.mean
            strength += w * judged.evidence
        stats[pid] = PersonaStats(max(mean * strength, 1e-6), max((1 - mean) * strength, 1e-6))
    return replace(profile, stats=stats)
