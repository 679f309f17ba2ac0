"""A persona asked for or said no to in the message, and a request kept for the session: the
turns, their events and what the profile updater learns from them (the explicit-requests
review: "I want Lua" got Nana, and "not Riri again" Riri, who was credited for it)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from common.chat import service, wiring
from common.chat.models import TurnCreate
from common.personalization.preferences import PersonaStats, Profile
from common.profile.updater import delta_for
from common.routing.ensemble import Conversation
from common.sessions.state import SessionState
from tests.fakes import turns

DEADLINE = (
    "not Riri again please, she's too pushy. I need to fix this bug before the deadline today!!"
)


class Chat:
    """One user's turns through the service with the real ranking, and their turn events."""

    def __init__(self) -> None:
        self.store, self.publisher = turns.MemoryStore(), turns.Publisher()
        self.session_id: str | None = None
        self.minute = 0

    def say(self, message: str, persona: str | None = None, new: bool = False) -> dict:
        body = TurnCreate(
            client_turn_id=uuid.uuid4().hex,
            message=message,
            session_id=None if new else self.session_id,
            persona=persona,
        )
        ports = turns.turn_ports(self.store, rank=wiring.rank_personas, publisher=self.publisher)
        now = turns.NOW + timedelta(minutes=self.minute)
        self.minute += 1
        response, _ = service.take_turn(uid="u1", body=body, now=now, **ports)
        self.session_id = response["session_id"]
        return response

    def last_event(self):
        return [e for e in self.publisher.events if e.type == "chat.turn.completed"][-1]


def _shown(response: dict) -> set[str]:
    return {response["persona"]["id"], *(a["id"] for a in response["alternatives"])}


def test_a_persona_asked_for_in_the_message_answers():
    chat = Chat()
    response = chat.say("I want Lua")
    assert response["persona"]["id"] == "lua"
    assert response["persona"]["reasons"] == ["You asked for Lua."]
    data = chat.last_event().data
    assert (data["persona_source"], data["requested"], data["requested_via"]) == (
        "requested",
        "lua",
        "message",
    )


def test_a_persona_asked_for_in_the_field_says_so_in_the_event():
    chat = Chat()
    chat.say("what do I do first", persona="elro")
    data = chat.last_event().data
    assert (data["requested"], data["requested_via"], data["refused"]) == ("elro", "field", None)


def test_a_refused_persona_is_neither_shown_nor_offered():
    chat = Chat()
    response = chat.say(DEADLINE)
    assert "riri" not in _shown(response)
    data = chat.last_event().data
    assert (data["refused"], data["requested"]) == ("riri", None)
    assert data["persona_source"] != "requested"  # a policy (or the ensemble) chose


def test_riri_refused_for_elro_in_her_session_counts_against_her_as_a_switch():
    chat = Chat()
    chat.say("My deploy is failing and the demo is in an hour, help!!", persona="riri")
    response = chat.say("not Riri again. can I talk to Elro?")
    assert response["persona"]["id"] == "elro"
    increments = delta_for(chat.last_event()).increments
    assert "stats.riri.alpha" not in increments
    assert increments["stats.riri.beta"] == 0.5 and increments["stats.elro.alpha"] == 0.5


def test_riri_refused_alone_gets_no_follow_up_credit_and_no_one_is_credited_for_it():
    chat = Chat()
    chat.say("My deploy is failing and the demo is in an hour, help!!", persona="riri")
    response = chat.say(DEADLINE)
    assert response["persona"]["id"] != "riri"
    stats = {k: v for k, v in delta_for(chat.last_event()).increments.items() if "stats" in k}
    assert stats == {"stats.riri.beta": 0.5}


def test_a_language_named_in_a_sentence_is_no_request():
    chat = Chat()
    chat.say("I want to learn Lua for game modding")
    data = chat.last_event().data
    assert data["persona_source"] != "requested"
    assert (data["requested"], data["requested_via"], data["refused"]) == (None, None, None)


def test_a_crisis_with_a_request_is_answered_as_a_crisis_and_its_event_names_the_request():
    chat = Chat()
    response = chat.say("I want Riri, I want to die")
    assert response["safety"]["crisis"] is True
    assert response["persona"]["id"] == "lua"
    data = chat.last_event().data
    assert (data["persona_source"], data["requested"]) == ("care", "riri")


def test_a_care_turn_asking_for_a_persona_is_care_and_its_event_names_the_request():
    chat = Chat()
    chat.say("I want to kill myself")
    response = chat.say("I'm still here. can I have Riri please")
    assert response["persona"]["id"] == "lua"
    data = chat.last_event().data
    assert (data["persona_source"], data["requested"], data["requested_via"]) == (
        "care",
        "riri",
        "message",
    )


def test_a_policy_that_would_pick_the_refused_persona_leaves_the_pick_to_the_ensemble():
    liked = Profile(stats={**Profile().stats, "riri": PersonaStats(40.0, 1.0)}, turns=60,
                    feedback_count=40)  # fmt: skip
    analysis, _ = turns.analyze_offline("my deploy is failing and the demo is in an hour")
    for refused in (None, "riri"):
        ranking = wiring.rank_personas(
            analysis=analysis,
            convo=Conversation(local_hour=9, refused=refused),
            requested=None,
            seed="t1",
            profile=liked,
            policy_name="thompson",
        )
        shown = {ranking.chosen.id, *(a.id for a in ranking.alternatives)}
        assert ("riri" in shown) is (refused is None)
        assert (ranking.chosen.id == "riri") is (refused is None)


def test_a_persona_asked_for_in_the_message_answers_the_sessions_next_turns():
    chat = Chat()
    chat.say("I want Lua")
    for message in ("My deploy is failing and the demo is in an hour, help!!", "ok, next?"):
        response = chat.say(message)
        assert response["persona"]["id"] == "lua"
        assert response["persona"]["reasons"] == ["You asked for Lua."]
        data = chat.last_event().data
        assert (data["persona_source"], data["requested_via"]) == ("requested", "session")
    # A new session starts without it.
    response = chat.say("My deploy is failing and the demo is in an hour, help!!", new=True)
    assert chat.last_event().data["requested"] is None


def test_a_persona_asked_for_in_the_field_answers_the_next_turn_sent_without_one():
    chat = Chat()
    assert chat.say("what do I do first", persona="elro")["persona"]["id"] == "elro"
    # Riri's kind of message: the ranking alone would switch (the review's turn 2 did)
    response = chat.say("My deploy is failing and the demo is in an hour, help!!")
    assert response["persona"]["id"] == "elro"
    assert chat.last_event().data["requested_via"] == "session"


def test_a_kept_request_ends_when_another_persona_is_asked_for_or_it_is_refused():
    chat = Chat()
    chat.say("I want Lua")
    assert chat.say("can I talk to Elro?")["persona"]["id"] == "elro"
    assert chat.say("so what now")["persona"]["id"] == "elro"
    refused = chat.say("no more Elro. I need to fix this bug before the deadline today!!")
    assert "elro" not in _shown(refused)
    chat.say("ok so what do I do first")
    assert chat.last_event().data["requested"] is None  # the ranking's pick again


def test_care_comes_before_a_kept_request_and_the_request_stands_after_it():
    chat = Chat()
    chat.say("can I talk to Elro?")
    chat.say("I want to kill myself")
    for message in ("yes, I am safe", "thanks, a bit better", "ok"):  # CARE_TURNS_AFTER_CRISIS
        response = chat.say(message)
        assert response["persona"]["id"] == "lua"
        data = chat.last_event().data
        assert (data["persona_source"], data["requested"]) == ("care", "elro")
    assert chat.say("ok, can we plan my week")["persona"]["id"] == "elro"
    # Back to Elro after care is no switch away from Lua, who was shown for the crisis.
    assert "stats.lua.beta" not in delta_for(chat.last_event()).increments


def test_a_session_keeps_its_request_and_one_stored_before_it_reads_none():
    chat = Chat()
    chat.say("can I talk to Elro?")
    state = chat.store.sessions[chat.session_id]
    doc = state.to_dict()
    assert SessionState.from_dict(doc).requested_persona == "elro"
    del doc["requested_persona"]
    assert SessionState.from_dict(doc).requested_persona is None
