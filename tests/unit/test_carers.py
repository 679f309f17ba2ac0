"""Carers and new parents (the review of carers and new parents, MEDIUM 4 to 6, LOW 8): a carer
whose parent wants to die is told what the one who cares for them can do; carers' strain,
postnatal low mood and carers' rights at work get a referral that fits, not study steps."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.safety import responsible_for
from tests.fakes import turns
from tests.fakes.turns import NOW


def _ports(**overrides):
    return turns.turn_ports(turns.ActivityStore(), settings=Settings(), **overrides)


def _turn(ports, message, *, session_id=None, minutes=0, locale="en-GB") -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    now = NOW + timedelta(minutes=minutes)
    said, _ = service.take_turn(uid="u1", body=body, now=now, locale=locale, **ports)
    return said


# MEDIUM 4: each got "Telling a trusted adult ... even if you promised to keep it secret".
CARED_FOR_PARENTS = [
    "my dad with dementia keeps saying he wants to end it all",
    "I look after my mum and she keeps saying she wants to die",
    "my nan is in a care home and keeps saying she wants to die",
]


@pytest.mark.parametrize("message", CARED_FOR_PARENTS)
def test_a_parent_the_user_cares_for_is_one_they_answer_for(message):
    assert responsible_for(message)
    said = _turn(_ports(), message)
    assert "Ask them directly whether they are thinking of suicide" in said["reply"]
    assert "remove or lock away what they could use" in said["reply"]
    assert "trusted adult" not in said["reply"]


@pytest.mark.parametrize(
    "message",
    [
        "my mum keeps saying she wants to die",  # nothing says the user cares for her
        "I'm 15 and I look after my mum, she keeps saying she wants to die",  # a young carer
    ],
)
def test_a_parent_with_no_care_said_or_a_young_carers_parent_keeps_the_trusted_adult(message):
    said = _turn(_ports(), message)
    assert "Telling a trusted adult or someone who can help is the right thing" in said["reply"]


def test_an_age_said_earlier_in_the_session_counts_too():
    ports = _ports()
    first = _turn(ports, "I'm 16 and I have exams next week")
    said = _turn(ports, CARED_FOR_PARENTS[0], session_id=first["session_id"], minutes=1)
    assert "trusted adult" in said["reply"]
    assert not responsible_for(CARED_FOR_PARENTS[0], minor=True)
