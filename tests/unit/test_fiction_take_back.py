"""A no to "Are you safe right now?" that says the words were fiction, study or work is all right,
not a no (the creative review: a screenplay writer's "no, it's fiction, the villain in my
screenplay, not me" was read as not safe, held them in care for 25 h and published a crisis
event; "no, not me, my character" got the reply for a worried friend)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.analysis import assess_safety
from common.replies.template import _CARE_BODY
from common.safety import CARE_QUESTION, crisis_reply, safety_answer, says_all_right
from tests.fakes import turns

ASKED = crisis_reply(("988",))

TAKEN_BACK = [
    "no, it's for my novel",
    "no it's my character",
    "no, it's a poem",
    "no it's for my thesis",
    "no I'm a nurse",
    "lol no it's just the song title, I'm fine",
    "lol no it's just the song title, I'm fine. can you help me with the chorus?",
    "no, it's fiction, the villain in my screenplay, not me. how do I make his motive land?",
    "no, not me, my character",
    "no, I'm writing a book",
    "I'm fine, it's for my novel. how do I make the scene land?",
]
# A sign after the take-back, or a reason of their own, still says not safe.
STILL_NOT_SAFE = [
    "no it's for my novel but honestly I want to die too",
    "no, not me, my character, but I have the pills",
    "no, it's my class, they bully me",
    "no my novel is the only thing keeping me here",
    "no, I'm a writer but I can't go on",
]


@pytest.mark.parametrize("answer", TAKEN_BACK)
def test_a_no_that_says_it_was_fiction_or_work_is_all_right(answer):
    assert safety_answer(ASKED, answer) is None
    assert says_all_right(answer)


@pytest.mark.parametrize("answer", STILL_NOT_SAFE)
def test_a_take_back_with_a_sign_after_it_or_a_reason_of_their_own_is_a_no(answer):
    assert safety_answer(ASKED, answer) == "not_safe"
    assert not says_all_right(answer)


def test_a_real_sign_after_the_take_back_stays_a_crisis_for_the_detectors():
    assert assess_safety("no it's for my novel but honestly I want to die too").crisis


def test_a_screenplay_writer_is_not_held_in_care_after_saying_it_is_fiction():
    store, publisher = turns.ActivityStore(), turns.Publisher()

    def say(message: str, after: timedelta, session_id: str | None = None) -> dict:
        return turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                               store=store, publisher=publisher, session_id=session_id,
                               now=turns.NOW + after)  # fmt: skip

    first = say("the villain wants to end it all in my screenplay", timedelta(0))
    assert first["safety"]["crisis"] is True  # the words alone: asked, as ever
    answer = say(TAKEN_BACK[7], timedelta(minutes=1), first["session_id"])
    assert answer["safety"]["crisis"] is False
    later = say("ok but can you help with the screenplay now?", timedelta(hours=5))
    assert not later["reply"].startswith(CARE_QUESTION)
    assert not any(body in later["reply"] for body in _CARE_BODY.values())
    crises = [e for e in publisher.events if e.type == "safety.crisis_detected"]
    # no "safety_answer": the take-back was no no
    assert [e.data["detected_by"] for e in crises] == ["patterns"]
