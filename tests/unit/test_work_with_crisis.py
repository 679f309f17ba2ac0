"""Nurses, counsellors, moderators and crisis volunteers whose work brings suicide and self-harm
to them: a patient, client or caller in crisis is one they answer for, not a secret a young
friend keeps (the creative review: "I'm a nurse and a patient overdosed on my shift, how do I
debrief?" was told to tell "a trusted adult ... even if you promised to keep it secret")."""

from __future__ import annotations

import pytest

from common.analysis import assess_safety
from common.personas import PERSONAS
from common.replies import PromptBuilder, ReplyRequest, TemplateGenerator
from common.replies.readers.exposure import occupational_exposure
from common.replies.readers.heavy import heavy_event
from common.safety import crisis_reply, responsible_for
from tests.fakes import turns
from tests.fakes.analysis import make_analysis
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
    lines = tuple(said["safety"]["resources"])
    if "overdosed" in message:  # something taken: the emergency line, then poison help, first
        assert lines[0].startswith("If you are in immediate danger")
        assert lines[1].startswith("Poison Help")
        assert set(lines[2:]) == set(_resources(None)) - {lines[0]}
    else:
        assert lines == tuple(_resources(None))
    assert said["reply"] == crisis_reply(lines, someone_else=True, responsible=True)
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


# The creative review: "I volunteer on a crisis line, any tips for not taking it home?" got
# "review your notes for five minutes"; no reply named a debrief, supervision, peer support or
# an employee assistance programme.
EXPOSED = [
    "I volunteer on a crisis line, any tips for not taking it home?",
    "I'm a content moderator and I've started having nightmares about the videos",
    "I'm a hospice nurse and I'm numb after three deaths this week",
    "I moderate a forum and have to read self-harm posts all day, how do I cope?",
]
NOT_EXPOSED = [
    "how do I cope with my nursing exams?",
    "I volunteer at the library on weekends, any tips for a reading club?",
]


@pytest.mark.parametrize("message", EXPOSED)
@pytest.mark.parametrize("persona", list(PERSONAS))
def test_what_caring_work_exposes_them_to_gets_what_helps_with_it(message, persona):
    reply = TemplateGenerator().generate(ReplyRequest(PERSONAS[persona], message, make_analysis()))
    for helps in ("debrief", "supervisor", "peer support", "employee assistance programme"):
        assert helps in reply, (helps, reply)
    assert "limits" in reply or "cap your exposure" in reply


@pytest.mark.parametrize("message", NOT_EXPOSED)
def test_a_nursing_exam_or_a_library_shift_is_no_exposure(message):
    assert not occupational_exposure(message)


def test_the_prompt_has_the_exposure_rule_only_when_it_applies():
    def rules(message: str) -> str:
        asked = ReplyRequest(PERSONAS["lua"], message, make_analysis())
        return PromptBuilder().build(asked).system_instruction

    assert "employee assistance programme" in rules(EXPOSED[0])
    assert "employee assistance programme" not in rules(NOT_EXPOSED[0])


def test_a_moderators_self_harm_posts_are_not_their_crisis():
    assert not assess_safety(EXPOSED[3]).crisis
    said = _turn(EXPOSED[3])
    assert said["safety"]["crisis"] is False and "debrief" in said["reply"]
    # reading them, with no work that makes them read, is read as before
    assert assess_safety("I keep reading self-harm posts").crisis
    assert assess_safety("I have to read self-harm posts all day and I want to die").crisis
