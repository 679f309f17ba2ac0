"""The analytics sink's entry point in-process, fed Pub/Sub pushes as Pub/Sub sends them, writing
to the stack's BigQuery emulator and dead-lettering to its Pub/Sub emulator."""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.api_core import exceptions

from common.analytics.sink import Message, sink_messages
from common.analytics.warehouse import BigQueryRowWriter, emulator_client
from common.events import Event
from scripts import stack
from scripts.function_client import function_client
from tests.stack_fixtures import Subscription

ROOT = Path(__file__).resolve().parents[2]
PUSH = json.loads((ROOT / "tests/data/pubsub_push_feedback.json").read_text())
TABLE = f"{stack.PROJECT}.analytics.events"


@pytest.fixture(scope="module")
def client():
    return function_client("analytics_sink")


@pytest.fixture(scope="module")
def bq():
    return emulator_client(stack.EMULATOR_ENV["BIGQUERY_EMULATOR_HOST"], stack.PROJECT)


@pytest.fixture
def dead_letters():
    sub = Subscription("events-dead-letter")
    yield sub
    sub.delete()


def pull_raw(sub: Subscription, *, until: int, wait: float = 10.0) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + wait
    while len(got) < until and time.monotonic() < deadline:
        body = sub._call("POST", ":pull", {"maxMessages": 50, "returnImmediately": True})
        msgs = body.get("receivedMessages", [])
        if msgs:
            sub._call("POST", ":acknowledge", {"ackIds": [m["ackId"] for m in msgs]})
        got += [m["message"] for m in msgs]
        if not msgs:
            time.sleep(0.1)
    return got


def push(client, *, data: bytes | str, attributes: dict | None = None):
    body = copy.deepcopy(PUSH)
    body["message"]["attributes"] = attributes or {"type": "chat.turn.completed"}
    body["message"]["data"] = data if isinstance(data, str) else base64.b64encode(data).decode()
    body["subscription"] = "projects/demo-ion/subscriptions/events-analytics-sink"
    return client.post("/projects/demo-ion/topics/events", json=body)


def turn_event(**data) -> Event:
    return Event(
        "chat.turn.completed",
        datetime.now(UTC),
        uuid.uuid4().hex[:32],
        uuid.uuid4().hex,
        {"turn_id": uuid.uuid4().hex, "turn_index": 0, "persona": "nana", "latency_ms": 50.0}
        | data,
    )


def count(bq, sql: str, **params) -> int:
    """The first column of the first row (the tests' SQL is their own, never a request's)."""
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter(k, "STRING", v) for k, v in params.items()]
    )
    return next(iter(bq.query(sql, job_config=config).result()))[0]


def test_an_event_delivered_twice_is_stored_twice_and_counted_once(client, bq):
    event = turn_event()
    for _ in range(2):
        assert push(client, data=event.encode(), attributes=event.attributes()).status_code == 200
    raw = f"SELECT COUNT(*) FROM `{TABLE}` WHERE event_id = @id"  # noqa: S608
    assert count(bq, raw, id=event.event_id) == 2
    view = f"SELECT COUNT(*) FROM `{stack.PROJECT}.analytics.turns` WHERE event_id = @id"  # noqa: S608
    assert count(bq, view, id=event.event_id) == 1


def test_an_event_for_internal_consumers_only_is_acknowledged_and_not_stored(client, bq):
    private, public = replace(turn_event(), private=True), turn_event()
    for event in (private, public):
        assert push(client, data=event.encode(), attributes=event.attributes()).status_code == 200
    raw = f"SELECT COUNT(*) FROM `{TABLE}` WHERE event_id = @id"  # noqa: S608
    assert (count(bq, raw, id=private.event_id), count(bq, raw, id=public.event_id)) == (0, 1)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json{", "not_json"),
        (json.dumps({"event_id": "e-1", "type": "Not A Type"}).encode(), "bad_type"),
        ("%%% not base64 %%%", "not_json"),
    ],
)
def test_a_malformed_event_is_dead_lettered_and_acknowledged(client, dead_letters, data, reason):
    r = push(client, data=data)
    assert r.status_code == 200  # acknowledged: retrying cannot fix it
    (letter,) = pull_raw(dead_letters, until=1)
    assert letter["attributes"]["dead_letter_reason"] == reason
    sent = data if isinstance(data, bytes) else data.encode()
    assert base64.b64decode(letter["data"]) == sent
    assert letter["attributes"]["original_message_id"] == PUSH["message"]["messageId"]


def test_a_wrongly_typed_field_is_dead_lettered_not_stored(client, bq, dead_letters):
    event = turn_event(turn_index="first")
    assert push(client, data=event.encode(), attributes=event.attributes()).status_code == 200
    (letter,) = pull_raw(dead_letters, until=1)
    assert letter["attributes"]["dead_letter_reason"] == "bad_turn_index"
    assert letter["attributes"]["event_id"] == event.event_id
    raw = f"SELECT COUNT(*) FROM `{TABLE}` WHERE event_id = @id"  # noqa: S608
    assert count(bq, raw, id=event.event_id) == 0


def test_good_events_are_written_next_to_a_bad_one(bq, dead_letters):
    from common.analytics.warehouse import PubSubDeadLetter
    from common.clients import publisher_client

    good = [turn_event() for _ in range(3)]
    messages = [Message(e.encode(), e.attributes()) for e in good]
    messages.insert(1, Message(b'{"event_id": "x"}', {"type": "?"}))
    writer = BigQueryRowWriter(bq, table=TABLE)
    report = sink_messages(
        messages,
        write=writer.insert,
        dead_letter=PubSubDeadLetter(
            publisher_client(), project_id=stack.PROJECT, topic="events-dead-letter"
        ),
        now=datetime.now(UTC),
    )
    assert (report.written, report.dead_lettered) == (3, 1)
    ids = ", ".join(f"'{e.event_id}'" for e in good)
    assert count(bq, f"SELECT COUNT(*) FROM `{TABLE}` WHERE event_id IN ({ids})") == 3  # noqa: S608
    assert len(pull_raw(dead_letters, until=1)) == 1


def test_when_the_table_cannot_be_reached_the_delivery_fails_to_be_retried(bq):
    writer = BigQueryRowWriter(bq, table=f"{stack.PROJECT}.no_such_dataset.events")

    class NoDeadLetters:
        def publish(self, data: bytes, attributes: dict[str, str]) -> None:
            raise AssertionError("an outage is not the event's fault")

    event = turn_event()
    with pytest.raises(exceptions.NotFound):
        sink_messages(
            [Message(event.encode(), event.attributes())],
            write=writer.insert,
            dead_letter=NoDeadLetters(),
            now=datetime.now(UTC),
        )
