"""The reasons a turn gives for its persona tell the truth, through the service with the real
ranking (wiring.rank_personas: the router's reasons and the hour's line, which the fake rank
in tests/fakes/turns.py leaves out)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from common.analysis import with_model
from common.analysis.types import Distribution
from common.chat import service, wiring
from common.chat.models import TurnCreate
from common.config import Settings
from common.errors import Unavailable
from common.feedback.models import FeedbackCreate
from common.feedback.service import FeedbackContext, submit_feedback
from common.model_client import ModelPrediction
from common.personalization.preferences import PersonaStats, Profile
from common.profile.updater import delta_for
from common.routing.ensemble import Conversation
from common.safety import CARE_REASONS, CRISIS_REPLIES
from tests.fakes import turns

NIGHT = turns.NOW.replace(hour=3)  # the user's hour too: no time zone is set


def _turn(
    store: turns.MemoryStore,
    message: str,
    at: datetime,
    session_id: str | None = None,
    *,
    locale: str | None = None,
    persona: str | None = None,
    **ports,
) -> dict:
    body = TurnCreate(
        client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id, persona=persona
    )
    response, _ = service.take_turn(
        uid="u1",
        body=body,
        **turns.turn_ports(store, rank=wiring.rank_personas, **ports),
        now=at,
        locale=locale,
    )
    return response


@pytest.mark.parametrize(
    "message", ["I want to kill myself", "I don't want to be here anymore, everything is pointless"]
)
def test_a_crisis_and_its_care_turns_give_the_care_line_alone(message):
    # The reasons review: at 03:00, "Staying gentle after what you shared." and then "Your pace
    # is steady: Lua matches it", "You're checking in: Lua asks how you really are", "Lua suits
    # your nights.": the router's readings and the hour, which chose nothing here.
    store = turns.MemoryStore()
    crisis = _turn(store, message, NIGHT)
    assert crisis["safety"]["crisis"] is True
    care = _turn(store, "ok. i'm still here", NIGHT + timedelta(minutes=1), crisis["session_id"])
    for turn in (crisis, care):
        assert turn["persona"]["id"] == "lua"
        assert turn["persona"]["reasons"] == ["Staying gentle after what you shared."]


@pytest.mark.parametrize(
    ("locale", "message", "language"),
    [
        ("de-DE", "Ich will nicht mehr leben", "de"),
        ("fr-FR", "je veux mourir", "fr"),
        ("es-ES", "quiero morir", "es"),
        ("ja-JP", "死にたい", "ja"),
        ("pt-BR", "Eu quero morrer", "pt"),
    ],
)
def test_the_care_line_is_in_the_crisis_replys_language(locale, message, language):
    store = turns.MemoryStore()
    crisis = _turn(store, message, turns.NOW, locale=locale)
    assert crisis["safety"]["crisis"] is True
    later = turns.NOW + timedelta(minutes=1)
    care = _turn(store, "ok", later, crisis["session_id"], locale=locale)
    for turn in (crisis, care):
        assert turn["persona"]["reasons"] == [CARE_REASONS[language]]


def test_every_language_of_the_crisis_reply_has_its_care_line():
    # care_reason falls back to English without a word: a language added to the crisis
    # replies without its care line would show an English line under its crisis reply.
    assert CARE_REASONS.keys() == CRISIS_REPLIES.keys()


class _DownOnRead(turns.MemoryStore):
    def read_turn_context(self, **kw):
        raise Unavailable("Conversation storage is unavailable.", code="storage_unavailable")


def test_a_crisis_answered_without_its_session_gives_the_care_line_in_its_language():
    said = _turn(_DownOnRead(), "Ich will nicht mehr leben", turns.NOW, locale="de-DE")
    assert said["degraded"] == [service.NOT_STORED]
    assert said["persona"]["reasons"] == [CARE_REASONS["de"]]


class _Ratings:
    """Ratings of the turns `store` keeps (the feedback service's store, in memory)."""

    def __init__(self, store: turns.MemoryStore) -> None:
        self.store = store

    def read_feedback_context(self, *, session_id: str, turn_id: str, **_) -> FeedbackContext:
        docs = (doc for doc, _ in self.store.keys.values())
        turn = next(doc for doc in docs if doc["turn_id"] == turn_id)
        return FeedbackContext(turn=turn, session=self.store.sessions[session_id], existing=None)

    def write_feedback(self, **_) -> None: ...


def test_care_wins_over_a_requested_persona_and_its_rating_teaches_nothing_about_it():
    # The reasons review: a crisis turn with persona "riri" was answered as Riri, "You asked for
    # Riri.", and so were its care turns (persona_source "requested"): a rating of one counted
    # as evidence for Riri.
    store, publisher, model = turns.MemoryStore(), turns.Publisher(), turns.RecordingGenerator()
    crisis = _turn(store, "I want to kill myself", turns.NOW, persona="riri", publisher=publisher)
    later = turns.NOW + timedelta(minutes=1)
    care = _turn(
        store,
        "thanks. can we talk about my exam?",
        later,
        crisis["session_id"],
        persona="riri",
        publisher=publisher,
        generator=model,
    )
    for turn in (crisis, care):
        assert turn["persona"]["id"] == "lua"
        assert turn["persona"]["reasons"] == ["Staying gentle after what you shared."]
    assert [(req.persona.id, req.care) for req in model.asked] == [("lua", True)]
    completed = [e.data for e in publisher.events if e.type == "chat.turn.completed"]
    assert [(d["persona"], d["persona_source"]) for d in completed] == [("lua", "care")] * 2

    rating = FeedbackCreate(turn_id=care["turn_id"], session_id=care["session_id"], rating="up")
    submit_feedback(
        uid="u1",
        body=rating,
        store=_Ratings(store),
        outbox=turns.Outbox(),
        publisher=publisher,
        settings=Settings(),
        now=later,
    )
    (rated,) = [e for e in publisher.events if e.type == "feedback.submitted"]
    learned = delta_for(rated).increments
    assert learned["feedback_count"] == 1
    assert not any(path.startswith(("stats.", "ctx.")) for path in learned)


@pytest.mark.parametrize(
    ("ratings", "said"),
    [(0, "You've often kept talking with Lua."), (1, "You've found Lua's answers helpful before.")],
)
def test_helpful_before_is_said_only_to_a_user_who_has_rated(ratings, said):
    # The reasons review: Thompson picked Lua for a user who had never rated anything, from 15
    # follow-ups with her (0.2 of evidence each), and said they had found her answers helpful.
    profile = Profile(
        stats={**Profile().stats, "lua": PersonaStats(4.0, 1.0)}, turns=40, feedback_count=ratings
    )
    analysis, _ = turns.analyze_offline("how does compound interest work?")
    ranking = wiring.rank_personas(
        analysis=analysis,
        convo=Conversation(local_hour=14),
        requested=None,
        seed="t1",
        profile=profile,
        policy_name="thompson",
    )
    assert (ranking.chosen.id, ranking.source) == ("lua", "thompson")
    assert ranking.ranked[0].id != "lua"  # the ensemble's best was another: the profile chose
    assert ranking.chosen.reasons[0] == said


def _reading(probs: dict[str, float]) -> Distribution:
    return Distribution(probs)


# The served model's reading (pm-b27d93c5) of "新しい街に引っ越してから本当に寂しい。" (so lonely
# since I moved to a new city), from the fairness review: excited at 0.90, check-in, Nana.
_EXCITED = ModelPrediction(
    tone=_reading(
        {
            "excited": 0.9,
            "calm": 0.035,
            "frustrated": 0.017,
            "curious": 0.016,
            "confused": 0.009,
            "anxious": 0.008,
            "sad": 0.007,
            "overwhelmed": 0.008,
        }
    ),
    pace=_reading({"steady": 0.878, "reflective": 0.078, "urgent": 0.044}),
    intent=_reading(
        {
            "check_in": 0.717,
            "emotional_support": 0.232,
            "learning": 0.023,
            "motivation": 0.009,
            "feedback": 0.009,
            "problem_solving": 0.008,
            "planning": 0.002,
            "decision_making": 0.0,
        }
    ),
    persona=_reading({"nana": 0.8, "lua": 0.176, "riri": 0.02, "elro": 0.004}),
    crisis_probability=0.0005,
    crisis_flag=False,
    model_version="pm-test",
)


class _Model:
    """A persona model endpoint that reads every message as _EXCITED."""

    def predict(self, text: str) -> ModelPrediction:
        return _EXCITED


def _read_by_the_model(text: str):
    return with_model.analyze(text, model=_Model())


@pytest.mark.parametrize("analyze", [_read_by_the_model, turns.analyze_offline])
def test_a_message_the_model_cannot_read_cites_no_mood_and_is_not_ranked_by_its_reading(analyze):
    # The fairness review: 87 of 100 ordinary messages in German, French, Spanish, Portuguese
    # and Japanese went to Nana, with reasons citing a mood the English-only model misread;
    # with no model, the lexicon's "Your pace is steady" to every Japanese message (one long
    # word to it) was no reading either.
    store, publisher = turns.MemoryStore(), turns.Publisher()
    message = "新しい街に引っ越してから本当に寂しい。"
    turn = _turn(store, message, turns.NOW, analyze=analyze, publisher=publisher)
    reasons = " ".join(turn["persona"]["reasons"])
    assert "excited" not in reasons and "reads like one for" not in reasons, reasons
    assert turn["persona"]["reasons"] == [f"{turn['persona']['name']} fits this kind of message."]
    assert turn["analysis"]["tone"]["label"] != "excited"  # the lexicon's reading, not the model's
    assert turn["degraded"] == []
    (completed,) = [e.data for e in publisher.events if e.type == "chat.turn.completed"]
    assert completed["analysis_source"] == "baseline_not_english"  # not the model version


def test_an_english_message_is_still_ranked_and_explained_by_the_models_reading():
    store, publisher = turns.MemoryStore(), turns.Publisher()
    message = "I got the job!! I'm so happy."
    turn = _turn(store, message, turns.NOW, analyze=_read_by_the_model, publisher=publisher)
    assert turn["persona"]["id"] == "nana"
    assert "You sound excited: Nana celebrates with you" in turn["persona"]["reasons"]
    assert "This message reads like one for Nana." in turn["persona"]["reasons"]
    (completed,) = [e.data for e in publisher.events if e.type == "chat.turn.completed"]
    assert completed["analysis_source"] == "pm-test"
