"""A baby shaken or feared to be, postpartum psychosis and a person with dementia gone missing
(the review of carers and new parents, HIGH 1 and 3, MEDIUM 7): the baby's own steps, not
"anything you could use as a weapon"; an emergency, with the emergency number first."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from common.analysis.safety import MISSING, PSYCHOSIS, assess_safety, crisis_kinds, crisis_tags
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.family_safety import baby_harm
from common.replies.prompt import PromptBuilder
from tests.fakes import turns
from tests.fakes.model import flagging
from tests.fakes.turns import NOW

H = "harm_to_others"
RESPECT = "0808 802 4040"  # en-GB, for people worried about how they treat a partner
NSPCC = "0808 800 5000"  # en-GB, a child at risk, and support for parents


def _spy() -> turns.RecordingGenerator:
    return turns.RecordingGenerator(reply="I'm here.")


def _ports(**overrides):
    return turns.turn_ports(turns.ActivityStore(), settings=Settings(), **overrides)


def _turn(ports, message, *, session_id=None, minutes=0, locale="en-GB") -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    now = NOW + timedelta(minutes=minutes)
    said, _ = service.take_turn(uid="u1", body=body, now=now, locale=locale, **ports)
    return said


SHAKEN = "I shook my baby earlier, he seems fine now but I feel awful"
WANTS_TO_SHAKE = "the baby has been screaming for hours and I want to shake him"
FEARS_SHAKING = "I'm scared I'll shake the baby if he doesn't stop crying"


def test_a_baby_shaken_earlier_is_sent_to_the_emergency_department_not_told_of_weapons():
    said = _turn(_ports(), SHAKEN)
    assert said["safety"]["crisis"]
    reply = said["reply"]
    assert "999" in reply and "A&E" in reply and "tell the staff they were shaken" in reply
    assert "even if they seem well" in reply
    assert "weapon" not in reply
    lines = said["safety"]["resources"]
    assert "999" in lines[0] and NSPCC in lines[1]  # the child line supports parents
    assert not any(RESPECT in line for line in lines)  # the line for abusers of a partner


def test_a_care_turn_after_it_asks_whether_the_baby_has_been_seen_with_no_weapon():
    ports = _ports()
    first = _turn(ports, SHAKEN)
    after = _turn(ports, "i don't know", session_id=first["session_id"], minutes=1)
    assert "If your baby hasn't been seen by a doctor yet" in after["reply"]
    assert "weapon" not in after["reply"]


def test_wanting_to_shake_a_screaming_baby_is_a_sign_of_harm():
    assert H in crisis_kinds(WANTS_TO_SHAKE)
    assert not assess_safety(WANTS_TO_SHAKE).crisis  # a sign that needs a second one


def test_below_the_threshold_it_gets_the_steps_for_a_crying_baby_first():
    said = _turn(_ports(), WANTS_TO_SHAKE)
    assert not said["safety"]["crisis"]
    reply = said["reply"]
    assert "put the baby down somewhere safe, on their back in the cot" in reply
    assert "never shake a baby" in reply and "walk away" in reply and NSPCC in reply
    assert "ten-minute walk" not in reply and "weapon" not in reply


def test_the_fear_of_shaking_flagged_by_the_model_gets_the_steps_and_the_harm_question():
    said = _turn(_ports(analyze=flagging(FEARS_SHAKING)), FEARS_SHAKING)
    assert said["safety"]["crisis"]
    reply = said["reply"]
    assert "on their back in the cot" in reply and "it's OK to walk away" in reply
    assert "Crying is normal and it will stop" in reply and "never shake a baby" in reply
    assert "weapon" not in reply and reply.endswith("Is anyone in danger right now?")


@pytest.mark.parametrize(
    "message",
    [
        "I shook the rug out on the balcony",
        "we need to shake things up at work",
        "my baby brother is 30 and I want to shake him",
        "my project is my baby and I want to shake it up",
        "the baby is asleep, I want to shake him awake for his feed",
    ],
)
def test_other_shaking_and_other_babies_read_nothing(message):
    assert crisis_kinds(message) == set()


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (SHAKEN, "shaken"),
        (WANTS_TO_SHAKE, "crying"),
        ("I'm losing it, the newborn won't stop crying", "crying"),
        ("I never shook him, but the baby won't stop crying", "crying"),
        ("my baby brother is 30 and cries at films", ""),
        ("my project is my baby and the team is crying", ""),
        ("I shook the rug", ""),
    ],
)
def test_what_a_message_says_of_a_baby(message, kind):
    assert baby_harm(message) == kind


def test_every_prompt_says_what_to_do_for_a_baby_shaken_or_crying():
    spy = _spy()
    _turn(_ports(generator=spy), "How do I plan my week?")
    instruction = PromptBuilder().system_instruction(spy.asked[-1], tag="t")
    assert "If a baby has been shaken" in instruction
    assert "put the baby down safely on their back in the cot" in instruction


# HIGH 3: crisis False and "tell someone close to you how you're really feeling".
PSYCHOSIS_SIGNS = [
    "I hear voices telling me the baby is evil",
    "I haven't slept in days, I feel like the baby isn't mine and someone swapped him",
    "my wife hasn't slept for days since the birth, she's talking strangely and says the baby "
    "is the devil",
]
# MEDIUM 7: "step outside for a ten-minute walk".
MISSING_NOW = [
    "my mum with dementia has gone missing and it's dark",
    "my dad with dementia wandered off and I can't find him anywhere",
    "my nan has dementia and she's missing, the police are looking",
]
NOT_AN_EMERGENCY = [
    "the baby is the devil at bedtime lol",
    "since the birth the baby has been a little devil at night",
    "I can hear voices from the baby monitor, is the nursery too loud?",
    "the nurses swapped him to a different cot after the birth",
    "I haven't slept in 3 days with the newborn",
    "we watched a film about a woman hearing voices after the birth of her baby",
    "how do I stop my dad with dementia wandering at night? need a plan fast",
    "my mum has dementia and keeps wandering out at night",
    "my mum with dementia went missing last week but she was found",
    "my nan has dementia and is missing her old house",
    "I can't find her keys, my mum with dementia hid them",
]


@pytest.mark.parametrize("message", PSYCHOSIS_SIGNS)
def test_signs_of_postpartum_psychosis_are_an_emergency_with_same_day_help(message):
    assert crisis_kinds(message) == {"emergency"} and PSYCHOSIS in crisis_tags(message)
    said = _turn(_ports(), message)
    assert said["safety"]["crisis"]
    reply = said["reply"]
    assert "postpartum psychosis" in reply and "999" in reply and "A&E" in reply
    assert "same-day appointment with a GP" in reply and "NHS 111" in reply
    assert "don't leave the mother alone with the baby" in reply


@pytest.mark.parametrize("message", MISSING_NOW)
def test_a_person_with_dementia_missing_now_is_an_emergency_for_the_police(message):
    assert crisis_kinds(message) == {"emergency"} and MISSING in crisis_tags(message)
    said = _turn(_ports(), message)
    assert said["safety"]["crisis"]
    assert said["reply"].startswith("Please call 999 now and tell them the person missing has")
    assert "Herbert Protocol" in said["reply"] and "walk" not in said["reply"]


@pytest.mark.parametrize("message", NOT_AN_EMERGENCY)
def test_jokes_a_monitor_a_cot_a_film_and_wandering_in_general_are_no_emergency(message):
    assert "emergency" not in crisis_kinds(message)


def test_another_locale_gets_its_own_number_and_a_crisis_line_read_too_is_listed_after():
    said = _turn(_ports(), MISSING_NOW[0], locale="en-US")
    assert said["reply"].startswith("Please call 911 now")
    both = "I hear voices telling me the baby is evil and I want to kill myself"
    reply = _turn(_ports(), both)["reply"]
    assert "postpartum psychosis" in reply and "These lines can help too" in reply
    assert "116 123" in reply  # Samaritans, as the emergency reply lists the crisis lines


def test_every_prompt_names_postpartum_psychosis_and_a_missing_person_with_dementia():
    spy = _spy()
    _turn(_ports(generator=spy), "How do I plan my week?")
    instruction = PromptBuilder().system_instruction(spy.asked[-1], tag="t")
    assert "postpartum psychosis, a medical emergency" in instruction
    assert "a person with dementia who has gone missing" in instruction
