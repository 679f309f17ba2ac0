"""Which persona answers: an ensemble of the router, the model's persona head, the conversation
and the time of day, with the user's explicit choice on top and bounded exploration (pure)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from common.labels import PERSONA_IDS
from common.personas import PERSONAS

# Not at import: common.analysis runs its package (the baseline, the crisis scanner), and
# common.safety the scanner, in every function that only reads preferences (TIME_AFFINITY).
if TYPE_CHECKING:
    from common.analysis.types import Analysis

# How well each persona suits an hour of the user's day (late night: calm; morning: action).
TIME_AFFINITY: dict[str, dict[str, float]] = {
    "night": {"lua": 0.9, "riri": 0.2, "elro": 0.3, "nana": 0.6},  # 22:00–05:59
    "morning": {"lua": 0.4, "riri": 0.9, "elro": 0.7, "nana": 0.5},  # 06:00–11:59
    "afternoon": {"lua": 0.4, "riri": 0.7, "elro": 0.8, "nana": 0.5},  # 12:00–17:59
    "evening": {"lua": 0.7, "riri": 0.4, "elro": 0.5, "nana": 0.8},  # 18:00–21:59
}
SHIFT_CONFIDENCE = 0.55  # a new tone or intent this sure of itself counts as a clear shift
TOP_K = 3
CARE_PERSONA = "lua"
# Action-first, her every line a push: not chosen in care, nor after a heavy life event or for
# health limits (Conversation.gentle), though still offered among the alternatives.
BRISK = frozenset({"riri"})
# What a user's profile shows of their liking for a persona (preferences.liking).
Liking = Literal["rated", "kept"]


def day_part(hour: int) -> str:
    if hour >= 22 or hour < 6:
        return "night"
    if hour < 12:
        return "morning"
    return "afternoon" if hour < 18 else "evening"


@dataclass(frozen=True)
class Weights:
    router: float = 0.45
    model: float = 0.30
    context: float = 0.15
    time: float = 0.10


@dataclass(frozen=True)
class Conversation:
    """What the ranker knows of the conversation so far."""

    current_persona: str | None = None
    previous_tone: str | None = None
    previous_intent: str | None = None
    care: bool = False  # the user showed signs of crisis in a recent turn
    # A heavy life event, health limits or eating far too little in the message or the window
    # (common.replies.readers.gentleness.Gentleness): "my son hanged himself" got Riri's "Set a
    # 25-minute timer ... Go".
    gentle: bool = False
    # The persona the user said no to ("not Riri again"): neither chosen nor offered, unless
    # care chooses it (common.analysis.persona_request).
    refused: str | None = None
    local_hour: int | None = 12  # None: the user's time zone is unknown (no time-of-day term)
    language: str = "en"  # the crisis reply's (common.safety.reply_language): the care line's


@dataclass(frozen=True)
class Scored:
    id: str
    score: float
    reasons: tuple[str, ...] = ()
    components: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return PERSONAS[self.id].name


@dataclass(frozen=True)
class Ranking:
    ranked: tuple[Scored, ...]  # every persona, best first
    chosen: Scored
    alternatives: tuple[Scored, ...]
    source: str  # "ensemble" | "exploration" | "requested" | "care" | a personalization policy
    propensity: float  # probability that this policy shows `chosen` for this input

    @property
    def scores(self) -> dict[str, float]:
        return {s.id: s.score for s in self.ranked}


def _context_scores(analysis: Analysis, convo: Conversation) -> tuple[dict[str, float], str]:
    """Continuity of the current persona, unless the user clearly shifted or is getting more
    frustrated with it; right after a crisis, care (Lua, then Nana) takes its place."""
    if convo.care:
        return {"lua": 1.0, "nana": 0.6, "riri": 0.0, "elro": 0.0}, "care"
    current = convo.current_persona
    if current not in PERSONAS:
        return dict.fromkeys(PERSONA_IDS, 0.0), "none"
    # Frustration switches away only when it is read as surely as a shift must be: a flat
    # reading whose top label happens to be "frustrated" (0.16) says nothing about it.
    frustrated = (
        analysis.tone.label == "frustrated" and analysis.tone.confidence >= SHIFT_CONFIDENCE
    )
    if convo.previous_tone == "frustrated" and frustrated:
        return {p: 0.0 if p == current else 0.5 for p in PERSONA_IDS}, "frustration"
    tone_shift = (
        analysis.tone.label != convo.previous_tone and analysis.tone.confidence >= SHIFT_CONFIDENCE
    )
    intent_shift = (
        analysis.intent.label != convo.previous_intent
        and analysis.intent.confidence >= SHIFT_CONFIDENCE
    )
    if convo.previous_tone is not None and (tone_shift or intent_shift):
        return dict.fromkeys(PERSONA_IDS, 0.0), "shift"
    return {p: 1.0 if p == current else 0.0 for p in PERSONA_IDS}, "continuity"


def _reasons(
    pid: str,
    router_reasons: tuple[str, ...],
    context_kind: str,
    convo: Conversation,
    model_best: str | None,
    time_decided: bool,
) -> tuple[str, ...]:
    name = PERSONAS[pid].name
    reasons: list[str] = []
    if context_kind == "continuity" and pid == convo.current_persona:
        reasons.append(f"Staying with {name} so the conversation keeps its thread.")
    elif context_kind == "frustration" and convo.current_persona and pid != convo.current_persona:
        current = PERSONAS[convo.current_persona].name
        reasons.append(f"Switching from {current}: this doesn't seem to be helping yet.")
    elif context_kind == "shift" and convo.current_persona and pid != convo.current_persona:
        reasons.append("Your mood or what you need has changed, so a different mentor may fit.")
    reasons.extend(router_reasons)
    if model_best == pid:
        reasons.append(f"This message reads like one for {name}.")
    # TIME_AFFINITY is a fixed table, not the user's habit: "the", not "your". (Only a known
    # hour can decide: the hour's check is for the type checker.)
    if time_decided and convo.local_hour is not None:
        reasons.append(f"{name} suits the {day_part(convo.local_hour)}.")
    return tuple(reasons)


def _blend(signals: list[tuple[float, dict[str, float], str]]) -> dict[str, float]:
    """Each persona's weighted mean over `signals`, rounded as a turn logs it."""
    total = sum(w for w, _, _ in signals) or 1.0
    return {
        pid: round(sum(w * values.get(pid, 0.0) for w, values, _ in signals) / total, 4)
        for pid in PERSONA_IDS
    }


def rank(
    *,
    analysis: Analysis,
    router_scores: dict[str, float],
    router_reasons: dict[str, tuple[str, ...]],
    convo: Conversation,
    weights: Weights,
    requested: str | None = None,
    epsilon: float = 0.0,
    seed: str = "",
) -> Ranking:
    """Score every persona in [0, 1] as the weighted mean of the signals that are present (the
    model's head is missing when the model is down, the time of day when the user's hour is
    unknown), then choose: in care the care persona, else the user's request, else the best,
    except with probability `epsilon` one of the other top-3 (uniformly); when `convo.gentle`,
    from those not BRISK; never `convo.refused` while another is left."""
    context, context_kind = _context_scores(analysis, convo)
    signals: list[tuple[float, dict[str, float], str]] = [
        (weights.router, router_scores, "router"),
        (weights.context, context, "context"),
    ]
    if convo.local_hour is not None:
        signals.append((weights.time, TIME_AFFINITY[day_part(convo.local_hour)], "time"))
    model_best = None
    if analysis.persona is not None:
        signals.append((weights.model, analysis.persona.probs, "model"))
        model_best = analysis.persona.label
    scores = _blend(signals)
    best = best_first(scores)[0]
    # The hour is a reason only where it decided the pick: without it another would lead.
    untimed_best = best_first(_blend([s for s in signals if s[2] != "time"]))[0]
    scored = []
    for pid in PERSONA_IDS:
        components = {name: round(values.get(pid, 0.0), 4) for _, values, name in signals}
        reasons = _reasons(
            pid,
            router_reasons.get(pid, ()),
            context_kind,
            convo,
            model_best,
            time_decided=pid == best != untimed_best,
        )
        scored.append(Scored(pid, scores[pid], reasons, components))
    by_id = {s.id: s for s in scored}
    ranked = tuple(by_id[pid] for pid in best_first(scores))

    if convo.care:  # right after a crisis the calm persona answers, whatever else scores or
        # the user asked for: it is chosen for the crisis, so the care line is its one reason.
        from common.safety import care_reason  # here: see the imports

        pick = by_id[CARE_PERSONA]
        chosen = Scored(pick.id, pick.score, (care_reason(convo.language),), pick.components)
        source, propensity = "care", 1.0
    elif requested:
        pick = by_id[requested]
        chosen = Scored(pick.id, pick.score, (f"You asked for {pick.name}.",), pick.components)
        source, propensity = "requested", 1.0
    else:
        fit = [s for s in ranked if not (convo.gentle and s.id in BRISK)]
        top = tuple(s for s in fit if s.id != convo.refused)[:TOP_K] or tuple(fit[:TOP_K])
        rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))
        explore = epsilon > 0 and rng.random() < epsilon
        chosen = rng.choice(top[1:]) if explore else top[0]
        source = "exploration" if explore else "ensemble"
        share = epsilon / (len(top) - 1)
        propensity = share if chosen.id != top[0].id else 1.0 - epsilon
    alternatives = _alternatives(ranked, chosen.id, convo.refused)
    # 6 places: an exploration share of a small epsilon, or a Thompson pick's k/4000, is what
    # off-policy evaluation divides by; 4 places made 1/4000 0.0003 (a 17 % error) or 0.
    return Ranking(ranked, chosen, alternatives, source, round(propensity, 6))


def _alternatives(
    ranked: tuple[Scored, ...], chosen: str, refused: str | None
) -> tuple[Scored, ...]:
    """The two best after `chosen`, not the one the user said no to while others are left."""
    others = [s for s in ranked if s.id != chosen]
    return tuple([s for s in others if s.id != refused][:2] or others[:2])


def best_first(scores: Mapping[str, float]) -> list[str]:
    """Persona ids by score, highest first, ties in PERSONA_IDS order: how a turn ranks them."""
    return sorted(scores, key=lambda pid: (-scores[pid], PERSONA_IDS.index(pid)))


def personalize(
    ranking: Ranking,
    *,
    chosen_id: str,
    propensity: float,
    policy: str,
    liking: Liking | None = None,
    refused: str | None = None,
) -> Ranking:
    """The ranking once a personalization policy has chosen who answers (pure).

    `liking`: what the user's profile shows of the chosen persona (preferences.liking):
    "rated", their ratings say they liked it; "kept", they kept talking with it but never
    rated anything; None, neither: a pick over the ensemble's best is then an exploration and
    says so, rather than claim a liking the user never showed. `refused`: Conversation's, not
    among the alternatives."""
    by_id = {s.id: s for s in ranking.ranked}
    pick = by_id[chosen_id]
    best = next((s.id for s in ranking.ranked if s.id != refused), ranking.ranked[0].id)
    if chosen_id != best:
        if liking == "rated":
            reason = f"You've found {pick.name}'s answers helpful before."
        elif liking == "kept":
            reason = f"You've often kept talking with {pick.name}."
        else:
            reason = f"Trying {pick.name} for this one."
        pick = Scored(pick.id, pick.score, (reason, *pick.reasons), pick.components)
    alternatives = _alternatives(ranking.ranked, chosen_id, refused)
    return Ranking(ranking.ranked, pick, alternatives, policy, round(propensity, 6))
