"""A baby shaken or feared to be, postpartum psychosis and a person with dementia gone missing
(the review of carers and new parents, HIGH 1 and 3, MEDIUM 7): the baby's own steps, not
"anything you could use as a weapon"; an emergency, with the emergency number first."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from common.analysis import with_model
from common.analysis.safety import assess_safety, crisis_kinds
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.family_safety import baby_harm
from common.labels import INTENTS, PACES, PERSONA_IDS, TONES
from common.model_client import ModelPrediction, parse_prediction
from common.replies.prompt import PromptBuilder
from tests.fakes import turns
from tests.fakes.turns import NOW

H = "harm_to_others"
RESPECT = "0808 802 4040"  # en-GB, for people worried about how they treat a partner
NSPCC = "0808 800 5000"  # en-GB, a child at risk, and support for parents


def _head(labels: tuple[str, ...]) -> dict:
    return {"label": labels[0], "probs": {x: 1 / len(labels) for x in labels}}


def _model(*flagged: str):
    """The analysis with the persona model answering, flagging `flagged` as a crisis."""

    class Model:
        def predict(self, text: str) -> ModelPrediction:
            crisis = text in flagged
            return parse_prediction({
                "tone": _head(TONES), "pace": _head(PACES), "intent": _head(INTENTS),
                "persona": _head(PERSONA_IDS), "model_version": "pm-test",
                "crisis": {"probability": 0.99 if crisis else 0.01, "flag": crisis},
            })  # fmt: skip

    return lambda text: with_model.analyze(text, model=Model())


class _Spy:
    costly = False

    def __init__(self) -> None:
        self.requests: list = []

    def generate(self, req):
        self.requests.append(req)
        return "I'm here."

    def stream(self, req):
        yield self.generate(req)


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
    said = _turn(_ports(analyze=_model(FEARS_SHAKING)), FEARS_SHAKING)
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
    spy = _Spy()
    _turn(_ports(generator=spy), "How do I plan my week?")
    instruction = PromptBuilder().system_instruction(spy.requests[-1], tag="t")
    assert "If a baby has been shaken" in instruction
    assert "put the baby down safely on their back in the cot" in instruction
