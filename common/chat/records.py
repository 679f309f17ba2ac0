"""What a turn answers, stores and tells analytics (pure): the response object, the stored turn
and event data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from common.analysis.types import Analysis
from common.chat.limits import repeat_counted
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
from common.chat.persona_ask import PersonaAsk
from common.experiments import Assignment, event_fields
from common.model_client import normalise
from common.personalization.preferences import Profile
from common.profile.updater import day_key
from common.replies.readers.complaints import complaint
from common.routing.ensemble import Ranking
from common.safety import (
    lines_key,
    reply_language,
    resources_version,
    violence_key,
    violence_resources_for,
    violence_version,
)
from common.sessions.state import WindowTurn


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


def turn_doc(
    turn: WindowTurn,
    *,
    response: dict,
    ranking: Ranking,
    session_id: str,
    uid: str,
    client_turn_id: str,
    fingerprint: str,
    keyed: bool,
    expires_at: datetime,
    assignment: Assignment | None,
    locale: str | None,
) -> dict:
    """The stored turn: its window entry, whose it is, how its persona was chosen, and the
    response that answers a retry with its client_turn_id (and `fingerprint`)."""
    return {
        **turn.to_dict(),
        "keyed": keyed,  # the identity its analytics rows went out under
        "session_id": session_id,
        "owner_uid": uid,
        "client_turn_id": client_turn_id,
        "fingerprint": fingerprint,
        "persona_scores": ranking.scores,
        "persona_source": ranking.source,
        "propensity": ranking.propensity,
        "response": response,
        "expires_at": expires_at,
        **event_fields(assignment),  # feedback on this turn counts for the same variant
        "locale": locale,  # its rating's event says it too
    }


def turn_event_data(
    response: dict,
    *,
    ranking: Ranking,
    analysis: Analysis,
    generator: str,
    client: str,
    message: str,
    latency_ms: float,
    policy: str,
    assignment: Assignment | None = None,
    previous: WindowTurn | None,
    local_now: datetime | None,
    locale: str | None,
    now: datetime,
    profile: Profile | None,
    ask: PersonaAsk,
) -> dict:
    """What analytics learns of a turn: labels, every persona's score and the propensity of the
    one shown (for off-policy evaluation), the user's A/B variant, what came before it (the
    session's `previous` turn), never the text (`message` gives its length, whether it
    repeats the previous one and whether it complains of the reply before). `policy` is the
    ranking policy in force for the user; `persona_source` says what chose this persona (that
    policy, the ensemble it falls back to for a new user, the user, or care); `profile` is None
    for an anonymised user. `local_now` is `now` on the user's clock, None when they never set
    a time zone; `locale` is the request's Accept-Language tag (common.safety.parse_locale),
    None without one. `ask`: the persona asked for (shown unless care came first:
    persona_source "care") and where, and the one the message said no to."""
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
        "requested": ask.persona,
        "requested_via": ask.via,
        "refused": ask.refused,
        "tone": analysis.tone.label,
        "pace": analysis.pace.label,
        "intent": analysis.intent.label,
        "sentiment": round(analysis.sentiment.score, 4),
        "entity_types": sorted({e.type for e in analysis.entities}),
        "crisis": analysis.safety.crisis,
        # a crisis told in the past or of recovery: answered as lived experience, not as one
        "lived_experience": analysis.safety.lived_experience,
        # a prognosis the model alone flagged: answered with the end-of-life reply, not as one
        "end_of_life": analysis.safety.end_of_life,
        "analysis_source": analysis.source,
        "generator": generator,
        "degraded": response["degraded"],
        "client": client,
        "message_chars": len(message),
        "latency_ms": latency_ms,
        **event_fields(assignment),
        # None: the user's time zone is unknown (the updater skips the hour). The date too: an
        # hour alone cannot tell Auckland's 00:00 from Pago Pago's, a day apart.
        "local_hour": local_now.hour if local_now else None,
        "local_date": local_now.date().isoformat() if local_now else None,
        "locale": locale,  # which persona helps most in which language
        "previous_persona": previous.persona if previous else None,
        # Its reply was the crisis safety message: what this turn says of it is no persona's.
        "previous_crisis": bool(previous and previous.crisis),
        # Its reply was care's (the care persona, imposed after a crisis): no persona's either.
        "previous_care": bool(previous and previous.care),
        "previous_tone": previous.tone if previous else None,
        "previous_intent": previous.intent if previous else None,
        # Re-asked: a short answer said again ("yes", "ok") is no sign the reply missed.
        "repeat_of_previous": bool(
            previous
            and normalise(previous.message) == normalise(message)
            and repeat_counted(message)
        ),
        # It disparages the reply before ("you're useless", "this is garbage advice"): a flag,
        # never the words; the profile updater counts it against that reply's persona.
        "complained": bool(previous and complaint(message)),
        # The session's first turn of the UTC day: engagement counts a conversation kept
        # going for days once on each day it was used, not only on the day it began.
        "first_turn_of_day": previous is None or day_key(previous.created_at) != day_key(now),
        # What the policy saw, so another policy can be evaluated offline on these logs.
        "profile": profile.to_dict() if profile is not None else None,
    }


def crisis_event_data(
    response: dict,
    *,
    analysis: Analysis,
    locale: str | None,
    default_locale: str,
    reply: str | None,
    stored: bool = True,
    kinds: Iterable[str] = (),
) -> dict:
    """What analytics (and an audit) learns of a crisis turn: what detected it, the crisis
    patterns' `kinds` (labels only: an emergency, "emergency", told apart from a suicide crisis;
    a no to the safety question has those of what it answers; none when only the model read
    it), and which lines and which
    reply the user was shown (`reply`: "first", "again", "someone_else", "taken_back" or
    "emergency", in the language common.safety chose for the locale), never the text."""
    return {
        "turn_id": response["turn_id"],
        "turn_index": response["turn_index"],
        "probability": round(analysis.safety.probability, 4),
        **crisis_shown(
            analysis, locale=locale, default_locale=default_locale, reply=reply, stored=stored
        ),
        "locale": locale,
        "resources_shown": len(analysis.safety.resources),
        "resources_version": resources_version(),
        "violence_version": violence_version(),
        "reply_language": reply_language(
            locale, default_locale=default_locale, language=analysis.safety.language
        ),
        "kinds": sorted(kinds),
    }


def crisis_shown(
    analysis: Analysis, *, locale: str | None, default_locale: str, reply: str | None, stored: bool
) -> dict:
    """What detected a crisis turn and what it was shown, as its event and its log line (the
    chat service's CRISIS_TURN) both say it."""
    return {
        "analysis_source": analysis.source,
        # The model, the patterns, or both (analysis_source names the model when it answered,
        # whichever of the two said crisis), or a no to "Are you safe right now?".
        "detected_by": "+".join(analysis.safety.detected_by),
        # The entry of common/data/crisis_resources.json shown (in the event, with the file's
        # version): the raw locale does not say it (no header reads SAFETY_DEFAULT_LOCALE's).
        "resources_key": lines_key(
            locale, default_locale=default_locale, language=analysis.safety.language
        ),
        # The entry of common/data/violence_resources.json shown (null: none was shown).
        "violence_key": _violence_shown(analysis, locale=locale, default_locale=default_locale),
        "reply": reply,
        # False: answered, not stored (storage down, a script's pace): its turn_id names nothing
        "stored": stored,
    }


def _violence_shown(analysis: Analysis, *, locale: str | None, default_locale: str) -> str | None:
    """The entry of the violence lines the turn listed (a crisis turn that says someone hurts
    the user, in a locale with such lines), else None."""
    language = analysis.safety.language
    lines = violence_resources_for(locale, default_locale=default_locale, language=language)
    if not lines or not set(lines) <= set(analysis.safety.resources):
        return None
    return violence_key(locale, default_locale=default_locale, language=language)
