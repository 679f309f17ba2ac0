"""An answer to "Are you safe right now?" that says they are recovered, or that it was long
ago, is no "no".

The recovery review: "no, it was a year ago" after "a year ago I tried to kill myself" was
read as not safe: "Since you may not be safe right now, please contact one of them now",
a day of care in which four requests got "There's no need to fix or decide anything right
now", and three hours later a new session opened with "how are you holding up since
earlier? ... 988"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.routing.ensemble import CARE_PERSONA
from common.safety import CARE_QUESTION, crisis_reply, safety_answer, says_all_right
from tests.fakes import turns

ASKED = crisis_reply(("988",))

RECOVERED = [
    "no I'm not in crisis",
    "no, it was a year ago",
    "no, that was in the past",
    "nope, all in the past",
    "no, I'm doing well now",
    "no no, I'm in recovery",
    "no, I'm 2 years clean",
    "No. I said they are much better",
    "no, it happened years ago",
    "no, I've been sober for 3 years",
    "no, I used to cut myself but I've been clean for 2 years",
]
STILL_A_NO = [
    "not anymore",  # ambiguous: it stays a no
    "no, it was a year ago but the urges are back",
    "no, it was a year ago and I want to do it again",
    "no, I'm in recovery but I relapsed",
    "no, I'm 2 years clean but I have the pills",
    "no, it was a year ago, I still think about it",
    "no, took them an hour ago",
]


@pytest.mark.parametrize("answer", RECOVERED)
def test_recovered_or_long_ago_is_no_no(answer):
    assert safety_answer(ASKED, answer) is None


@pytest.mark.parametrize("answer", STILL_A_NO)
def test_unless_it_is_back_or_says_no_more(answer):
    assert safety_answer(ASKED, answer) == "not_safe"


@pytest.mark.parametrize(
    "message", ["yes I'm safe", "yes, I'm safe, that was 2 years ago", "no, it was a year ago"]
)
def test_they_count_as_all_right(message):
    assert says_all_right(message)


def test_the_day_goes_on_without_a_day_of_care():
    script = [
        (0, "I tried to kill myself"),
        (2, "no, it was a year ago"),
        (4, "I start on Monday, how do I prepare?"),
    ]
    store, sid, said = turns.ActivityStore(), None, []
    for minutes, message in script:
        said.append(turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                                    store=store, session_id=sid,
                                    now=turns.NOW + timedelta(minutes=minutes)))  # fmt: skip
        sid = said[-1]["session_id"]
    assert said[0]["safety"]["crisis"] is True
    assert "may not be safe" not in said[1]["reply"] and said[1]["safety"]["crisis"] is False
    assert store.sessions[sid].not_safe_until is None
    assert store.activity["u1"]["not_safe_until"] is None
    # their request is answered (care's persona and reminder, not care's no-help text)
    assert "no need to fix or decide" not in said[2]["reply"]
    assert said[2]["persona"]["id"] == CARE_PERSONA
    # three hours later, a new session opens as any other
    later = turns.take_turn(uid="u1", message="Hi! I want to prepare for Monday",
                            analyze=turns.analyze_offline, store=store,
                            now=turns.NOW + timedelta(hours=3))  # fmt: skip
    assert CARE_QUESTION not in later["reply"] and "988" not in later["reply"]
