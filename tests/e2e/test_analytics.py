"""Conversations and feedback through the gateway reach BigQuery through Pub/Sub and the
analytics sink, and appear in the views once each, even when Pub/Sub delivers an event again."""

from __future__ import annotations

import json
import urllib.request

import pytest

from common.analytics.warehouse import emulator_client
from common.config import get_settings
from common.events import anonymous_id, user_key
from scripts import stack
from tests.stack_fixtures import PUBSUB, new_turn, wait_for

DATASET = f"{stack.PROJECT}.analytics"


@pytest.fixture(scope="module")
def bq():
    return emulator_client(stack.EMULATOR_ENV["BIGQUERY_EMULATOR_HOST"], stack.PROJECT)


def query(bq, sql: str, **params) -> list[dict]:
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter(k, "STRING", v) for k, v in params.items()]
    )
    return [dict(r.items()) for r in bq.query(sql, job_config=config).result()]


def of_user(bq, view: str, ukey: str, columns: str = "*") -> list[dict]:
    sql = f"SELECT {columns} FROM `{DATASET}.{view}` WHERE user_key = @key"  # noqa: S608
    return query(bq, sql, key=ukey)


def republish(envelope: dict) -> None:
    """Deliver an event a second time, as an at-least-once Pub/Sub (or the relay) may."""
    import base64

    body = {"messages": [{"data": base64.b64encode(json.dumps(envelope).encode()).decode()}]}
    req = urllib.request.Request(
        f"{PUBSUB}/topics/events:publish",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(req, timeout=10).close()


def test_turns_and_feedback_appear_in_the_views_once_each(api, user, events, bq):
    ukey = user_key(user.uid, get_settings().analytics_key.get_secret_value())
    first = new_turn(api, user, "I want to plan my study week for the exams").json()
    second = new_turn(api, user, "what should I do first?", first["session_id"]).json()
    other = new_turn(api, user, "thanks, that went well today!").json()
    rate = lambda turn, rating: api.post(  # noqa: E731
        "/v2/feedback",
        json={"turn_id": turn["turn_id"], "session_id": turn["session_id"], "rating": rating},
        headers=user.headers,
    )
    assert rate(first, "up").status_code == 201
    assert rate(first, 2).status_code == 200  # changed: the last rating stands
    assert rate(other, 5).status_code == 201

    # Deliver the first turn's event a second time.
    published = events.pull(until=3, session_id=first["session_id"])
    turn_event = next(
        e
        for e in published
        if e["type"] == "chat.turn.completed" and e["data"]["turn_id"] == first["turn_id"]
    )
    republish(turn_event)

    copies = f"SELECT COUNT(*) AS n FROM `{DATASET}.events` WHERE event_id = @id"  # noqa: S608
    wait_for(lambda: query(bq, copies, id=turn_event["event_id"])[0]["n"] == 2, "both copies")
    ratings = (
        f"SELECT COUNT(*) AS n FROM `{DATASET}.events` "  # noqa: S608
        "WHERE user_key = @key AND type = 'feedback.submitted'"
    )
    wait_for(lambda: query(bq, ratings, key=ukey)[0]["n"] == 3, "the three ratings")

    turns = query(bq, f"SELECT * FROM `{DATASET}.turns` WHERE user_key = @key", key=ukey)  # noqa: S608
    assert sorted(t["turn_id"] for t in turns) == sorted(
        t["turn_id"] for t in (first, second, other)
    )
    assert {t["session_id"] for t in turns} == {first["session_id"], other["session_id"]}
    by_turn = {t["turn_id"]: t for t in turns}
    assert by_turn[first["turn_id"]]["persona"] == first["persona"]["id"]
    assert by_turn[first["turn_id"]]["intent"] == first["analysis"]["intent"]["label"]
    assert by_turn[second["turn_id"]]["turn_index"] == 1

    finals = query(
        bq,
        f"SELECT turn_id, satisfaction FROM `{DATASET}.feedback_final` WHERE user_key = @key",  # noqa: S608
        key=ukey,
    )
    assert {f["turn_id"]: f["satisfaction"] for f in finals} == {
        first["turn_id"]: 0.25,
        other["turn_id"]: 1.0,
    }

    (activity,) = of_user(bq, "user_activity", ukey)
    assert (activity["turns_total"], activity["sessions_28d"], activity["ratings_28d"]) == (3, 2, 2)
    assert activity["satisfaction_28d"] == pytest.approx((0.25 + 1.0 + 1) / (2 + 2))
    (segment,) = of_user(bq, "user_segments", ukey, "segment")
    assert segment["segment"] == "new"
    (risk,) = of_user(bq, "churn_risk", ukey, "risk, band")
    assert 0 <= risk["risk"] <= 1

    # The raw table holds the copy; no view counts it.
    everything = query(
        bq,
        f"SELECT type, COUNT(*) AS n FROM `{DATASET}.events_dedup` "  # noqa: S608
        "WHERE user_key = @key AND type IN "
        "('session.started', 'chat.turn.completed', 'feedback.submitted') GROUP BY type",
        key=ukey,
    )
    assert {r["type"]: r["n"] for r in everything} == {
        "session.started": 2,
        "chat.turn.completed": 3,
        "feedback.submitted": 3,
    }


def test_a_rating_changed_after_anonymising_is_counted_once(api, user, bq):
    settings = get_settings()
    key = settings.analytics_key.get_secret_value()
    first = new_turn(api, user, "how do I prepare for the salary talk on friday?").json()
    second = new_turn(api, user, "and what if they say no?", first["session_id"]).json()

    def rate(turn: dict, rating) -> int:
        body = {"turn_id": turn["turn_id"], "session_id": turn["session_id"], "rating": rating}
        return api.post("/v2/feedback", json=body, headers=user.headers).status_code

    def finals(*turn_ids: str) -> dict:
        sql = (
            f"SELECT turn_id, satisfaction FROM `{DATASET}.feedback_final` "  # noqa: S608
            "WHERE turn_id IN UNNEST(@ids)"
        )
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            query_parameters=[bigquery.ArrayQueryParameter("ids", "STRING", list(turn_ids))]
        )
        return {r["turn_id"]: r["satisfaction"] for r in bq.query(sql, job_config=config).result()}

    assert rate(first, "up") == 201
    wait_for(lambda: finals(first["turn_id"]) == {first["turn_id"]: 1.0}, "the keyed rating")
    api.patch("/v2/profile", json={"anonymize_analytics": True}, headers=user.headers)
    assert rate(first, "down") == 200  # changed under the other identity
    # A first rating of a turn logged under the user key: to the profile updater only (its row
    # would join no turn, and link the identities).
    assert rate(second, 4) == 201
    third = new_turn(api, user, "ok, I'll practise it tonight").json()  # anonymous throughout
    assert rate(third, "up") == 201  # a first rating of an anonymous turn: stored anonymously
    ids = (first["turn_id"], anonymous_id(first["turn_id"], key))
    anonymous_third = anonymous_id(third["turn_id"], key)
    wait_for(lambda: anonymous_third in finals(anonymous_third), "the anonymous rating")
    # All were pushed to the sink before the last; the other two left no row of their own.
    assert finals(*ids) == {first["turn_id"]: 1.0}
    assert finals(second["turn_id"], anonymous_id(second["turn_id"], key)) == {}
