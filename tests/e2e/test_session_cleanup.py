"""The session cleanup job as Cloud Scheduler calls it: POST to the running function."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from common.config import get_settings
from common.events import user_key
from common.personalization.preferences import IMPLICIT_SIGNALS
from common.sessions.ending import ENDED_NAMESPACE
from scripts import stack
from tests.e2e.redelivery import FunctionLog, publish_event
from tests.stack_fixtures import new_turn, wait_for

JOB = f"http://127.0.0.1:{stack.FUNCTION_PORTS['session_cleanup']}/"


def _run() -> dict:
    r = httpx.post(JOB, json={}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def _expire(db, session_id: str) -> None:
    """What 25 hours without a turn does to a session and its turns."""
    past = datetime.now(UTC) - timedelta(hours=1)
    session = db.collection("sessions").document(session_id)
    session.update({"expires_at": past})
    for turn in session.collection("turns").stream():
        turn.reference.update({"expires_at": past})


def test_expired_sessions_go_with_their_turns_and_live_ones_stay(api, user, firestore_db) -> None:
    expired = new_turn(api, user, "I keep putting off my thesis chapter").json()["session_id"]
    assert new_turn(api, user, "and the deadline is Friday", session_id=expired).status_code == 201
    live = new_turn(api, user, "How do I plan a study week?").json()["session_id"]
    _expire(firestore_db, expired)

    report = _run()

    # Counts only: the stack's own scheduler may have run the job a moment before this call
    # (exact counts are checked in tests/integration/test_session_cleanup.py).
    assert all(isinstance(report[k], int) for k in ("sessions_deleted", "turns_deleted"))
    assert set(report) >= {"orphan_turns_deleted", "expired_deleted", "analytics", "complete"}
    sessions = firestore_db.collection("sessions")
    assert not sessions.document(expired).get().exists
    assert list(sessions.document(expired).collection("turns").stream()) == []
    assert sessions.document(live).get().exists
    assert len(list(sessions.document(live).collection("turns").stream())) == 1
    assert api.get(f"/v2/sessions/{live}", headers=user.headers).status_code == 200

    _run()  # a second run finds nothing more of this user's to delete
    assert sessions.document(live).get().exists
    assert len(list(sessions.document(live).collection("turns").stream())) == 1


def _analytics_types(key: str) -> list[str]:
    """The types of the rows of analytics.events under this user key (the local BigQuery)."""
    from google.cloud import bigquery

    from common.analytics.warehouse import emulator_client

    bq = emulator_client(stack.EMULATOR_ENV["BIGQUERY_EMULATOR_HOST"], stack.PROJECT)
    sql = f"SELECT type FROM `{stack.PROJECT}.analytics.events` WHERE user_key = @key"  # noqa: S608
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("key", "STRING", key)]
    )
    return sorted(row["type"] for row in bq.query(sql, job_config=config).result())


def test_a_settled_erasure_is_completed_in_analytics(api, user, firestore_db) -> None:
    assert new_turn(api, user, "hello there").status_code == 201
    key = user_key(user.uid, get_settings().analytics_key.get_secret_value())
    # the turn's events reach the events table (Pub/Sub, the analytics sink) before the erasure
    turn_events = {"session.started", "chat.turn.completed"}
    wait_for(lambda: set(_analytics_types(key)) == turn_events, "the turn's rows in analytics")
    assert api.delete("/v2/profile", headers=user.headers).status_code == 200
    erasure = firestore_db.collection("erasures").document(key)
    assert erasure.get().get("analytics") == "pending"

    _run()  # just requested: events may still be in flight, so the erasure stays open
    assert erasure.get().get("analytics") == "pending"
    erasure.update({"requested_at": datetime.now(UTC) - timedelta(days=2)})
    report = _run()

    # the stack always creates the events table: the rows were found and deleted
    assert report["analytics"]["status"] == "ok", report["analytics"]
    assert erasure.get().get("analytics") == "done"
    assert _analytics_types(key) == []


def test_only_post_runs_the_job() -> None:
    r = httpx.get(JOB, timeout=30)
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_a_session_left_after_one_reply_teaches_the_profile_once(
    api, user, firestore_db, events
) -> None:
    turn = new_turn(api, user, "can you help me prepare for a salary talk?").json()
    persona = turn["persona"]["id"]
    key = user_key(user.uid, get_settings().analytics_key.get_secret_value())
    prefs = firestore_db.collection("preferences").document(key)
    _expire(firestore_db, turn["session_id"])

    _run()  # the session.ended event goes through the outbox, the relay and the updater

    def beta() -> float:
        doc = prefs.get()
        stats = (doc.to_dict() or {}).get("stats", {}) if doc.exists else {}
        return float(stats.get(persona, {}).get("beta", 0.0))

    wait_for(beta, "the updater to learn from the session's end", timeout=45)
    reward, weight = IMPLICIT_SIGNALS["left_right_after_reply"]
    assert beta() == pytest.approx(weight * (1 - reward))  # weak evidence against
    ended = str(uuid.uuid5(ENDED_NAMESPACE, turn["session_id"]))
    assert prefs.collection("applied_events").document(ended).get().exists

    # Delivered again (Pub/Sub, the relay or a second cleanup run may): handled, not counted.
    published = events.pull(until=3, session_id=turn["session_id"])
    envelope = next(e for e in published if e["type"] == "session.ended")
    assert envelope["event_id"] == ended
    handled = FunctionLog("profile_updater")
    publish_event(envelope, key)
    wait_for(
        lambda: handled.records("profile event", type="session.ended", applied=False),
        "the updater to handle the copy",
    )
    assert beta() == pytest.approx(weight * (1 - reward))  # counted once
