"""A crisis told in the past or of recovery is lived experience, not a crisis now.

The recovery review: the patterns flagged 12 of its 16 such messages ("I'm 30 days clean from
self harm today!" at 0.8), and the user got the acute crisis reply, "Are you safe right now?"
and care; in care, "I'm not suicidal anymore, therapy really helped" (the model's 0.988) got
the whole crisis reply again. A relapse stays a crisis."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.analysis.safety import assess_safety
from common.lived_experience import LIVED_EXPERIENCE_REPLIES, lived_experience_reply
from common.routing.ensemble import CARE_PERSONA
from common.safety import CARE_REASONS, resources_for
from tests.fakes import turns
from tests.fakes.model import flagging

# The review's own, each flagged by the patterns before.
TOLD_OF_THE_PAST = [
    "I used to cut myself but I've been clean for 2 years",
    "a year ago I tried to kill myself, today I got the job",
    "my therapist and I are working on my suicidal thoughts and they're much better",
    "I used to self harm, 3 years clean now and I'm mentoring others",
    "I attempted suicide in 2019. Now I volunteer at a crisis line and want to grow into a "
    "team lead role",
    "I used to want to die every day. Now I actually look forward to Mondays",
    "I'm a survivor of a suicide attempt and I want to talk about career goals",
    "I used to make myself throw up after meals, but I've been in recovery for a year",
    "I'm 30 days clean from self harm today!",
    "I had suicidal thoughts last year but I'm in a much better place now",
    "I overdosed two years ago and now I'm celebrating my recovery",
    "my recovery anniversary is tomorrow, 1 year since my suicide attempt",
]
# Back, or now: the frame does not hold (a present-risk cue, or a sign outside the frame).
STILL_A_CRISIS = [
    "I cut again last night after 2 years clean",
    "I'm worried I'll start cutting again, the urges are back",
    "I've been purging again",
    "I'm scared I'll relapse and cut myself",
    "I used to self harm and now I want to die",
    "I used to cut. Now I want to die.",
    "I've been in recovery for a year but I keep thinking about suicide",
    "I'm 2 years clean but I want to kill myself",
    "I'm in recovery from self harm and I cut myself today",
    "I've been cutting myself since last year",
    "I attempted suicide a year ago and I have the pills ready",
    "I tried to kill myself a year ago. I still think about it every day",
    "Suicidal again. Same as last winter.",
    # that it has not passed (the merge's re-read: the model's flag was overridden here)
    "I survived a suicide attempt last year and honestly nothing has changed",
    "I tried to kill myself two years ago and it hasn't got any better",
]
MODEL_ONLY = "I'm not suicidal anymore, therapy really helped"  # the model's 0.988


@pytest.mark.parametrize("message", TOLD_OF_THE_PAST)
def test_a_crisis_told_of_the_past_is_no_crisis_to_the_patterns(message):
    safety = assess_safety(message)
    assert safety.crisis is False and safety.lived_experience is True


@pytest.mark.parametrize("message", STILL_A_CRISIS)
def test_a_relapse_or_a_sign_outside_the_frame_stays_a_crisis(message):
    safety = assess_safety(message)
    assert safety.crisis is True and safety.lived_experience is False


@pytest.mark.parametrize("message", TOLD_OF_THE_PAST[:3])
def test_it_gets_the_lines_without_the_question_or_care(message):
    store, publisher = turns.ActivityStore(), turns.Publisher()
    said = turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                           store=store, publisher=publisher)  # fmt: skip
    lines = resources_for(None, default_locale="en-US")
    assert said["reply"] == lived_experience_reply(lines)
    assert "Are you safe right now?" not in said["reply"] and "988" in said["reply"]
    assert said["safety"]["crisis"] is False
    assert said["persona"]["reasons"] != [CARE_REASONS["en"]]
    assert not [e for e in publisher.events if e.type == "safety.crisis_detected"]
    turn = next(e for e in publisher.events if e.type == "chat.turn.completed")
    assert turn.data["lived_experience"] is True
    session = store.sessions[said["session_id"]]
    assert not session.in_care(turns.NOW) and session.not_safe_until is None
    assert store.activity["u1"]["crisis_at"] is None
    # the next turn is answered, not met with care's words
    later = turns.take_turn(uid="u1", message="how do I prepare for my first day?",
                            analyze=turns.analyze_offline, store=store,
                            session_id=said["session_id"],
                            now=turns.NOW + timedelta(minutes=2))  # fmt: skip
    assert "There's no need to fix or decide anything" not in later["reply"]


def test_the_models_flag_alone_does_not_make_a_crisis_of_it():
    analysis, _ = flagging(MODEL_ONLY, *TOLD_OF_THE_PAST, *STILL_A_CRISIS)(MODEL_ONLY)
    assert analysis.safety.crisis is False and analysis.safety.lived_experience is True
    assert analysis.safety.detected_by == ()
    for message in TOLD_OF_THE_PAST:
        assert flagging(message)(message)[0].safety.crisis is False, message
    # but a relapse the patterns do not read, or a frame with no crisis named in it, stays one
    for message in ("I'm scared I'll relapse and cut", "I used to love this job, now it's all "
                    "pointless", "I relapsed last night"):  # fmt: skip
        analysis, _ = flagging(message)(message)
        assert analysis.safety.crisis is True, message
        assert analysis.safety.detected_by == ("model",)


# Told of the past, with a wish to act or try again: the model's flag stands, and the patterns'
# reading is no lived experience (common.analysis.acute; the first was read as told of the past
# and got no crisis reply).
MEANS_TO_ACT = [
    "Survived an attempt in May\u2026 waiting for a better chance to finish it",
    "I survived a suicide attempt last year, unfortunately",
    "I tried to overdose two years ago, I wish it had worked",
    "I used to cut myself. Next time I'll do it properly",
    "I attempted suicide in 2019 and I'm still waiting for the courage to finish the job",
]
# The same frames with ordinary plans: the override holds.
NO_MEANS = [
    "I used to self harm but now I'm writing a novel and want to finish it",
    "I attempted suicide in 2019, now I'm waiting for the right time to ask for a raise",
]


@pytest.mark.parametrize("message", MEANS_TO_ACT)
def test_a_wish_to_act_or_try_again_keeps_the_models_flag(message):
    analysis, _ = flagging(message)(message)
    assert analysis.safety.crisis is True and analysis.safety.lived_experience is False
    assert assess_safety(message).lived_experience is False


@pytest.mark.parametrize("message", NO_MEANS)
def test_an_ordinary_plan_after_the_frame_does_not(message):
    analysis, _ = flagging(message)(message)
    assert analysis.safety.crisis is False and analysis.safety.lived_experience is True


def test_in_care_it_is_a_care_turn_not_the_crisis_reply_again():
    analyze = flagging(MODEL_ONLY, "I want to kill myself")
    store = turns.ActivityStore()
    first = turns.take_turn(uid="u1", message="I want to kill myself", analyze=analyze,
                            store=store)  # fmt: skip
    said = turns.take_turn(uid="u1", message=MODEL_ONLY, analyze=analyze, store=store,
                           session_id=first["session_id"],
                           now=turns.NOW + timedelta(minutes=2))  # fmt: skip
    assert said["safety"]["crisis"] is False and said["persona"]["id"] == CARE_PERSONA
    assert "Are you safe right now?" not in said["reply"]
    assert said["reply"] != first["reply"]


def test_the_reply_is_written_in_each_language_of_the_crisis_reply_but_japanese():
    assert set(LIVED_EXPERIENCE_REPLIES) == {"en", "de", "fr", "es", "pt"}
    for language in LIVED_EXPERIENCE_REPLIES:
        said = lived_experience_reply(("line one", "line two"), language=language)
        assert "• line one\n• line two" in said and "?" not in said, language
    assert lived_experience_reply(("x",), language="ja") == lived_experience_reply(("x",))
