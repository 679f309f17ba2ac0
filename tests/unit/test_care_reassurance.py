"""In care, a reassurance only the persona model flags is a care turn, not a new crisis.

The crisis journey review: three turns after a crisis, "i'm ok now i think" scored 0.234
against the model's 0.213 threshold and got the whole crisis reply again ("I'm really glad you
told me... Are you safe right now?"), with a safety.crisis_detected event."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from common.analysis.baseline import analyze_baseline
from common.analysis.types import Safety
from common.chat import service
from common.chat.models import TurnCreate
from common.replies.prompt import PromptBuilder
from common.replies.template import _CARE_BODY, _CARE_BODY_AGAIN
from common.routing.ensemble import CARE_PERSONA
from common.safety import CARE_ALL_RIGHT, CARE_JUST_AFTER, CARE_REMINDER, reassures
from tests.fakes import turns

OK_NOW = "i'm ok now i think"


def model(*flagged: str):
    """The analysis as the model gives it, flagging `flagged` as a crisis (with the patterns'
    own catches, as common.analysis.with_model joins them)."""

    def analyze(text: str):
        analysis = analyze_baseline(text)
        if text in flagged:
            by = ("model", *analysis.safety.detected_by)
            analysis = replace(analysis, safety=Safety(True, 0.234, detected_by=by))
        return analysis, []

    return analyze


def _after_crisis(message: str, *, first: str = "I want to kill myself", analyze=None):
    """`first`, then `message` a minute later in the same session: (its response, the store,
    the events published)."""
    analyze = analyze or model(message)
    store, publisher = turns.MemoryStore(), turns.Publisher()
    sid = turns.take_turn(uid="u1", message=first, analyze=analyze, store=store)["session_id"]
    publisher.events.clear()
    said = turns.take_turn(uid="u1", message=message, analyze=analyze, store=store,
                           publisher=publisher, session_id=sid,
                           now=turns.NOW + timedelta(minutes=1))  # fmt: skip
    return said, store.sessions[sid], publisher.events


def _crisis_events(events) -> list:
    return [e for e in events if e.type == "safety.crisis_detected"]


def test_in_care_a_reassurance_only_the_model_flags_is_a_care_turn():
    said, session, events = _after_crisis(OK_NOW)
    assert said["safety"]["crisis"] is False
    assert said["persona"]["id"] == CARE_PERSONA
    assert "Are you safe right now?" not in said["reply"]
    assert not _crisis_events(events)
    assert not session.window[-1].crisis
    assert session.care_until == 3  # care as the crisis turn started it, not started again


def test_in_care_after_a_no_in_another_session_it_is_a_care_turn_too():
    analyze = model(OK_NOW)
    store, publisher = turns.ActivityStore(), turns.Publisher()
    sid = turns.take_turn(uid="u1", message="I want to kill myself", analyze=analyze,
                          store=store)["session_id"]  # fmt: skip
    turns.take_turn(uid="u1", message="no", analyze=analyze, store=store, session_id=sid,
                    now=turns.NOW + timedelta(minutes=1))  # fmt: skip
    said = turns.take_turn(uid="u1", message=OK_NOW, analyze=analyze, store=store,
                           publisher=publisher, now=turns.NOW + timedelta(hours=5))  # fmt: skip
    assert said["safety"]["crisis"] is False and said["persona"]["id"] == CARE_PERSONA
    assert not _crisis_events(publisher.events)


def test_in_care_a_reassurance_the_patterns_also_flag_is_a_crisis():
    said, _, events = _after_crisis(f"{OK_NOW}, but i still want to die")
    assert said["safety"]["crisis"] is True and said["safety"]["resources"]
    assert [e.data["detected_by"] for e in _crisis_events(events)] == ["model+patterns"]


def test_in_care_a_reassurance_that_is_also_a_crisis_pattern_is_a_crisis():
    # "not going to hurt myself" reassures, and the patterns match "hurt myself" in it: the
    # patterns' catch is never undone in care, whatever the model adds.
    message = "i'm not going to hurt myself"
    assert reassures(message) and analyze_baseline(message).safety.crisis
    said, _, events = _after_crisis(message)
    assert said["safety"]["crisis"] is True and said["safety"]["resources"]
    assert [e.data["detected_by"] for e in _crisis_events(events)] == ["model+patterns"]


def test_in_care_anything_else_only_the_model_flags_is_still_a_crisis():
    # "please" reassures no one: it may be a plea.
    said, _, events = _after_crisis("please")
    assert said["safety"]["crisis"] is True and len(_crisis_events(events)) == 1


def test_outside_care_a_reassurance_only_the_model_flags_is_a_crisis():
    said, _, events = _after_crisis(OK_NOW, first="how do I stop procrastinating on my thesis?")
    assert said["safety"]["crisis"] is True and len(_crisis_events(events)) == 1


@pytest.mark.parametrize(
    "message",
    [OK_NOW, "thanks", "I'm fine.", "i am not suicidal", "i'm fine now, thanks", "all good really",
     "im ok i promise", "thanks, that helps", "i'm okay, just tired", "no jk", "jk lol",
     # the words the crisis reply answered, taken back (the dark-humour review)
     "im not gonna kms lol", "i'm not going to kill myself, it was a joke", "i wont hurt myself"],
)  # fmt: skip
def test_a_whole_reassurance_reassures(message):
    assert reassures(message)


@pytest.mark.parametrize(
    "message",
    [
        "please",
        "im not okay",
        "no",
        "im fine but i have the pills",  # says not safe again
        "im fine. tonight is the night",  # more than a few words after it: could be anything
        # a farewell after a reassurance (the review of the session's diff): any tail but a few
        # harmless words could be one
        "i'm fine. goodbye everyone",
        "i'm fine. tonight's the night",
        "i'm fine. it's over",
        "i'm fine. forgive me",
        "im ok. goodbye world",
        "i'm fine. i'm done",
        "thank you. goodbye everyone",
        "thanks. goodbye",
        "thank you for everything",
        "i'm fine, it's decided",
        "no jk i want to die",  # a take-back, then the danger again
        "im not gonna kill myself but i want to die",
        "no joke",  # an intensifier
    ],
)
def test_anything_else_does_not(message):
    assert not reassures(message)


# The dark-humour review: after a false alarm ("kms this standup is 45 min again"), a joking
# "no lol" to "Are you safe right now?" began a day of care in which every request got one of
# two no-help texts ("There's no need to fix or decide anything right now"), even after "im
# fine it was a joke"; only an operator could end it. Care stands, but once the user says they
# are all right, what they ask is answered, calmly, with the resources' reminder.
JOKE = ("kms this standup is 45 min again", "no lol", "im fine it was a joke")
REQUEST = "can you help me prep for my interview tomorrow?"


def _said(*messages: str) -> tuple[list[dict], turns.ActivityStore, str]:
    """`messages` a minute apart in one session: (the responses, the store, the session id)."""
    store, sid, said = turns.ActivityStore(), None, []
    for i, message in enumerate(messages):
        said.append(turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                                    store=store, session_id=sid,
                                    now=turns.NOW + timedelta(minutes=i)))  # fmt: skip
        sid = said[-1]["session_id"]
    return said, store, sid


def _care_text(reply: str) -> bool:
    return any(body in reply for body in (*_CARE_BODY.values(), *_CARE_BODY_AGAIN.values()))


@pytest.mark.parametrize("no", ["no lol", "lol no", "no 😂", "nah"])
def test_in_care_once_the_user_says_they_are_all_right_their_requests_are_answered(no):
    later = [REQUEST, "ok so how do i write a cover letter that doesnt sound fake"] * 3
    said, store, sid = _said(JOKE[0], no, JOKE[2], *later)
    assert said[1]["safety"]["crisis"] is True  # the no: a day of care, as before
    assert said[2]["reply"] == f"{CARE_ALL_RIGHT} {CARE_REMINDER}"
    for r in said[3:]:  # past the window's 5 turns too
        assert not _care_text(r["reply"]) and r["reply"].endswith(CARE_REMINDER), r["reply"]
        assert r["persona"]["id"] == CARE_PERSONA and r["safety"]["crisis"] is False
    assert store.sessions[sid].in_care(turns.NOW + timedelta(hours=23))  # care stands


def test_thanks_alone_a_flagged_reassurance_or_a_crisis_after_it_keeps_cares_text():
    # Politeness says nothing of how they are; a reassurance a detector flags (the model
    # alone: still a care turn) is not taken at its word; a crisis after it starts care afresh.
    for messages in (
        (*JOKE[:2], "thanks", REQUEST),
        (*JOKE[:2], "no worries", REQUEST),
        (*JOKE, "i want to die", REQUEST),
    ):
        said, _, _ = _said(*messages)
        assert _care_text(said[-1]["reply"]), messages
    store, sid, analyze = turns.ActivityStore(), None, model(JOKE[2])
    for i, message in enumerate((*JOKE, REQUEST)):
        said = turns.take_turn(uid="u1", message=message, analyze=analyze, store=store,
                               session_id=sid, now=turns.NOW + timedelta(minutes=i))  # fmt: skip
        sid = said["session_id"]
    assert _care_text(said["reply"])


def test_the_gemini_prompt_answers_the_request_with_the_resources_once_they_are_all_right():
    _, store, sid = _said(*JOKE)
    model = turns.RecordingGenerator()
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=REQUEST, session_id=sid)
    service.take_turn(uid="u1", body=body, **turns.turn_ports(store, generator=model),
                      now=turns.NOW + timedelta(minutes=5))  # fmt: skip
    (asked,) = model.asked
    assert asked.care and asked.all_right and asked.care_resources
    text = PromptBuilder().build(asked).system_instruction
    assert "CARE:" not in text and "answer what they ask" in text
    assert "these resources are still there: " + "; ".join(asked.care_resources) in text


def test_an_all_right_said_before_a_crisis_in_another_session_does_not_count():
    store, at = turns.ActivityStore(), iter(turns.NOW + timedelta(minutes=i) for i in range(9))

    def turn(message: str, sid: str | None = None) -> dict:
        return turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                               store=store, session_id=sid, now=next(at))  # fmt: skip

    first = turn("i'm fine, thanks")["session_id"]
    other = turn("I want to kill myself")["session_id"]
    turn("no", other)  # a day of care, this session's and the first's
    assert _care_text(turn(REQUEST, first)["reply"])
    turn("im fine it was a joke", first)
    assert not _care_text(turn(REQUEST, first)["reply"])


def test_after_a_take_back_in_the_flagged_words_the_next_reply_does_not_repeat_its_opening():
    # The final re-read: the take-back's reply begins with CARE_JUST_AFTER, and the rule "the
    # crisis reply is just above" (the take-back stays a crisis turn) began the next one with
    # the same sentence again.
    said, _, _ = _said(
        "I want to kill myself", "im not going to kill myself, it was a joke", REQUEST
    )
    assert said[1]["reply"].startswith(CARE_JUST_AFTER)
    assert not said[2]["reply"].startswith(CARE_JUST_AFTER), said[2]["reply"]


@pytest.mark.parametrize("message", ["omg no im fine", "lmao no im fine", "hahaha no im fine"])
def test_laughter_before_the_no_reassures_as_it_is_read_before_a_no(message):
    # The final re-read: _BEFORE_NO took "omg", "lmao", "haha" as leaving a no a no, while the
    # reassurance's fillers knew only "lol" and "haha": "omg no im fine" reassured no one.
    assert reassures(message)
