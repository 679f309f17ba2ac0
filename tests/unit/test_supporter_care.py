"""Care after the reply for a worried friend is a supporter's (the bystander review: "she's at
her flat alone, should I go over or call someone?" got "There's no need to fix or decide
anything right now", and Gemini's care rule said "give no plan ... even if they ask"). The
care after the user's own crisis, or after a no, is unchanged."""

from __future__ import annotations

import uuid
from datetime import timedelta

from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.replies.prompt import PromptBuilder
from common.safety import resources_for
from common.sessions.state import SessionState
from tests.fakes import turns

FRIEND = "my friend wants to kill herself, what do I do?"
ASKS = "she's at her flat alone, should I go over or call someone?"
NO_HELP = "no need to fix or decide"  # first-person care's text (template._CARE_BODY)
NO_PLAN = "give no plan"  # first-person care's rule (prompt._care_rule)
LOCALE = "en-US"
_LINES = resources_for(LOCALE, default_locale=Settings().safety_default_locale)
EMERGENCY = next(line for line in _LINES if "immediate danger" in line)  # "..., call 911"


def _said(*messages: str, generator=None) -> tuple[list[dict], turns.ActivityStore]:
    store, session_id, said = turns.ActivityStore(), None, []
    ports = turns.turn_ports(store, **({"generator": generator} if generator else {}))
    for i, message in enumerate(messages):
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
        response, _ = service.take_turn(
            uid="u1", body=body, **ports, now=turns.NOW + timedelta(minutes=i), locale=LOCALE
        )
        session_id = response["session_id"]
        said.append(response)
    return said, store


def _instruction(*messages: str) -> str:
    """The Gemini system instruction of the last message's turn."""
    generator = turns.RecordingGenerator()
    _said(*messages, generator=generator)
    return PromptBuilder().system_instruction(generator.asked[-1], tag="t")


def test_a_supporters_question_after_the_friend_reply_is_answered_with_the_emergency_step():
    (_, asked), store = _said(FRIEND, ASKS)
    assert asked["safety"]["crisis"] is False and asked["persona"]["id"] == "lua"  # still care
    assert NO_HELP not in asked["reply"]
    assert EMERGENCY in asked["reply"] and "ask them directly" in asked["reply"].lower()
    assert store.sessions[asked["session_id"]].supporting


def test_gemini_is_told_to_answer_a_supporters_practical_questions():
    instruction = _instruction(FRIEND, ASKS)
    assert NO_PLAN not in instruction
    assert "supporting someone in crisis" in instruction and EMERGENCY in instruction


def test_consecutive_supporter_turns_are_not_the_same_words():
    (_, second, third), _ = _said(FRIEND, ASKS, "ok I called 911, what do I say to her?")
    assert second["reply"] != third["reply"]
    assert EMERGENCY in third["reply"] and NO_HELP not in third["reply"]


def test_the_users_own_crisis_keeps_the_care_that_gives_no_plan():
    (*_, asked), _ = _said("I want to die", "should I call someone?")
    assert NO_HELP in asked["reply"]
    assert NO_PLAN in _instruction("I want to die", "should I call someone?")


def test_after_a_no_the_friend_reply_leaves_the_care_the_users_own():
    # The no ("Are you safe right now?") starts a day of the user's own care: a friend's crisis
    # told after it does not turn it into a supporter's.
    said = ("I want to die", "no", FRIEND, ASKS)
    (*_, asked), _ = _said(*said)
    assert NO_HELP in asked["reply"] and EMERGENCY not in asked["reply"]
    assert NO_PLAN in _instruction(*said)


def test_once_the_user_says_it_of_themselves_the_care_is_their_own():
    (_, same, asked), store = _said(FRIEND, "honestly same", "should I call someone?")
    assert NO_HELP in same["reply"] and EMERGENCY not in same["reply"]
    assert NO_HELP in asked["reply"] or "go as slowly as you like" in asked["reply"]
    assert not store.sessions[asked["session_id"]].supporting
    assert NO_PLAN in _instruction(FRIEND, "honestly same", "should I call someone?")


def test_a_session_stored_before_the_flag_reads_as_the_users_own_care():
    (_, asked), store = _said(FRIEND, ASKS)
    stored = store.sessions[asked["session_id"]].to_dict()
    assert stored["supporting"] is True
    del stored["supporting"]
    assert SessionState.from_dict(stored).supporting is False
