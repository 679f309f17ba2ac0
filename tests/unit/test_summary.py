"""The running summary of older turns (common/sessions/summary.py): what the user tried, the
topics, the tones; more cases of extract_tried and keywords are in test_session_state.py."""

from __future__ import annotations

import pytest

from common.sessions.summary import MAX_ITEMS, SessionSummary, extract_tried, fold_turn, keywords


@pytest.mark.parametrize(
    ("message", "tried"),
    [
        ("I also tried meditating before bed", ["meditating before bed"]),
        # Three letters are enough: a therapy or a tool is often an acronym.
        ("I tried CBT but it didn't help", ["CBT"]),
        # A way of hurting oneself is never kept as a fix that failed, with or without "again".
        ("I tried cutting again but it didn't help", []),
        ("I tried cutting more", []),
        ("I tried jumping off the bridge but I couldn't", []),
        # Methods the patterns did not know either (mutation testing round 2): "Since slitting
        # my wrists didn't resolve it" was the reply, and the summary kept it for Gemini.
        ("I tried slitting my wrists but it did not help", []),
        ("I already tried stabbing myself", []),
        ("I tried poisoning myself but nothing", []),
        ("I tried carving into my arm", []),
        ("I already tried killing myself", []),
        ("I tried taking my own life", []),
        # ...and their ordinary uses
        ("I tried choking down the vitamins", ["choking down the vitamins"]),
        ("I tried taking myself out for walks", ["taking myself out for walks"]),
    ],
)
def test_what_the_user_tried_is_kept_unless_it_is_a_way_of_self_harm(message, tried):
    assert extract_tried(message) == tried


def test_a_full_summary_keeps_the_latest_attempts_and_tones():
    # Past MAX_ITEMS the oldest go: what the user just tried must not be suggested again.
    s = SessionSummary()
    for i in range(MAX_ITEMS + 2):
        last = i == MAX_ITEMS + 1
        s = fold_turn(s, message=f"I tried option {i}", tone="sad" if last else "calm", entities=())
    assert len(s.tried) == MAX_ITEMS and len(s.tones) == MAX_ITEMS
    assert s.tried[-1] == f"option {MAX_ITEMS + 1}" and "option 0" not in s.tried
    assert s.tones[-1] == "sad"


def test_keywords_are_distinct_words_that_begin_with_a_letter():
    assert keywords("account 123456 locked again") == ["account", "locked"]
    assert keywords("deadline deadline deadline project budget") == [
        "deadline",
        "project",
        "budget",
    ]
    assert keywords("my 'deadline' moved because of budget cuts") == [
        "deadline",
        "moved",
        "budget",
    ]


def test_a_method_of_self_harm_is_never_a_topic():
    assert keywords("slitting stabbing poisoning strangling suffocating wrist project") == [
        "project"
    ]


def test_keywords_stop_at_the_limit():
    message = "portfolio website redesign launch checklist"
    assert keywords(message) == ["portfolio", "website", "redesign"]
    assert keywords(message, limit=4) == ["portfolio", "website", "redesign", "launch"]
