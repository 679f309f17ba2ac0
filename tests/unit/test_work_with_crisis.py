"""Nurses, counsellors, moderators and crisis volunteers whose work brings suicide and self-harm
to them: a patient, client or caller in crisis is one they answer for, not a secret a young
friend keeps (the creative review: "I'm a nurse and a patient overdosed on my shift, how do I
debrief?" was told to tell "a trusted adult ... even if you promised to keep it secret")."""

from __future__ import annotations

import pytest

from common.replies.sensitive import heavy_event
from common.safety import crisis_reply, responsible_for
from tests.fakes import turns
from tests.unit.test_someone_else_crisis_reply import _resources, _turn


@pytest.mark.parametrize(
    "message",
    [
        "I'm a nurse and a patient overdosed on my shift, how do I debrief?",
        "my client told me she wants to kill herself",
        "a caller on my shift said he wants to die tonight",
        "my student said she wants to kill herself",
    ],
)
def test_a_patient_client_caller_or_student_in_crisis_gets_the_adults_reply(message):
    said = _turn(message)
    assert said["safety"]["crisis"] is True
    assert said["reply"] == crisis_reply(_resources(None), someone_else=True, responsible=True)
    assert "trusted adult" not in said["reply"] and "promised" not in said["reply"]


def test_a_no_that_names_a_client_gets_the_adults_reply():
    store = turns.MemoryStore()
    first = _turn("I'm a counsellor and a client disclosed suicidal thoughts today", store=store)
    answer = _turn("no, it's my client", store=store, session_id=first["session_id"], minutes=1)
    assert answer["reply"] == crisis_reply(_resources(None), someone_else=True, responsible=True)


def test_a_student_named_without_a_possessive_is_no_one_they_answer_for():
    # "a student" is as often the user themselves, or a classmate
    assert not responsible_for("a student in my class said she wants to die")


LIT_REVIEW = (
    "writing a thesis on suicide prevention among farmers, how do I structure the lit review?"
)


@pytest.mark.parametrize(
    ("message", "heavy"),
    [
        ("my brother's suicide last year still hits me", True),
        ("his suicide", True),
        ("the suicide of my best friend", True),
        ("I lost my dad to suicide", True),
        ("after Sam's suicide I can't focus", True),
        # the creative review: study of suicide is no loss ("tell someone close to you how
        # you're really feeling" to a lit-review question, then slow breaths to the next)
        (LIT_REVIEW, False),
        ("essay on suicide rates", False),
        ("the industry's suicide rates have doubled since 2010", False),
    ],
)
def test_a_suicide_is_a_loss_only_as_someones(message, heavy):
    assert heavy_event(message) is heavy
