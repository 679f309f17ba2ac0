"""The event envelope and the keyed pseudonyms (common/events.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.events import Event, anonymous_id, keyless, user_key

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
KEY = "test-analytics-key"


def test_the_pseudonyms_do_not_change_between_releases():
    # The user key names a user's preferences document, their analytics rows and their A/B
    # bucket; an anonymous id joins a rating to its turn. A change to either would orphan every
    # learned profile and split every user's history in two.
    assert user_key("uid-1", KEY) == "1deea72cae68677e3ba832d7fb7c7af7"
    assert anonymous_id("session-1", KEY) == "anon-12f83f600346202e65af0ddef86e67e9"


def test_an_anonymous_id_is_not_the_user_key_of_the_same_text():
    # Session and turn ids are hashed apart from uids: an id that happened to equal a uid
    # would not give that user's key away.
    assert anonymous_id("uid-1", KEY) != f"anon-{user_key('uid-1', KEY)}"


def test_attributes_carry_only_what_is_set():
    # Pub/Sub attributes must be strings: an event without a subject or the private flag has
    # neither attribute, rather than one whose value is None or "false".
    event = Event("profile.updated", NOW, "k", data={"changed": ["timezone"]})
    assert event.attributes() == {"event_id": event.event_id, "type": "profile.updated"}
    private = Event("feedback.submitted", NOW, "k", subject="k", private=True)
    assert private.attributes() == {
        "event_id": private.event_id,
        "type": "feedback.submitted",
        "subject": "k",
        "private": "true",
    }


def test_a_keyless_event_about_no_turn_keeps_its_empty_turn_id():
    # A null turn id stays null: hashed, every such row of every anonymous user would share
    # one made-up turn.
    event = keyless(Event("session.ended", NOW, None, "session-1", {"turn_id": None}), KEY)
    assert event.data["turn_id"] is None
    assert event.session_id == anonymous_id("session-1", KEY)


def test_an_envelopes_time_is_read_in_utc():
    # Consumers compare it with stored UTC times (the erasure record) and key days by it.
    envelope = Event("chat.turn.completed", NOW, "k").envelope()
    event = Event.from_envelope({**envelope, "occurred_at": "2026-12-05T13:00:00+01:00"})
    assert event.occurred_at == NOW and event.occurred_at.tzinfo is UTC


@pytest.mark.parametrize(
    "occurred_at",
    [
        # naive: the profile updater's erasure check raised TypeError on every redelivery
        "2026-12-05T12:00:00",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC (OverflowError)
    ],
)
def test_an_envelope_without_a_utc_time_is_malformed(occurred_at):
    envelope = Event("chat.turn.completed", NOW, "k").envelope()
    with pytest.raises(ValueError):
        Event.from_envelope({**envelope, "occurred_at": occurred_at})
