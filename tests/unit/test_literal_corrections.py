"""A literal user corrects the crisis reading and is believed (the neurodivergent-users review):
"no, I mean my essay" to "Are you safe right now?" got "Since you may not be safe right now"
and a day of care; "I am safe. I just need the first step for the essay." got "There's no
need to fix or decide anything right now"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.replies.template import _CARE_BODY, _CARE_BODY_AGAIN, _offered
from common.safety import CARE_ALL_RIGHT, crisis_reply, safety_answer, says_all_right
from tests.fakes import turns

ASKED = crisis_reply(("Call 988",))  # ends with "Are you safe right now?"


@pytest.mark.parametrize(
    "answer",
    [
        "no, I mean my essay. what exactly should I do first?",
        "no you misunderstood, I meant my essay",
        "no, sorry, I mean I want to FINISH my essay",
        "no, I was talking about the deadline",
        "no not like that, I meant the office noise",
    ],
)
def test_a_no_that_says_what_was_meant_is_no_answer_to_the_safety_question(answer: str) -> None:
    assert safety_answer(ASKED, answer) is None


@pytest.mark.parametrize(
    "answer",
    [
        "no, I mean it, I have the pills",
        "no, I mean I want to die",
        "no i meant i want to hurt myself",
        "no, i meant that",
        "no i mean i dont feel safe",
        "no, i mean, help me",
    ],
)
def test_a_correction_that_says_not_safe_stays_a_no(answer: str) -> None:
    assert safety_answer(ASKED, answer) == "not_safe"


@pytest.mark.parametrize(
    "message",
    [
        "I am safe. I meant I want the noise to stop.",
        "I'm not suicidal, I'm autistic",
        "im safe, its just sensory overload",
        "I am safe. I just need the first step for the essay.",
        # a time gone by is no farewell (the work-rights review: these stayed in care)
        "I'm safe, it was last week. should I report it to HR?",
        "I'm safe, it happened last night. should I report it to HR?",
        "im safe, it was last friday. can they fire me for complaining?",
    ],
)
def test_safe_first_then_what_they_need_says_all_right(message: str) -> None:
    assert says_all_right(message) is True


@pytest.mark.parametrize(
    "message",
    [
        "I am safe but I have the pills",
        "im safe but i want to die",
        "im not suicidal but i want to hurt myself",
        "im safe. tonight is the night",
        "I am safe, just not from myself",
        "im safe. this is my last night",
        "i am safe. last message",
    ],
)
def test_safe_first_then_a_crisis_sign_does_not(message: str) -> None:
    assert says_all_right(message) is False


def _care_text(reply: str) -> bool:
    return any(body in reply for body in (*_CARE_BODY.values(), *_CARE_BODY_AGAIN.values()))


def test_the_essay_transcript_gets_out_of_care_talk_and_a_step() -> None:
    messages = (
        "I just want everything to stop",
        "no, I mean my essay. what exactly should I do first?",
        "I am safe. I just need the first step for the essay.",
        "please just tell me one step",
    )
    store, sid, said = turns.ActivityStore(), None, []
    for i, message in enumerate(messages):
        said.append(turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                                    store=store, session_id=sid,
                                    now=turns.NOW + timedelta(minutes=i)))  # fmt: skip
        sid = said[-1]["session_id"]
    assert said[0]["safety"]["crisis"] is True
    assert said[1]["safety"]["crisis"] is False
    assert "may not be safe" not in said[1]["reply"]
    assert store.sessions[sid].not_safe_until is None
    assert store.activity["u1"].get("not_safe_until") is None
    for r in said[2:]:
        assert not _care_text(r["reply"]) and not r["reply"].startswith(CARE_ALL_RIGHT), r["reply"]
        assert _offered(r["reply"]), r["reply"]  # one of the template's steps
