"""The per-user limits through the chat service: ordinary heavy chatting is stored, a script
is still refused.

The power-user review: before, with a limit of 60 turns an hour, 180 messages one every 30 s
(read a streamed reply, type a line) had 60 refused from the 61st on, with Retry-After up to
1,800 s."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from common.chat import service
from common.chat.limits import REPEAT_MIN_CHARS, repeat_counted
from common.chat.models import TurnCreate
from common.errors import RateLimited
from tests.fakes import turns
from tests.fakes.turns import NOW

TOPICS = [
    "I tried restarting the server but it still fails after the deploy",
    "I feel overwhelmed by all the tickets this week",
    "should I switch to the other team or stay?",
    "what should I learn next about Kubernetes networking?",
]


def _turn(store: turns.ActivityStore, message: str, seconds: float, session_id=None) -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    at = NOW + timedelta(seconds=seconds)
    response, _ = service.take_turn(uid="u1", body=body, now=at, **turns.turn_ports(store))
    return response


def _chat(store: turns.ActivityStore, count: int, every: float) -> str:
    """`count` different messages in one session, one every `every` seconds; its id."""
    sid = None
    for i in range(count):
        sid = _turn(store, f"{TOPICS[i % len(TOPICS)]} ({i})", i * every, sid)["session_id"]
    return sid


def test_a_message_every_30_seconds_for_an_hour_and_a_half_is_all_stored():
    store = turns.ActivityStore()
    sid = _chat(store, 180, 30)
    assert store.sessions[sid].turn_count == 180


def test_more_than_150_turns_an_hour_are_still_refused():
    store = turns.ActivityStore()
    sid = _chat(store, 150, 20)  # three a minute: never a minute's burst
    with pytest.raises(RateLimited) as refused:
        _turn(store, "one more", 150 * 20, sid)
    assert refused.value.code == "rate_limited"
    assert refused.value.retry_after == 600  # when the first turn (3,000 s ago) leaves the hour
    assert store.sessions[sid].turn_count == 150


# The review's second probe: questions with an "ok" between them, a minute apart; the 4th "ok"
# within 10 minutes was a 429 repeated_message (retry_after 240).
INTERVIEW = [
    "how do I prepare for the interview?",
    "ok",
    "what about the system design part?",
    "ok",
    "and the behavioural questions?",
    "ok",
    "anything else?",
    "ok",
]


def test_a_short_acknowledgement_again_and_again_is_stored():
    store = turns.ActivityStore()
    sid = None
    for i, message in enumerate(INTERVIEW):
        sid = _turn(store, message, 60 * i, sid)["session_id"]
    assert store.sessions[sid].turn_count == len(INTERVIEW)


def test_a_long_message_a_fourth_time_in_ten_minutes_is_still_refused():
    store = turns.ActivityStore()
    spam = "buy cheap followers now"
    sid = None
    for i in range(3):
        sid = _turn(store, spam, 60 * i, sid)["session_id"]
    with pytest.raises(RateLimited) as refused:
        _turn(store, spam.upper(), 180, sid)  # the same, once normalised
    assert (refused.value.code, refused.value.retry_after) == ("repeated_message", 420)


def test_the_repeat_limit_counts_messages_from_repeat_min_chars_on():
    store = turns.ActivityStore()
    counted, short = "x" * REPEAT_MIN_CHARS, "y" * (REPEAT_MIN_CHARS - 1)
    for i in range(4):
        _turn(store, f"  {short.upper()} ", 60 * i)  # spacing and case do not lengthen it
    for i in range(3):
        _turn(store, counted, 300 + 60 * i)
    with pytest.raises(RateLimited) as refused:
        _turn(store, counted, 480)
    assert refused.value.code == "repeated_message"


def test_a_message_counts_as_a_repeat_from_16_characters_as_readme_says():
    # README: under 16 characters once case and spacing are normalised, never a repeat
    assert repeat_counted("ok thanks a lot!") and repeat_counted("Ok, thanks a lot")
    assert not repeat_counted("  OK thanks   a lot ")  # "ok thanks a lot": 15


class _NightOwl(turns.ActivityStore):
    """A user whose profile counts 50 turns, all at 03:00 (their hourly activity)."""

    def __init__(self, user: dict | None) -> None:
        super().__init__()
        self.user = user

    def read_turn_context(self, **kw):
        return replace(super().read_turn_context(**kw), preferences={"hourly": {"h3": 50}})


@pytest.mark.parametrize(
    ("user", "reported"),
    [
        (None, []),  # never set a time zone: 14:00 UTC is no one's hour
        ({"settings": {"notifications": False}}, []),
        ({"settings": {"timezone": "UTC"}}, [["unusual_hour"]]),  # their own 14:00
    ],
)
def test_an_hour_is_unusual_only_for_a_user_whose_time_zone_is_known(user, reported):
    """README: for a user who never set a time zone "the hour does not count"; the anomaly
    check still compared the UTC hour with their history."""
    ports = turns.turn_ports(_NightOwl(user))
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=TOPICS[0])
    service.take_turn(uid="u1", body=body, now=NOW + timedelta(hours=2), **ports)
    events = ports["publisher"].events
    assert [e.data["reasons"] for e in events if e.type == "anomaly.detected"] == reported


def test_a_thought_typed_line_by_line_at_night_is_all_stored():
    # The neurodivergent-users review: eleven short lines 5 s apart at 3 am had the 9th
    # refused ("You're sending messages faster than a conversation needs").
    lines = ["ok so", "i have this essay", "its due friday", "and i havent started",
             "like at all", "i keep opening the doc", "and then closing it",
             "also my room is a mess", "and i forgot to eat", "sorry im all over the place",
             "wait", "what do i do first"]  # fmt: skip
    store, sid = turns.ActivityStore(), None
    night = NOW.replace(hour=3)
    for i, line in enumerate(lines):
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=line, session_id=sid)
        at = night + timedelta(seconds=5 * i)
        sid = service.take_turn(uid="u1", body=body, now=at, **turns.turn_ports(store))[0][
            "session_id"
        ]
    assert store.sessions[sid].turn_count == len(lines) == 12
