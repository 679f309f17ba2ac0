"""The per-minute limits (a burst, the same message again) do not refuse a user in the hour
after their crisis, nor on a session's care turns right after one; the hour's limit still
does.

The safety review's probe: one session, a message every 5 s: "I want to kill myself", "no"
(not safe), six short messages, then "hello??" at t+40 s was a 429 rate_limited, with no
resources, seconds after the crisis."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from common.chat import service
from common.chat.limits import LIMITS_OFF_AFTER_CRISIS
from common.chat.models import TurnCreate
from common.errors import RateLimited
from tests.fakes import turns
from tests.fakes.turns import NOW

AFTER = ["i cant", "i just cant", "everything hurts", "im scared", "are you there", "please"]


def _turn(store, message: str, at, session_id=None) -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    response, _ = service.take_turn(uid="u1", body=body, now=at, **turns.turn_ports(store))
    return response


def _crisis_then(store, start) -> str:
    """The probe's first eight turns, 5 s apart from `start`; the session's id."""
    sid = None
    for i, message in enumerate(["I want to kill myself", "no", *AFTER]):
        sid = _turn(store, message, start + timedelta(seconds=5 * i), sid)["session_id"]
    return sid


def test_a_ninth_message_within_a_minute_of_a_crisis_is_answered():
    store = turns.ActivityStore()
    sid = _crisis_then(store, NOW)
    said = _turn(store, "hello??", NOW + timedelta(seconds=40), sid)
    assert said["turn_index"] == 8
    # and in a new conversation, and the same words again
    for i in range(4):
        _turn(store, "please answer me", NOW + timedelta(seconds=45 + i))


def test_an_hour_after_the_crisis_the_minutes_limit_applies_again():
    store = turns.ActivityStore()
    _crisis_then(store, NOW - LIMITS_OFF_AFTER_CRISIS - timedelta(seconds=40))
    later = NOW - timedelta(seconds=40)  # past the hour, in new sessions (not in care)
    for i, message in enumerate(AFTER + ["a", "b"]):
        _turn(store, message, later + timedelta(seconds=5 * i))
    with pytest.raises(RateLimited):
        _turn(store, "hello??", NOW)


def test_care_after_a_no_does_not_lift_the_minutes_limit_after_that_hour():
    # The review: the session in care after the "no" was spared the per-minute limits for as
    # long as care lasted (20 messages in 40 s, 23 h after the crisis, all answered).
    store = turns.ActivityStore()
    sid = _crisis_then(store, NOW - LIMITS_OFF_AFTER_CRISIS - timedelta(seconds=40))
    later = NOW - timedelta(seconds=40)
    for i, message in enumerate(AFTER + ["a", "b"]):
        _turn(store, message, later + timedelta(seconds=5 * i), sid)
    assert store.sessions[sid].in_care(NOW)  # the care itself goes on
    with pytest.raises(RateLimited):
        _turn(store, "hello??", NOW, sid)


def test_the_care_turns_right_after_a_crisis_are_spared_after_that_hour():
    store = turns.ActivityStore()
    sid = _turn(store, "I want to kill myself", NOW - 2 * LIMITS_OFF_AFTER_CRISIS)["session_id"]
    later = NOW - timedelta(seconds=40)
    for i, message in enumerate(AFTER + ["a", "b"]):  # in new sessions
        _turn(store, message, later + timedelta(seconds=5 * i))
    assert _turn(store, "hello??", NOW, sid)["turn_index"] == 1  # the first of its care turns
