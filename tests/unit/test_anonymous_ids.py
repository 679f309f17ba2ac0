"""An anonymised user's events reach analytics with anonymous session and turn ids: their keyless
rows still group by session and join a rating to its turn, but cannot be matched with the raw
ids their earlier, keyed rows carry."""

from __future__ import annotations

from datetime import UTC, datetime

from common.events import Event, anonymous_id, keyless

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
KEY = "test-analytics-key"


def turn_event(user_key: str | None) -> Event:
    data = {"turn_id": "turn-1", "turn_index": 2, "persona": "lua"}
    return Event("chat.turn.completed", NOW, user_key, "session-1", data, subject="k")


def test_a_keyed_event_is_left_as_it_is() -> None:
    event = turn_event("k")
    assert keyless(event, KEY) is event


def test_an_anonymised_users_event_carries_anonymous_ids_only() -> None:
    event = keyless(turn_event(None), KEY)
    assert event.session_id == anonymous_id("session-1", KEY)
    assert event.data["turn_id"] == anonymous_id("turn-1", KEY)
    assert event.data["turn_index"] == 2 and event.subject == "k"  # the rest as it was
    wire = event.encode().decode()
    assert "session-1" not in wire and "turn-1" not in wire


def test_anonymous_ids_are_stable_per_key_and_tell_ids_apart() -> None:
    assert anonymous_id("session-1", KEY) == anonymous_id("session-1", KEY)
    assert anonymous_id("session-1", KEY) != anonymous_id("session-2", KEY)
    assert anonymous_id("session-1", KEY) != anonymous_id("session-1", "another-key")
    # a rating and the turn it rates, both keyless, still join
    rating = Event("feedback.submitted", NOW, None, "session-1", {"turn_id": "turn-1"})
    assert keyless(rating, KEY).data["turn_id"] == keyless(turn_event(None), KEY).data["turn_id"]


def test_an_event_about_no_session_or_turn_gains_none() -> None:
    event = keyless(Event("profile.updated", NOW, None, None, {"changed": ["notifications"]}), KEY)
    assert event.session_id is None and "turn_id" not in event.data
