"""FirestorePushStore over the FirestoreRpc fake (the real client library, RPCs counted)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from common.adapters import firestore_calls
from common.adapters.firestore_push import (
    DEFERRED,
    PUSH_NOTIFICATIONS,
    FirestorePushStore,
    _record_id,
)
from common.adapters.firestore_sessions import FirestoreSessionStore
from common.breaker import CircuitBreaker
from common.chat.limits import activity_doc
from common.config import Settings
from common.errors import Unavailable
from common.events import DEAD_LETTER_RETENTION, SUBSCRIPTION_RETENTION
from common.push.models import Notification
from tests.fakes.firestore_rpc import FirestoreRpc

NOW = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def test_read_user_brings_the_activity_record_in_the_same_round_trip():
    # A re-engagement nudge is judged by it as it goes (common/push/service.py).
    crisis = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)
    rpc = FirestoreRpc(
        {
            "users/u1": {"settings": {"timezone": "Asia/Seoul"}},
            "activity/u1": activity_doc([(crisis, "h")], limited_until=None, crisis_at=crisis),
        }
    )
    store = FirestorePushStore(rpc.client, FirestoreSessionStore(rpc.client, settings=Settings()))

    user = store.read_user("u1", "k1")

    assert user.activity is not None and user.activity["crisis_at"] == crisis
    assert user.doc == {"settings": {"timezone": "Asia/Seoul"}}
    assert rpc.api.batch_get_documents.call_count == 1  # users, erasures and activity at once
    assert store.read_user("u2", "k2").activity is None  # no record: no turn for a day or more


def _store(rpc: FirestoreRpc) -> FirestorePushStore:
    return FirestorePushStore(rpc.client, FirestoreSessionStore(rpc.client, settings=Settings()))


NOTE = Notification(
    notification_id="weekly-u1-2026-W48",
    uid="u1",
    kind="weekly_insight",
    title="Your week",
    body="In the past week: 4 conversations.",
    created_at=NOW - timedelta(hours=1),
)


def _stall_next_begin(rpc: FirestoreRpc) -> threading.Event:
    """The next BeginTransaction hangs (Firestore unreachable, the library retrying) until the
    returned event is set; later ones answer."""
    released, begin, stalled = threading.Event(), rpc.api.begin_transaction.side_effect, []

    def stalls_once(**kw):
        if not stalled:
            stalled.append(1)
            released.wait(5)
        return begin(**kw)

    rpc.api.begin_transaction.side_effect = stalls_once
    return released


@pytest.fixture
def deadline(monkeypatch):
    monkeypatch.setattr(firestore_calls, "TRANSACTION_SECONDS", 0.2)
    monkeypatch.setattr(
        firestore_calls, "STORAGE_BREAKER", CircuitBreaker(failures=3, reset_seconds=60)
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.begin(NOTE.notification_id, uid="u1", release=False, now=NOW, lease=120),
        lambda s: s.take_slot(NOTE, day="2026-11-24", cap=3, now=NOW),
        lambda s: s.defer(NOTE, due_at=NOW, reason="retry", now=NOW, delivery=1, events=[]),
        lambda s: s.drop_waiting(NOTE),
    ],
    ids=["begin", "take_slot", "defer", "drop_waiting"],
)
def test_a_push_transaction_that_hangs_is_a_503_within_its_deadline(deadline, call):
    # Their BeginTransaction and Commit take the library's own 60 s retry: at the start of an
    # outage each push delivery held its worker ~50-58 s, the function's whole timeout.
    rpc = FirestoreRpc()
    released = _stall_next_begin(rpc)
    started = time.monotonic()
    try:
        with pytest.raises(Unavailable):
            call(_store(rpc))
        assert time.monotonic() - started < 2  # not the 5 s the hung call takes
    finally:
        released.set()


def test_a_deferral_that_lands_after_another_delivery_decided_the_push_writes_nothing(deadline):
    # Delivery 1 defers the push (FCM asked to wait); its transaction stalls, the delivery
    # fails (a 503) and the transaction goes on. Once delivery 1's lease has run out, delivery 2
    # takes the push and suppresses it (say the user turned notifications off). Then delivery
    # 1's deferral lands: it must not make the push wait again, to be sent by a release.
    rpc = FirestoreRpc({"users/u1": {"settings": {"timezone": "UTC"}}})
    store = _store(rpc)
    first = store.begin(NOTE.notification_id, uid="u1", release=False, now=NOW, lease=120)
    released = _stall_next_begin(rpc)
    with pytest.raises(Unavailable):
        store.defer(NOTE, due_at=NOW, reason="retry", now=NOW, delivery=first.deliveries, events=[])
    later = NOW + timedelta(minutes=3)
    second = store.begin(NOTE.notification_id, uid="u1", release=False, now=later, lease=120)
    assert second.state == "claimed" and second.deliveries == 2
    store.finish(
        NOTE.notification_id, status="suppressed", reason="notifications_off", now=later, events=[]
    )
    commits = len(rpc.commits)
    released.set()
    waited = time.monotonic() + 5
    while not rpc.api.rollback.called and len(rpc.commits) == commits:  # delivery 1's lands
        assert time.monotonic() < waited
        time.sleep(0.01)
    assert rpc.written(DEFERRED) == []  # nothing waits for a release
    record = rpc.docs[f"{PUSH_NOTIFICATIONS}/{_record_id(NOTE.notification_id)}"]
    assert record["status"] == "suppressed"


def test_a_dead_letter_replayed_on_its_last_day_is_not_pushed_again():
    """Sent, then its message dead-lettered all the same (say the acknowledgement was lost, and
    every redelivery failed after), and replayed on the last day a dead letter is kept: the
    record's TTL deleted it at 30 days, and the push went out a second time."""
    rpc = FirestoreRpc({"users/u1": {"settings": {"timezone": "UTC"}}})
    store = _store(rpc)
    assert store.begin(NOTE.notification_id, uid="u1", release=False, now=NOW, lease=120).state
    store.finish(NOTE.notification_id, status="sent", reason=None, now=NOW, events=[])
    replayed = NOW + SUBSCRIPTION_RETENTION + DEAD_LETTER_RETENTION
    rpc.purge_expired(replayed)
    again = store.begin(NOTE.notification_id, uid="u1", release=False, now=replayed, lease=120)
    assert again.state == "duplicate"


def _waiting(count: int) -> dict[str, dict]:
    """Notifications whose quiet hours are over, and one a looser version stored."""
    docs = {}
    for i in range(count):
        note = NOTE.model_copy(update={"notification_id": f"weekly-u{i}-2026-W48", "uid": f"u{i}"})
        docs[f"{DEFERRED}/w{i:02d}"] = {
            "notification_id": note.notification_id,
            "notification": note.model_dump(mode="json"),
            "due_at": NOW - timedelta(minutes=1),
        }
    docs[f"{DEFERRED}/zz-unreadable"] = {"notification": {"uid": ""}, "due_at": NOW}
    return docs


def test_a_page_of_due_notifications_is_leased_in_one_commit():
    # One update after another, in the release's own thread: no delivery started while a page
    # of 50 was leased, and a 40 s run released 650-1,450 (at 14-31 ms a round trip), not the
    # 1,400-3,000 its 16 workers deliver.
    rpc = FirestoreRpc(_waiting(50), queries=True)

    claimed = _store(rpc).claim_due(now=NOW, limit=51, lease=120)

    assert [n.uid for n in claimed] == [f"u{i}" for i in range(50)]
    assert rpc.calls == {"run_query": 1, "commit": 1}
    (commit,) = rpc.commits
    assert len(commit) == 51 and all(w.current_document.update_time for w in commit)
    assert rpc.docs[f"{DEFERRED}/w00"]["due_at"] == NOW + timedelta(seconds=120)
    assert rpc.docs[f"{DEFERRED}/zz-unreadable"]["unreadable"]  # set aside in the same commit


def test_a_notification_another_release_took_meanwhile_is_not_claimed_again():
    rpc = FirestoreRpc(_waiting(3), queries=True)

    def taken(writes):  # another release leased w01 between this one's read and its commit
        rpc.before_commit = lambda writes: None
        rpc.put(f"{DEFERRED}/w01", {**rpc.docs[f"{DEFERRED}/w01"], "due_at": NOW})

    rpc.before_commit = taken

    claimed = _store(rpc).claim_due(now=NOW, limit=4, lease=120)

    assert [n.uid for n in claimed] == ["u0", "u2"]
    assert rpc.docs[f"{DEFERRED}/w01"]["due_at"] == NOW  # its lease, not this one's
