"""The dead-letter replay on the Pub/Sub and Firestore emulators: attributes kept, erased users'
old events dropped, letters for another topic held back in the subscription."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import pubsub_v1

from common.adapters.firestore_profiles import DOCUMENTS_GONE_AT, DONE, ERASURES
from scripts import stack
from scripts.replay_dead_letters import erasure_reader, replay

NOW = datetime.now(UTC)


def _envelope(kind: str, user_key: str | None, occurred_at: datetime) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": kind,
            "occurred_at": occurred_at.isoformat(),
            "user_key": user_key,
            "data": {},
        }
    ).encode()


@pytest.fixture
def pubsub():
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    made = []

    def topic_with_subscription(kind: str) -> tuple[str, str]:
        name = f"test-{kind}-{uuid.uuid4().hex[:10]}"
        topic = publisher.topic_path(stack.PROJECT, name)
        sub = subscriber.subscription_path(stack.PROJECT, name)
        publisher.create_topic(name=topic)
        subscriber.create_subscription(name=sub, topic=topic)
        made.append((topic, sub))
        return topic, sub

    yield publisher, subscriber, topic_with_subscription
    for topic, sub in made:
        subscriber.delete_subscription(subscription=sub)
        publisher.delete_topic(topic=topic)


def _pull_all(subscriber, sub: str) -> list:
    got = []
    while response := subscriber.pull(
        subscription=sub, max_messages=100, timeout=5
    ).received_messages:
        got += response
        subscriber.acknowledge(subscription=sub, ack_ids=[r.ack_id for r in response])
    return got


def test_a_replay_keeps_attributes_drops_erased_users_old_events_and_holds_misrouted(
    pubsub, firestore_db
) -> None:
    publisher, subscriber, topic_with_subscription = pubsub
    letters_topic, letters = topic_with_subscription("letters")
    events_topic, events = topic_with_subscription("events")
    erased, kept = uuid.uuid4().hex, uuid.uuid4().hex
    gone_at = NOW - timedelta(minutes=5)
    firestore_db.collection(ERASURES).document(erased).set(
        {
            "requested_at": gone_at - timedelta(minutes=1),
            "firestore": DONE,
            DOCUMENTS_GONE_AT: gone_at,
        }
    )
    dead = {"CloudPubSubDeadLetterSourceSubscription": "events-profile-updater"}
    # A private event of an anonymised user, with the user key only as `subject`.
    private = _envelope("chat.turn.completed", None, NOW)
    publisher.publish(
        letters_topic, private, event_id="a", subject=kept, private="true", **dead
    ).result()
    old = _envelope("feedback.submitted", erased, gone_at - timedelta(seconds=1))
    publisher.publish(letters_topic, old, event_id="b", subject=erased, **dead).result()
    later = _envelope("feedback.submitted", erased, gone_at + timedelta(seconds=1))
    publisher.publish(letters_topic, later, event_id="c", subject=erased, **dead).result()
    note = _envelope("notification.requested", None, NOW)
    publisher.publish(letters_topic, note, event_id="d", dead_letter_reason="x").result()

    said: list[str] = []
    counts = replay(
        subscriber,
        publisher,
        letters,
        events_topic,
        notifications=False,
        erasure=erasure_reader(firestore_db),
        say=said.append,
    )

    assert counts == {"replay": 2, "drop": 1, "hold": 1}
    replayed = {r.message.attributes["event_id"]: r.message for r in _pull_all(subscriber, events)}
    assert sorted(replayed) == ["a", "c"]
    assert dict(replayed["a"].attributes) == {"event_id": "a", "subject": kept, "private": "true"}
    assert replayed["a"].data == private
    assert dict(replayed["c"].attributes) == {"event_id": "c", "subject": erased}
    # The notification stays in the dead-letter subscription for the operator; the rest is acked.
    left = _pull_all(subscriber, letters)
    assert [r.message.attributes["event_id"] for r in left] == ["d"]
    assert any("notification.requested" in line and "hold" in line for line in said)


def test_a_dry_run_acknowledges_and_publishes_nothing(pubsub) -> None:
    publisher, subscriber, topic_with_subscription = pubsub
    letters_topic, letters = topic_with_subscription("letters")
    events_topic, events = topic_with_subscription("events")
    for i in range(3):
        publisher.publish(
            letters_topic, _envelope("chat.turn.completed", None, NOW), event_id=str(i)
        ).result()

    counts = replay(
        subscriber,
        publisher,
        letters,
        events_topic,
        notifications=False,
        erasure=lambda k: None,
        dry_run=True,
        say=lambda s: None,
    )

    assert counts == {"replay": 3, "drop": 0, "hold": 0}
    assert _pull_all(subscriber, events) == []
    assert len(_pull_all(subscriber, letters)) == 3
