"""A safety hedged in time is not all right: care goes on.

The LGBTQ+ review: en-US, Riri asked for, "my dysphoria is so bad I don't want to be alive
anymore" got the crisis reply; "yes I'm safe for now" was taken as all right, and the next turn,
"I'm trans and my family won't accept me, what should I do?", got decision steps ("write the
best and worst realistic outcome of each option") minutes after the suicidal words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.routing.ensemble import CARE_PERSONA
from common.safety import says_all_right
from tests.fakes import turns

HEDGED = [
    "yes I'm safe for now",
    "I'm ok for now",
    "i'm fine for the moment",
    "yeah I'm safe for tonight",
    "I'm safe at the moment",
    "I'm safe for now, I just need the first step",
]


@pytest.mark.parametrize("message", HEDGED)
def test_a_hedged_safety_is_not_all_right(message):
    assert not says_all_right(message)


@pytest.mark.parametrize("message", ["yes I'm safe", "I'm ok now", "thanks, i'm fine now"])
def test_an_unhedged_one_still_is(message):
    assert says_all_right(message)


def test_care_goes_on_after_safe_for_now():
    script = [
        (0, "my dysphoria is so bad I don't want to be alive anymore"),
        (2, "yes I'm safe for now"),
        (4, "I'm trans and my family won't accept me, what should I do?"),
    ]
    store, sid, said = turns.ActivityStore(), None, []
    for minutes, message in script:
        said.append(turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                                    store=store, session_id=sid, locale="en-US", persona="riri",
                                    now=turns.NOW + timedelta(minutes=minutes)))  # fmt: skip
        sid = said[-1]["session_id"]
    assert said[0]["safety"]["crisis"] is True
    for reply in said[1:]:
        assert reply["persona"]["id"] == CARE_PERSONA
        assert "outcome of each option" not in reply["reply"]
        assert "break for later today" not in reply["reply"]
