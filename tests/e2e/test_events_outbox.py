"""A turn succeeds while Pub/Sub is down; its events wait in the Firestore outbox and are
delivered exactly once when Pub/Sub is back."""

from __future__ import annotations

import time

import httpx
import pytest

from scripts import stack
from tests.stack_fixtures import Subscription, new_turn

RELAY = f"http://127.0.0.1:{stack.FUNCTION_PORTS['outbox_relay']}/"


def _outbox_ids(firestore_db, session_id: str) -> set[str]:
    return {
        d.id
        for d in firestore_db.collection("outbox").stream()
        if d.to_dict()["session_id"] == session_id
    }


def _back_to(firestore_db, session_id: str, kept: set[str], seconds: float) -> bool:
    """Whether the session's outbox entries are `kept` again within `seconds`."""
    deadline = time.monotonic() + seconds
    while _outbox_ids(firestore_db, session_id) != kept:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _make_due(firestore_db, event_ids: set[str]) -> None:
    for event_id in event_ids:
        ref = firestore_db.collection("outbox").document(event_id)
        snap = ref.get()
        if snap.exists:
            ref.update({"next_attempt_at": snap.to_dict()["created_at"]})


def test_pubsub_down_then_back_delivers_each_event_once(api, user, firestore_db, scheduler_paused):
    stack.stop("pubsub")
    try:
        r = new_turn(api, user, "I'm stuck on my thesis and the deadline is Friday")
        assert r.status_code == 201, r.text
        assert r.json()["degraded"] == []  # the user is missing nothing
        session_id = r.json()["session_id"]
        waiting = _outbox_ids(firestore_db, session_id)
        assert len(waiting) == 2  # session.started + chat.turn.completed

        # Still down: the relay tries, fails (a 503, which Cloud Scheduler logs as a failed
        # attempt), and keeps them. They are due at once after the turn's own failed delivery,
        # which runs after the answer and may not have marked them yet.
        _make_due(firestore_db, waiting)
        r = httpx.post(RELAY, json={}, timeout=30)
        assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"
        assert r.headers["Retry-After"]
        assert _outbox_ids(firestore_db, session_id) == waiting
    finally:
        stack.start(stack.BY_NAME["pubsub"])
        stack.provision_pubsub()

    sub = Subscription("events")
    try:
        delivered = 0
        for _ in range(30):  # the relay's channel reconnects within a second or two
            _make_due(firestore_db, waiting)  # stands in for the backoff passing
            r = httpx.post(RELAY, json={}, timeout=30)
            delivered += r.json()["published"] if r.status_code == 200 else 0
            if delivered >= 2:
                break
            time.sleep(0.5)
        assert delivered == 2
        assert _outbox_ids(firestore_db, session_id) == set()
        again = httpx.post(RELAY, json={}, timeout=30).json()
        assert again["claimed"] == 0

        got = sub.pull(until=2, session_id=session_id)
        assert sorted(e["event_id"] for e in got) == sorted(waiting)
        assert sorted(e["type"] for e in got) == ["chat.turn.completed", "session.started"]
    finally:
        sub.delete()

    # And turns publish their own events again, once the chat function's own Pub/Sub channel has
    # reconnected (gRPC backs off after failures, so the first turn may still go to the outbox).
    follow = Subscription("events")
    try:
        # Seven turns at most 5 s apart cover ~35 s: with the turn above they are 8 of the 15
        # a minute the burst limit allows (ANOMALY_BURST_MINUTE_MAX).
        for attempt in range(7):
            kept = _outbox_ids(firestore_db, session_id)
            r = new_turn(api, user, f"update {attempt}: I wrote two pages", session_id)
            assert r.status_code == 201
            # Published once the answer is out (the relay is paused): nothing new waits for it.
            # 5 s: past a delivery's publish timeout (2 s) and its delete, so that a late one
            # is not taken for the next turn's.
            if _back_to(firestore_db, session_id, kept, seconds=5):
                break
        else:
            pytest.fail("no turn published its own events within ~35 s of Pub/Sub coming back")
        assert [e["type"] for e in follow.pull(until=1, session_id=session_id)] == [
            "chat.turn.completed"
        ]
    finally:
        follow.delete()
