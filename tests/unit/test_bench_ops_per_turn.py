"""The operations benchmark times a request's publish: its events go through the real Pub/Sub
client, to topics of the benchmark's own that no subscription pushes from."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

from benchmarks import ops_per_turn
from common.adapters.pubsub_events import PubSubEventPublisher
from common.events import Event
from scripts import stack


def test_a_publish_reaches_the_client_on_a_benchmark_topic_and_is_kept_for_the_pushes():
    ops_per_turn.COUNTS.clear()
    ops_per_turn.PUBLISHED.clear()
    client = mock.Mock()
    publisher = PubSubEventPublisher(client, project_id="demo-ion", timeout_seconds=5)
    events = [
        Event("session.started", datetime.now(UTC), "k", data={"n": 1}),
        Event("chat.turn.completed", datetime.now(UTC), "k", data={"turn_id": "t"}),
    ]
    try:
        ops_per_turn.counting_publish(PubSubEventPublisher.publish)(publisher, events)
        # one blocking call, as the deployed publisher makes, with the same messages
        client.publish.assert_called_once()
        call = client.publish.call_args.kwargs
        assert call["topic"] == "projects/demo-ion/topics/events-ops-per-turn"
        assert [m.data for m in call["messages"]] == [e.encode() for e in events]
        assert ops_per_turn.COUNTS["pubsub_messages"] == 2
        assert ops_per_turn.COUNTS["pubsub_publish_calls"] == 1
        # the copies pushed to the consumers name the stack's topic
        assert [p["topic"] for p in ops_per_turn.PUBLISHED] == ["events", "events"]
        assert [p["data"] for p in ops_per_turn.PUBLISHED] == [e.encode() for e in events]
    finally:
        ops_per_turn.COUNTS.clear()
        ops_per_turn.PUBLISHED.clear()


def test_no_subscription_of_the_stack_reads_a_benchmark_topic():
    bench = {ops_per_turn.bench_topic(t) for t in stack.TOPICS}
    assert not bench & set(stack.TOPICS)
    assert not bench & {topic for _, topic, _ in stack.SUBSCRIPTIONS}
