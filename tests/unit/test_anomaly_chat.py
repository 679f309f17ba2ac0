"""The per-user limits through the chat service: ordinary heavy chatting is stored, a script
is still refused.

The power-user review: 180 messages one every 30 s (read a streamed reply, type a line) had 60
refused from the 61st on, with Retry-After up to 1,800 s."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from common.chat import service
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
