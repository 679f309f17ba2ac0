"""What a turn answers and what it tells analytics (pure): the response object and event data."""

from __future__ import annotations

from common.analysis.types import Analysis
from common.chat.models import (
    Alternative,
    AnalysisOut,
    EntityOut,
    IntentScore,
    LabelScore,
    PaceScore,
    PersonaChoice,
    SafetyOut,
    SentimentOut,
    ToneScore,
    TurnResponse,
)
from common.experiments import Assignment, event_fields
from common.routing.ensemble import Ranking


def turn_response(
    *,
    session_id: str,
    turn_id: str,
    turn_index: int,
    ranking: Ranking,
    reply: str,
    analysis: Analysis,
    degraded: list[str],
) -> dict:
    chosen = ranking.chosen

    def label(kind: type[LabelScore], d) -> LabelScore:  # kind: the signal's own label set
        return kind(label=d.label, confidence=round(d.confidence, 4))

    return TurnResponse(
        session_id=session_id,
        turn_id=turn_id,
        turn_index=turn_index,
        persona=PersonaChoice(
            id=chosen.id, name=chosen.name, score=chosen.score, reasons=list(chosen.reasons)
        ),
        alternatives=[
            Alternative(id=a.id, name=a.name, score=a.score) for a in ranking.alternatives
        ],
        reply=reply,
        analysis=AnalysisOut(
            sentiment=SentimentOut(
                label=analysis.sentiment.label, score=round(analysis.sentiment.score, 4)
            ),
            tone=label(ToneScore, analysis.tone),
            pace=label(PaceScore, analysis.pace),
            intent=label(IntentScore, analysis.intent),
            entities=[EntityOut(text=e.text, type=e.type) for e in analysis.entities],
        ),
        safety=SafetyOut(crisis=analysis.safety.crisis, resources=list(analysis.safety.resources)),
        degraded=degraded,
    ).model_dump(mode="json")


def turn_event_data(
    response: dict,
    *,
    ranking: Ranking,
    analysis: Analysis,
    generator: str,
    client: str,
    message_chars: int,
    latency_ms: float,
    policy: str,
    assignment: Assignment | None = None,
) -> dict:
    """What analytics learns of a turn: labels, every persona's score and the propensity of the
    one shown (for off-policy evaluation), the user's A/B variant, never the text. `policy` is
    the ranking policy in force for the user; `persona_source` says what chose this persona
    (that policy, the ensemble it falls back to for a new user, the user, or care)."""
    return {
        "turn_id": response["turn_id"],
        "turn_index": response["turn_index"],
        "persona": ranking.chosen.id,
        "persona_source": ranking.source,
        "policy": policy,
        "propensity": ranking.propensity,
        "scores": ranking.scores,
        "components": ranking.chosen.components,
        "alternatives": [a.id for a in ranking.alternatives],
        "tone": analysis.tone.label,
        "pace": analysis.pace.label,
        "intent": analysis.intent.label,
        "sentiment": round(analysis.sentiment.score, 4),
        "entity_types": sorted({e.type for e in analysis.entities}),
        "crisis": analysis.safety.crisis,
        "analysis_source": analysis.source,
        "generator": generator,
        "degraded": response["degraded"],
        "client": client,
        "message_chars": message_chars,
        "latency_ms": latency_ms,
        **event_fields(assignment),
    }


def crisis_event_data(response: dict, *, analysis: Analysis, locale: str | None) -> dict:
    return {
        "turn_id": response["turn_id"],
        "turn_index": response["turn_index"],
        "probability": round(analysis.safety.probability, 4),
        "analysis_source": analysis.source,
        # The model, the patterns, or both (analysis_source names the model when it answered,
        # whichever of the two said crisis), or a no to "Are you safe right now?".
        "detected_by": "+".join(analysis.safety.detected_by),
        "locale": locale,
        "resources_shown": len(analysis.safety.resources),
    }
