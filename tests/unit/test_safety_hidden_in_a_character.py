"""A crisis told through a character the user says is them is theirs (the creative review: "my
character wants to kill herself and she's basically me" got the reply for a worried friend,
"my character is me honestly and she doesn't make it" and "she doesn't make it. I don't think
I will either." no reply for a crisis at all)."""

from __future__ import annotations

import pytest

from common.analysis import assess_safety
from common.analysis.safety import about_someone_else, says_it_of_themselves

THEIRS = [
    "my character is me honestly and she doesn't make it",
    "She doesn't make it. She's basically me.",
    "she doesn't make it. I don't think I will either.",
    "he won't survive, neither will I",
]
ORDINARY = [
    "my character is based on me and she becomes a lawyer",
    "she's basically me but braver",
    "he doesn't make it to the meeting, I don't think I will either",
    "it's me again! my build doesn't make it past CI",
]


@pytest.mark.parametrize("message", THEIRS)
def test_a_character_who_is_them_and_does_not_make_it_is_a_crisis(message):
    assert assess_safety(message).crisis


@pytest.mark.parametrize("message", ORDINARY)
def test_a_character_like_them_or_a_meeting_missed_is_not(message):
    assert not assess_safety(message).crisis


@pytest.mark.parametrize(
    "message",
    [
        "my character wants to kill herself and she's basically me",
        "my character wants to kill herself and honestly it's me",
        "my character wants to kill herself, her goodbye letters are really mine",
    ],
)
def test_a_characters_crisis_they_say_is_theirs_is_not_someone_elses(message):
    assert says_it_of_themselves(message)
    assert assess_safety(message).crisis and not about_someone_else(message)


def test_a_characters_crisis_alone_is_read_as_before():
    assert about_someone_else("my character wants to kill herself, how do I write it?")
