"""Envelope -> `events` row: typed columns, the payload, and what is refused (dead letters)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest

from common.analytics.rows import MalformedEvent, decode, row_from_message, to_row
from common.analytics.schema import CLUSTERING, PARTITION_FIELD, column_names, schema_json
from common.events import Event

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def turn_event(**data) -> Event:
    base = {
        "turn_id": "t-1",
        "turn_index": 2,
        "persona": "elro",
        "persona_source": "requested",
        "policy": "ensemble-v1",
        "propensity": 1,
        "scores": {"lua": 0.2, "elro": 0.7},
        "components": {"router": 0.5},
        "alternatives": ["lua", "nana"],
        "tone": "curious",
        "pace": "steady",
        "intent": "learning",
        "sentiment": 0.31,
        "entity_types": ["tech"],
        "crisis": False,
        "analysis_source": "baseline",
        "generator": "TemplateGenerator",
        "degraded": ["persona_model"],
        "client": "v2",
        "message_chars": 42,
        "latency_ms": 87.5,
        "local_hour": 9,
        "local_date": "2026-11-23",
        "locale": "en-GB",
        "profile": {"turns": 3},
        "experiment": "router-vs-personal",
        "variant": "static",
    }
    return Event("chat.turn.completed", NOW - timedelta(minutes=1), "uk1", "s1", base | data)


def test_a_turn_event_fills_the_typed_columns_and_keeps_the_rest_in_the_payload():
    row = to_row(turn_event().envelope(), now=NOW)
    assert row["type"] == "chat.turn.completed"
    assert row["occurred_at"] == "2026-11-22T11:59:00+00:00"
    assert row["user_key"] == "uk1" and row["session_id"] == "s1"
    assert (row["persona"], row["intent"], row["tone"], row["pace"]) == (
        "elro",
        "learning",
        "curious",
        "steady",
    )
    assert row["turn_index"] == 2 and row["latency_ms"] == 87.5 and row["propensity"] == 1.0
    assert row["degraded"] == ["persona_model"] and row["model_fallback"] is True
    assert row["crisis"] is False
    assert (row["experiment"], row["variant"]) == ("router-vs-personal", "static")
    assert (row["local_hour"], row["local_date"], row["locale"]) == (9, "2026-11-23", "en-GB")
    payload = json.loads(row["payload"])
    assert payload == {
        "scores": {"lua": 0.2, "elro": 0.7},
        "components": {"router": 0.5},
        "entity_types": ["tech"],
        "profile": {"turns": 3},
    }
    assert set(row) <= column_names()


def test_a_turn_without_fallback_and_other_events_say_so():
    assert to_row(turn_event(degraded=[]).envelope(), now=NOW)["model_fallback"] is False
    started = Event("session.started", NOW, "uk1", "s1", {"client": "v2"})
    row = to_row(started.envelope(), now=NOW)
    assert row["model_fallback"] is None and row["degraded"] == [] and row["persona"] is None


def test_feedback_maps_rating_and_satisfaction_and_anonymous_users_have_no_key():
    event = Event(
        "feedback.submitted",
        NOW,
        None,
        "s1",
        {"turn_id": "t-1", "persona": "lua", "rating": 4, "reward": 0.75, "previous_reward": 1.0},
    )
    row = to_row(event.envelope(), now=NOW)
    assert row["user_key"] is None
    assert (row["rating"], row["satisfaction"], row["previous_satisfaction"]) == ("4", 0.75, 1.0)
    up = Event("feedback.submitted", NOW, "k", "s", {"rating": "up", "reward": 1})
    assert to_row(up.envelope(), now=NOW)["rating"] == "up"


def test_the_encoded_message_maps_like_the_envelope():
    event = turn_event()
    assert row_from_message(event.encode(), now=NOW) == to_row(event.envelope(), now=NOW)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event_id": None}, "bad_event_id"),
        ({"event_id": "x" * 200}, "bad_event_id"),
        ({"type": "Chat Turn"}, "bad_type"),
        ({"type": None}, "bad_type"),
        ({"occurred_at": "yesterday"}, "bad_occurred_at"),
        ({"occurred_at": "2026-11-22T10:00:00"}, "bad_occurred_at"),
        # valid ISO, but before year 1 / after 9999 in UTC: an OverflowError was a 500, and ten
        # redeliveries later a dead letter without its reason
        ({"occurred_at": "0001-01-01T00:00:00+01:00"}, "bad_occurred_at"),
        ({"occurred_at": "9999-12-31T23:59:59-01:00"}, "bad_occurred_at"),
        ({"occurred_at": "2019-01-01T00:00:00+00:00"}, "occurred_at_out_of_range"),
        ({"occurred_at": "2027-06-01T00:00:00+00:00"}, "occurred_at_out_of_range"),
        ({"user_key": 12}, "bad_user_key"),
        ({"schema_version": "1"}, "bad_schema_version"),
        ({"data": ["not", "an", "object"]}, "bad_data"),
        # a notification replayed on the wrong topic: its uid and text in a row nothing deletes
        ({"type": "notification.requested", "user_key": None}, "not_an_analytics_event"),
    ],
)
def test_a_broken_envelope_is_refused_with_a_reason(change, reason):
    envelope = turn_event().envelope() | change
    with pytest.raises(MalformedEvent) as e:
        to_row(envelope, now=NOW)
    assert e.value.reason == reason


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("turn_index", "2", "bad_turn_index"),
        ("turn_index", True, "bad_turn_index"),
        ("latency_ms", "fast", "bad_latency_ms"),
        ("crisis", "no", "bad_crisis"),
        ("degraded", "persona_model", "bad_degraded"),
        ("degraded", [1], "bad_degraded"),
        ("rating", 7, "bad_rating"),
        ("reward", 1.5, "bad_reward"),
        ("persona", {"id": "lua"}, "bad_persona"),
        # a DATE column takes YYYY-MM-DD only: BigQuery would refuse the whole insert
        ("local_date", "2026-W47-1", "bad_local_date"),
        ("local_date", "20261123", "bad_local_date"),
        ("local_date", "2026-11-23T00:00:00", "bad_local_date"),
        ("local_date", 20261123, "bad_local_date"),
        ("locale", ["en-GB"], "bad_locale"),
    ],
)
def test_a_typed_field_of_the_wrong_type_is_refused(field, value, reason):
    with pytest.raises(MalformedEvent) as e:
        to_row(turn_event(**{field: value}).envelope(), now=NOW)
    assert e.value.reason == reason


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, 10**400], ids=["nan", "inf", "-inf", "huge_int"]
)
@pytest.mark.parametrize(
    ("field", "reason"), [("latency_ms", "bad_latency_ms"), ("reward", "bad_reward")]
)
def test_a_number_json_cannot_carry_is_refused_not_sent_to_bigquery(field, reason, value):
    with pytest.raises(MalformedEvent) as e:
        to_row(turn_event(**{field: value}).envelope(), now=NOW)
    assert e.value.reason == reason


def test_a_non_finite_number_in_the_payload_is_refused():
    # Python's json writes and reads NaN and Infinity, so a producer's message can carry them.
    message = turn_event(score=math.nan).encode()
    assert b'"score":NaN' in message
    with pytest.raises(MalformedEvent) as e:
        row_from_message(message, now=NOW)
    assert e.value.reason == "bad_payload"
    nested = turn_event(profile={"turns": 3, "mean": -math.inf}).envelope()
    with pytest.raises(MalformedEvent) as e:
        to_row(nested, now=NOW)
    assert e.value.reason == "bad_payload"
    # What is accepted is valid JSON (strict parsers, BigQuery's among them, take it).
    row = to_row(turn_event().envelope(), now=NOW)
    json.loads(json.dumps(row, allow_nan=False), parse_constant=pytest.fail)


def test_undecodable_messages_are_refused():
    for data, reason in (
        (b"not json{", "not_json"),
        (b"\xff\xfe", "not_json"),
        (b"[1]", "not_an_object"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not_json"),
        (b'{"a": ' + b"1" * 5000 + b"}", "not_json"),
    ):
        with pytest.raises(MalformedEvent) as e:
            decode(data)
        assert e.value.reason == reason


def test_an_oversized_payload_is_refused():
    with pytest.raises(MalformedEvent) as e:
        to_row(turn_event(profile={"blob": "x" * 70_000}).envelope(), now=NOW)
    assert e.value.reason == "payload_too_large"


def test_the_schema_file_is_a_valid_bigquery_schema_with_the_envelope_columns():
    fields = schema_json()
    names = [f["name"] for f in fields]
    assert len(names) == len(set(names))
    assert {f["mode"] for f in fields} <= {"REQUIRED", "NULLABLE", "REPEATED"}
    assert {f["type"] for f in fields} <= {
        "STRING",
        "INT64",
        "FLOAT64",
        "BOOL",
        "TIMESTAMP",
        "DATE",
        "JSON",
    }
    required = {f["name"] for f in fields if f["mode"] == "REQUIRED"}
    assert required == {"event_id", "type", "occurred_at"}
    by_name = {f["name"]: f for f in fields}
    assert by_name[PARTITION_FIELD]["type"] == "TIMESTAMP"
    assert set(CLUSTERING) <= set(names)
    assert all(f.get("description") for f in fields)
    # No column could ever hold a message's text.
    assert not {"message", "text", "reply", "comment"} & set(names)


def test_the_schema_says_what_analysis_source_and_model_fallback_hold():
    """An analyst filtering analysis_source = 'model' found no row: it holds 'baseline' or the
    model's version; and model_fallback is also TRUE where the model was never called."""
    by_name = {f["name"]: f["description"] for f in schema_json()}
    assert "'baseline'" in by_name["analysis_source"]
    assert "version" in by_name["analysis_source"]
    assert "analysis limits" in by_name["model_fallback"]
    assert "never called" in by_name["model_fallback"]
    # someone else's crisis counts as a crisis: the description says how to leave it out
    assert "someone_else" in by_name["crisis"]
    # NULL local time: the user never set a time zone
    for column in ("local_hour", "local_date"):
        assert "never set a time zone" in by_name[column]


def test_a_crisis_event_s_locale_is_a_column_and_its_reply_stays_in_the_payload():
    data = {"turn_id": "t-1", "locale": "en-NZ", "reply": "someone_else", "stored": True}
    row = to_row(Event("safety.crisis_detected", NOW, "uk1", "s1", data).envelope(), now=NOW)
    assert row["locale"] == "en-NZ"
    assert json.loads(row["payload"]) == {"reply": "someone_else", "stored": True}
