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
from common.config import Settings
from common.errors import RateLimited
from common.replies.prompt import resource_line
from common.safety import CARE_LIMITED, resources_for
from tests.fakes import turns
from tests.fakes.turns import NOW

AFTER = ["i cant", "i just cant", "everything hurts", "im scared", "are you there", "please"]
MINUTE = Settings().anomaly_burst_minute_max  # turns a minute allowed
# As many different messages as a minute allows, 3 s apart, the last 3 s before NOW.
FULL_MINUTE = [*AFTER, *(f"line {i}" for i in range(MINUTE - len(AFTER)))]
FULL_MINUTE_START = NOW - timedelta(seconds=3 * MINUTE)


def _turn(store, message: str, at, session_id=None, locale=None) -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    ports = turns.turn_ports(store)
    response, _ = service.take_turn(uid="u1", body=body, now=at, locale=locale, **ports)
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
    _crisis_then(store, FULL_MINUTE_START - LIMITS_OFF_AFTER_CRISIS)
    # past the hour, in new sessions (not in care)
    for i, message in enumerate(FULL_MINUTE):
        _turn(store, message, FULL_MINUTE_START + timedelta(seconds=3 * i))
    with pytest.raises(RateLimited):
        _turn(store, "hello??", NOW)


def test_care_after_a_no_does_not_lift_the_minutes_limit_after_that_hour():
    # The review: the session in care after the "no" was spared the per-minute limits for as
    # long as care lasted (20 messages in 40 s, 23 h after the crisis, all answered).
    store = turns.ActivityStore()
    sid = _crisis_then(store, FULL_MINUTE_START - LIMITS_OFF_AFTER_CRISIS)
    for i, message in enumerate(FULL_MINUTE):
        _turn(store, message, FULL_MINUTE_START + timedelta(seconds=3 * i), sid)
    assert store.sessions[sid].in_care(NOW)  # the care itself goes on
    with pytest.raises(RateLimited):
        _turn(store, "hello??", NOW, sid)


def test_the_care_turns_right_after_a_crisis_are_spared_after_that_hour():
    store = turns.ActivityStore()
    sid = _turn(store, "I want to kill myself", NOW - 2 * LIMITS_OFF_AFTER_CRISIS)["session_id"]
    for i, message in enumerate(FULL_MINUTE):  # in new sessions
        _turn(store, message, FULL_MINUTE_START + timedelta(seconds=3 * i))
    assert _turn(store, "hello??", NOW, sid)["turn_index"] == 1  # the first of its care turns


# The crisis journey review: two hours after a no to "Are you safe right now?" (care lasts a
# day), a user typing fast in distress got "no" x4 -> 429 repeated_message, and "i'm scared" ->
# 429 rate_limited "You're sending messages faster than a conversation needs" (the wording
# then), no resources.
def _in_care_after_a_no(store) -> str:
    """A crisis and a no two hours before NOW, then a new session 4 s before it: its id."""
    _crisis_then(store, NOW - 2 * LIMITS_OFF_AFTER_CRISIS)
    return _turn(store, "are you there", NOW - timedelta(seconds=4))["session_id"]


def test_in_care_after_a_no_the_same_message_again_is_answered():
    store = turns.ActivityStore()
    sid = _in_care_after_a_no(store)
    for i in range(5):
        assert _turn(store, "no", NOW + timedelta(seconds=4 * i), sid)["turn_index"] == i + 1
    # longer than an acknowledgement (REPEAT_MIN_CHARS): spared by care, not by its length
    for i in range(4):
        said = _turn(store, "I don't know what to do", NOW + timedelta(seconds=90 + 10 * i), sid)
        assert said["turn_index"] == i + 6 and not said["safety"]["crisis"]


def test_in_care_a_429_is_calm_and_carries_the_locales_resources():
    store = turns.ActivityStore()
    sid = _in_care_after_a_no(store)
    said = ["no", "no", "no", "no", "hello?", "ok", "i'm scared"]
    said += [f"line {i}" for i in range(MINUTE - 1 - len(said))]  # after "are you there"
    for i, message in enumerate(said):
        _turn(store, message, NOW + timedelta(seconds=3 * i), sid, locale="en-GB")
    with pytest.raises(RateLimited) as refused:  # one past the minute's: still limited
        _turn(store, "i'm scared", NOW + timedelta(seconds=3 * len(said)), sid, locale="en-GB")
    assert refused.value.code == "rate_limited" and refused.value.retry_after > 0
    said = str(refused.value)
    assert said.startswith("I'm still here. Give me a moment to catch up, then write again.")
    assert "Call Samaritans on 116 123" in said and "faster than" not in said
    # The text is common.safety's, with the resources listed as every care text lists them.
    listed = resource_line(resources_for("en-GB", default_locale="en-US"))
    assert said == CARE_LIMITED.format(listed=listed)


def test_a_user_not_in_care_is_refused_as_before():
    store = turns.ActivityStore()
    said = "no, that doesn't help me"  # a short "no" is no repeat (REPEAT_MIN_CHARS)
    for i in range(3):
        _turn(store, said, NOW + timedelta(seconds=4 * i), locale="en-GB")
    with pytest.raises(RateLimited) as repeated:
        _turn(store, said, NOW + timedelta(seconds=12), locale="en-GB")
    assert (repeated.value.code, str(repeated.value)) == (
        "repeated_message",
        "You've sent this same message several times in a few minutes; send something "
        "different, or wait to send it again.",
    )
    for i in range(MINUTE - 3):
        _turn(store, f"line {i}", NOW + timedelta(seconds=16 + i), locale="en-GB")
    with pytest.raises(RateLimited) as fast:
        _turn(store, "f", NOW + timedelta(seconds=16 + MINUTE), locale="en-GB")
    assert (fast.value.code, str(fast.value)) == (
        "rate_limited",
        "I need a moment to catch up with your messages. Please wait a few seconds, then send "
        "the next one.",
    )
