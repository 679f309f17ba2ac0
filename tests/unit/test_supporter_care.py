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


def _said(
    *messages: str, generator=None, locale: str = LOCALE
) -> tuple[list[dict], turns.ActivityStore]:
    store, session_id, said = turns.ActivityStore(), None, []
    ports = turns.turn_ports(store, **({"generator": generator} if generator else {}))
    for i, message in enumerate(messages):
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
        response, _ = service.take_turn(
            uid="u1", body=body, **ports, now=turns.NOW + timedelta(minutes=i), locale=locale
        )
        session_id = response["session_id"]
        said.append(response)
    return said, store


def _instruction(*messages: str, locale: str = LOCALE) -> str:
    """The Gemini system instruction of the last message's turn."""
    generator = turns.RecordingGenerator()
    _said(*messages, generator=generator, locale=locale)
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
    assert stored["supporting"] == "suicide"
    del stored["supporting"]
    assert SessionState.from_dict(stored).supporting is None
    # Stored before the kinds were kept: a bool.
    assert SessionState.from_dict({**stored, "supporting": True}).supporting == "suicide"
    assert SessionState.from_dict({**stored, "supporting": False}).supporting is None


# The re-read (H1): care after the reply for someone else hurt gave the suicide advice and
# dropped the line for violence at home the crisis reply had listed.
HURT = "my friend's boyfriend beats her"
HURT_ASKS = "should I talk to her first or call someone?"
VIOLENCE_LINE = "0808 2000 247"  # en-GB's National Domestic Abuse Helpline


def test_care_after_someone_else_hurt_keeps_the_violence_line_and_no_suicide_advice():
    (told, asked), store = _said(HURT, HURT_ASKS, locale="en-GB")
    assert VIOLENCE_LINE in told["reply"]
    assert asked["safety"]["crisis"] is False and NO_HELP not in asked["reply"]
    assert VIOLENCE_LINE in asked["reply"] and "Believe them" in asked["reply"]
    assert "suicide" not in asked["reply"] and "hurt themselves" not in asked["reply"]
    assert store.sessions[asked["session_id"]].supporting == "hurt"
    (*_, again), _ = _said(HURT, HURT_ASKS, "what do I say to her?", locale="en-GB")
    assert VIOLENCE_LINE in again["reply"] and again["reply"] != asked["reply"]
    assert "suicide" not in again["reply"]


def test_gemini_is_given_the_violence_line_and_advice_for_someone_else_hurt():
    instruction = _instruction(HURT, HURT_ASKS, locale="en-GB")
    rule = instruction[instruction.index("CARE, SUPPORTING SOMEONE") :]
    assert VIOLENCE_LINE in rule and "do not confront" in rule
    assert "whether they are thinking of suicide" not in rule


def test_care_after_a_friend_in_danger_keeps_the_suicide_advice_in_the_uk_too():
    (_, asked), store = _said(FRIEND, ASKS, locale="en-GB")
    assert "thinking of suicide" in asked["reply"] and VIOLENCE_LINE not in asked["reply"]
    assert store.sessions[asked["session_id"]].supporting == "suicide"
