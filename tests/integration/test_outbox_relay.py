"""The outbox relay against the real Firestore and Pub/Sub emulators."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from common import clients
from common.config import get_settings
from common.events import Event
from common.outbox import relay_outbox
from tests.stack_fixtures import Subscription


def _seed(store, firestore_db, n: int, session_id: str) -> list[str]:
    past = datetime.now(UTC) - timedelta(minutes=5)
    ids = []
    batch = firestore_db.batch()
    for i in range(n):
        event = Event(
            type="test.event", occurred_at=past, user_key="k", session_id=session_id, data={"i": i}
        )
        batch.set(
            firestore_db.collection("outbox").document(event.event_id), store._outbox_doc(event)
        )
        ids.append(event.event_id)
    batch.commit()
    return ids


def test_two_relays_at_once_publish_each_event_once(firestore_db):
    store = clients.session_store()
    session_id = uuid.uuid4().hex
    sub = Subscription("events")
    try:
        ids = _seed(store, firestore_db, 30, session_id)
        reports = []

        def run() -> None:
            reports.append(
                relay_outbox(
                    publisher=clients.event_publisher(),
                    outbox=store,
                    now=datetime.now(UTC),
                    batch_size=7,
                )
            )

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # The stack's scheduler may run a third relay meanwhile: the leases keep it to one each.
        assert all(r.failed == 0 for r in reports)
        got = sub.pull(until=30, session_id=session_id)
        assert sorted(e["event_id"] for e in got) == sorted(ids)
        left = [d.id for d in firestore_db.collection("outbox").stream() if d.id in set(ids)]
        assert left == []
    finally:
        sub.delete()


def test_entries_within_the_grace_period_are_left_to_the_turn(firestore_db):
    store = clients.session_store()
    event = Event(
        type="test.event", occurred_at=datetime.now(UTC), user_key="k", session_id=uuid.uuid4().hex
    )
    ref = firestore_db.collection("outbox").document(event.event_id)
    ref.set(store._outbox_doc(event))
    try:
        report = relay_outbox(
            publisher=clients.event_publisher(), outbox=store, now=datetime.now(UTC), batch_size=50
        )
        assert ref.get().to_dict()["attempts"] == 0
        assert report.failed == 0
        assert get_settings().outbox_grace_seconds > 0
    finally:
        ref.delete()


def test_a_failed_inline_publish_of_events_the_relay_already_sent_does_not_fail_the_turn():
    # The turn's publish failed while the relay published its events and removed them: the
    # turn was stored, so marking them due must not raise. In a project of its own: the
    # stack's relay (every 10 s) would take the seeded entries, which are due at once.
    from google.cloud import firestore

    from common.adapters.firestore_sessions import FirestoreSessionStore
    from common.events import PublishError
    from common.outbox import deliver_now

    class Down:
        def publish(self, events: list[Event]) -> None:
            raise PublishError("pubsub down")

    db = firestore.Client(project=f"outbox-{uuid.uuid4().hex[:8]}")
    store = FirestoreSessionStore(db, settings=get_settings())
    ids = _seed(store, db, 2, uuid.uuid4().hex)
    db.collection("outbox").document(ids[0]).delete()  # the relay's work
    now = datetime.now(UTC)
    events = [Event("test.event", now, "k", "s", {}, event_id=i) for i in ids]
    assert deliver_now(events, publisher=Down(), outbox=store, now=now) is False
    assert not db.collection("outbox").document(ids[0]).get().exists
    left = db.collection("outbox").document(ids[1]).get().to_dict()
    assert left["next_attempt_at"] == now  # still there: the relay takes it on its next run


def test_an_entry_keeps_its_consumers_when_the_relay_takes_it():
    # A private event (for the profile updater only) must not reach analytics on a retry. In a
    # project of its own on the emulator: the relay's claim would lease other tests' entries.
    from google.cloud import firestore

    from common.adapters.firestore_sessions import FirestoreSessionStore

    store = FirestoreSessionStore(
        firestore.Client(project=f"outbox-{uuid.uuid4().hex[:8]}"), settings=get_settings()
    )
    past = datetime.now(UTC) - timedelta(minutes=5)
    events = [
        Event(type="test.event", occurred_at=past, user_key=None, subject="k", private=private)
        for private in (True, False)
    ]
    for event in events:
        store._outbox_ref(event.event_id).set(store._outbox_doc(event))
    taken = {
        e.event_id: e for e in store.claim_due(now=datetime.now(UTC), limit=10, lease_seconds=60)
    }
    assert [taken[e.event_id].private for e in events] == [True, False]
    assert taken[events[0].event_id].attributes()["private"] == "true"
    store.delete_outbox(list(taken))
