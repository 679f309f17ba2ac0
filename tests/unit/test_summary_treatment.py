"""Treatment or support is never remembered as a fix that failed.

The recovery review: Riri's "OK, the idea to ... (and AA meetings) didn't cut it, so scrap
that: new angle", Elro's "... (and my meal plan from the clinic) didn't resolve it, let's rule
that out", and Gemini's notes "Earlier they tried: AA meetings and rehab before that"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.sessions.summary import SessionSummary, extract_tried, fold_turn
from tests.fakes import turns


@pytest.mark.parametrize(
    "message",
    [
        "I tried AA meetings but I still want to drink",
        "I tried rehab twice but it did not stick",
        "I tried my meal plan from the clinic but it didn't help",
        "I tried therapy, it was ok",
        "I already tried talking to my sponsor",
        "I tried the outpatient program last year",
    ],
)
def test_treatment_is_no_attempt(message):
    assert extract_tried(message) == []


def test_attempts_at_work_with_the_same_words_still_are():
    assert extract_tried("I tried fewer meetings this week") == ["fewer meetings this week"]
    assert extract_tried("I tried rewriting the program") == ["rewriting the program"]


def test_the_notes_keep_none():
    said = "I've been sober 8 months, I tried AA meetings and rehab before that"
    folded = fold_turn(SessionSummary(), message=said, tone="calm", entities=())
    assert folded.tried == ()


@pytest.mark.parametrize("persona", ["riri", "elro", "nana"])
def test_the_follow_up_does_not_call_it_a_failed_idea(persona):
    store, sid = turns.ActivityStore(), None
    for i, message in enumerate(
        ("I tried my meal plan from the clinic but it didn't help", "still not working")
    ):
        said = turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                               store=store, session_id=sid, persona=persona,
                               now=turns.NOW + timedelta(minutes=2 * i))  # fmt: skip
        sid = said["session_id"]
    assert "meal plan" not in said["reply"], said["reply"]
