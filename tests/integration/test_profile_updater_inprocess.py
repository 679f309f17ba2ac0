"""The profile updater's entry point in-process, fed a Pub/Sub push as Pub/Sub sends it."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from pathlib import Path

import pytest

from scripts.function_client import function_client

ROOT = Path(__file__).resolve().parents[2]
PUSH = json.loads((ROOT / "tests/data/pubsub_push_feedback.json").read_text())


@pytest.fixture(scope="module")
def client():
    return function_client("profile_updater")


def _push(
    client,
    *,
    subject: str,
    event_id: str,
    data: dict,
    raw: bytes | None = None,
    occurred_at: str = "2026-11-22T10:00:00+00:00",
):
    envelope = {
        "event_id": event_id,
        "type": "feedback.submitted",
        "schema_version": 1,
        "occurred_at": occurred_at,
        "user_key": subject,
        "session_id": uuid.uuid4().hex,
        "data": data,
    }
    body = copy.deepcopy(PUSH)
    body["message"]["attributes"].update(event_id=event_id, subject=subject)
    body["message"]["data"] = base64.b64encode(raw or json.dumps(envelope).encode()).decode()
    # The topic in the path lets functions-framework name the CloudEvent's source.
    return client.post("/projects/demo-ion/topics/events", json=body)


def test_feedback_is_learned_once_per_event(client, firestore_db):
    subject, event_id = uuid.uuid4().hex[:32], str(uuid.uuid4())
    data = {
        "turn_id": uuid.uuid4().hex,
        "persona": "elro",
        "rating": 5,
        "reward": 1.0,
        "previous_reward": None,
        "tone": "curious",
        "intent": "learning",
    }
    for _ in range(2):
        assert _push(client, subject=subject, event_id=event_id, data=data).status_code == 200
    prefs = firestore_db.collection("preferences").document(subject).get().to_dict()
    assert prefs["stats"]["elro"]["alpha"] == 1.0
    assert prefs["stats"]["elro"].get("beta", 0.0) == 0.0
    assert prefs["feedback_count"] == 1
    assert prefs["ctx"]["both_up_think"]["elro"]["alpha"] == 1.0

    # A changed rating takes the first one back out.
    data2 = {**data, "rating": 1, "reward": 0.0, "previous_reward": 1.0}
    assert _push(client, subject=subject, event_id=str(uuid.uuid4()), data=data2).status_code == 200
    prefs = firestore_db.collection("preferences").document(subject).get().to_dict()
    assert prefs["stats"]["elro"] == {"alpha": 0.0, "beta": 1.0}
    assert prefs["feedback_count"] == 1


NAN_REWARD = {"turn_id": "t1", "persona": "lua", "reward": float("nan"), "previous_reward": None}


@pytest.mark.parametrize(
    ("data", "raw"),
    [({}, b"not json{"), (NAN_REWARD, None)],  # a NaN would have stayed in the counts for good
    ids=["not json", "NaN reward"],
)
def test_a_malformed_message_is_dropped_not_retried(client, firestore_db, caplog, data, raw):
    subject, event_id = uuid.uuid4().hex[:32], str(uuid.uuid4())
    with caplog.at_level("ERROR"):
        r = _push(client, subject=subject, event_id=event_id, data=data, raw=raw)
    assert r.status_code == 200  # acknowledged: a retry cannot fix it
    assert not firestore_db.collection("preferences").document(subject).get().exists
    # ...and logged so that it can be found (our own code published it) and an operator told
    (logged,) = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert logged.event_id == event_id and logged.needs_operator is True


def test_after_an_erasure_only_what_happens_next_is_learned(client, firestore_db):
    # The user erased their data at 10:00 and kept using the app (the account lives on): an
    # event from before (a redelivery, or one late in the outbox) teaches nothing, one from
    # after is learned afresh.
    from datetime import UTC, datetime

    subject = uuid.uuid4().hex[:32]
    firestore_db.collection("erasures").document(subject).set(
        {"requested_at": datetime(2026, 11, 22, 10, tzinfo=UTC), "analytics": "pending"}
    )
    data = {"turn_id": uuid.uuid4().hex, "persona": "nana", "reward": 1.0, "previous_reward": None}
    before, after = "2026-11-22T09:59:00+00:00", "2026-11-22T10:01:00+00:00"
    for when in (before, after):
        r = _push(client, subject=subject, event_id=str(uuid.uuid4()), data=data, occurred_at=when)
        assert r.status_code == 200
    prefs = firestore_db.collection("preferences").document(subject).get().to_dict()
    assert prefs["feedback_count"] == 1 and prefs["stats"]["nana"]["alpha"] == 1.0


def test_nothing_is_learned_from_the_erased_account_while_or_before_its_documents_went(
    client, firestore_db, scheduler_paused
):
    # Asked at 10:00, documents gone at 10:05: a rating that got in meanwhile (its turn not yet
    # deleted) is published after the request; it is the old account's, as analytics counts
    # it. Only what comes after 10:05 is learned.
    # (Paused: the stack's cleanup would set this uid-less record aside for an operator.)
    from datetime import UTC, datetime

    subject = uuid.uuid4().hex[:32]
    record = firestore_db.collection("erasures").document(subject)
    asked = datetime(2026, 11, 22, 10, tzinfo=UTC)
    record.set({"requested_at": asked, "analytics": "pending", "firestore": "in_progress"})
    data = {"turn_id": uuid.uuid4().hex, "persona": "lua", "reward": 1.0, "previous_reward": None}
    meanwhile, after = "2026-11-22T10:01:00+00:00", "2026-11-22T10:06:00+00:00"
    r = _push(client, subject=subject, event_id=str(uuid.uuid4()), data=data, occurred_at=after)
    assert r.status_code == 200  # while it runs: not even an event from after the request
    gone = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
    record.update({"firestore": "done", "documents_gone_at": gone})
    for when in (meanwhile, after):
        r = _push(client, subject=subject, event_id=str(uuid.uuid4()), data=data, occurred_at=when)
        assert r.status_code == 200
    prefs = firestore_db.collection("preferences").document(subject).get().to_dict()
    assert prefs["feedback_count"] == 1 and prefs["stats"]["lua"]["alpha"] == 1.0


def test_per_day_counters_older_than_eight_days_are_dropped(client, firestore_db):
    # Only the last 7 days are read (engagement, the weekly insight): older days are removed
    # when the next event is applied, so no dated history outlives its use.
    from datetime import UTC, datetime, timedelta

    from common.profile.updater import day_key

    # A day inside the window and one well outside: midnight may pass between this clock and
    # the function's (the exact 7/8-day boundary is the unit tests', on a fixed date).
    subject, today = uuid.uuid4().hex[:32], datetime.now(UTC)
    old, kept = day_key(today - timedelta(days=9)), day_key(today - timedelta(days=6))
    firestore_db.collection("preferences").document(subject).set(
        {"daily": {old: {"turns": 3}, kept: {"turns": 2}, "d20200101": {"turns": 1}}}
    )
    data = {"turn_id": uuid.uuid4().hex, "persona": "riri", "reward": 1.0, "previous_reward": None}
    r = _push(
        client,
        subject=subject,
        event_id=str(uuid.uuid4()),
        data=data,
        occurred_at=today.isoformat(),
    )
    assert r.status_code == 200
    daily = firestore_db.collection("preferences").document(subject).get().to_dict()["daily"]
    assert set(daily) == {kept, day_key(today)}
