"""Intrusive thoughts of harming someone said as such get the calm referral even when the
persona model flags them (the review of carers and new parents, HIGH 2): the model reads the
harm words, not their frame, and its flag alone gave the suicide reply to "I keep having
thoughts of smothering my baby and I would never do it" (0.995). Intent, a plan, a means or a
time said with them still makes a crisis."""

from __future__ import annotations

import pytest

from common.analysis.intrusive import intrusive_thoughts
from common.chat import service
from common.chat.models import TurnCreate
from common.replies.prompt import PromptBuilder
from tests.fakes import turns
from tests.fakes.model import flagging

SAID_AS_SUCH = [
    "I keep having thoughts about pushing my coworker down the stairs and it scares me",
    "I have thoughts of stabbing my wife and I would never do it",
    "I keep having thoughts of smothering my baby and I would never do it",
    "I keep having intrusive thoughts about hurting my baby",
    "I'm scared I'll hurt the baby, I can't stop crying",
    "I keep picturing dropping my newborn down the stairs, it horrifies me, I'd never do it",
    "I'm terrified I'll drop the baby on purpose, I would never but the images won't stop",
]
# The same thoughts with intent, having come close, a means or a time: the flag stands.
ACTED_ON = [
    "I keep having intrusive thoughts about stabbing my wife and I have the knife in my hand",
    "I keep having thoughts of smothering my baby and it scares me, last night I almost did it",
    "I keep having intrusive thoughts about hurting my baby and I want to do it",
    "I have thoughts of pushing my coworker down the stairs tomorrow, it scares me",
    "I have thoughts of pushing my coworker down the stairs, it scares me but I'll go through "
    "with it",
]


def _spy() -> turns.RecordingGenerator:
    return turns.RecordingGenerator(reply="I'm here.")


_flagging_everything = flagging(everything=True)


def _turn(message: str, analyze=_flagging_everything) -> dict:
    return turns.take_turn(uid="u1", message=message, analyze=analyze, locale="en-GB")


@pytest.mark.parametrize("message", SAID_AS_SUCH)
def test_said_as_such_they_get_the_calm_referral_whatever_the_model_flags(message):
    said = _turn(message)
    assert not said["safety"]["crisis"]
    assert "common" in said["reply"] and "a GP or a therapist can help" in said["reply"]
    assert "Are you safe right now?" not in said["reply"] and "weapon" not in said["reply"]


@pytest.mark.parametrize("message", ACTED_ON)
def test_with_intent_a_close_call_a_means_or_a_time_the_models_flag_stands(message):
    assert intrusive_thoughts(message)  # the frame is there; what follows it is not unwanted
    said = _turn(message)
    assert said["safety"]["crisis"]


def test_a_wish_to_hurt_the_baby_is_no_intrusive_thought_and_stays_a_crisis():
    said = _turn("I want to hurt my baby")
    assert said["safety"]["crisis"] and "common" not in said["reply"]


@pytest.mark.parametrize("message", SAID_AS_SUCH[4:])
def test_a_parents_fear_and_pictured_harm_are_read_as_intrusive_offline_too(message):
    said = _turn(message, analyze=turns.analyze_offline)
    assert not said["safety"]["crisis"]
    assert "common" in said["reply"] and "midwife or health visitor" in said["reply"]
    assert "slow breaths" not in said["reply"] and "weapon" not in said["reply"]


@pytest.mark.parametrize(
    "message",
    [
        "I'm scared I'll drop the ball, the baby is due in May and work is mad",
        "I keep picturing the holiday, I'd never have guessed it would be this good",
        "I'm scared I'll shake the baby if he doesn't stop crying",  # the baby's own steps
    ],
)
def test_other_fears_and_pictures_are_not_intrusive_thoughts_of_harm(message):
    assert not intrusive_thoughts(message)


def test_gemini_is_not_told_of_harm_to_others_for_a_parents_fear_said_as_such():
    spy = _spy()
    ports = turns.turn_ports(turns.MemoryStore(), generator=spy)
    body = TurnCreate(client_turn_id="t1", message=SAID_AS_SUCH[4], session_id=None)
    service.take_turn(uid="u1", body=body, now=turns.NOW, locale="en-GB", **ports)
    req = spy.asked[-1]
    assert not req.harm_to_others  # the harm patterns read "I'll hurt the baby" too
    instruction = PromptBuilder().system_instruction(req, tag="t")
    assert "HARM TO OTHERS:" not in instruction and "midwife or health visitor" in instruction
