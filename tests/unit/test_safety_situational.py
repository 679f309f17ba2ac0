"""Wanting to disappear said of a place or an event is no crisis; said of oneself it stays one
(the neurodivergent-users review: "I want to disappear from this meeting" got the crisis reply,
while the Japanese and Portuguese patterns already excluded theirs)."""

import pytest

from common.analysis.safety import assess_safety

SITUATIONAL = [
    "I want to disappear from this meeting",
    "i wanna vanish from this zoom call lol",
    "I want to disappear into my room for a week after this conference",
    "I want to disappear under a blanket and sleep all weekend",
    "I want to disappear into the background at parties",
    "I wish I could vanish off social media for the rest of the week",
    "I want to disappear for the rest of the day",
]
STILL_A_CRISIS = [
    "I want to disappear forever",
    "I just want to disappear",
    "I want to disappear from the world",
    "i want to disappear off the face of the earth",
    "i want to disappear from my life",
    "I just want to disappear from this meeting forever",
    "I want to disappear into my room and never come back",
]


@pytest.mark.parametrize("text", SITUATIONAL)
def test_wanting_to_disappear_from_a_place_or_an_event_is_no_crisis(text: str) -> None:
    assert assess_safety(text).crisis is False


@pytest.mark.parametrize("text", STILL_A_CRISIS)
def test_wanting_to_disappear_for_good_stays_a_crisis(text: str) -> None:
    assert assess_safety(text).crisis is True
