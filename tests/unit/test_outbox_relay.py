"""The relay's batches: each claimed at the time it is claimed, so a lease taken late in a long
run is not already over, and none started once the run's time is spent; the Firestore outbox
leases a batch in one commit (the emulator tests are in tests/integration/test_outbox_relay.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common import outbox
from common.adapters.firestore_sessions import FirestoreSessionStore, outbox_doc
from common.config import Settings
from common.events import Event
from common.outbox import relay_outbox
from tests.fakes.firestore_rpc import FirestoreRpc

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


class Outbox:
    def __init__(self, entries: int) -> None:
        self.left = [Event("test.event", NOW, "k", event_id=f"e{i}") for i in range(entries)]
        self.claims: list[datetime] = []

    def claim_due(self, *, now, limit, lease_seconds):
        self.claims.append(now)
        taken, self.left = self.left[:limit], self.left[limit:]
        return taken

    def delete_outbox(self, event_ids):
        pass


class PubSub:
    def publish(self, events):
        pass


def test_each_batch_is_claimed_at_its_own_time(monkeypatch) -> None:
    ticks = iter(range(0, 10_000, 40))  # a long run: each look at the clock, 40 s later
    monkeypatch.setattr(outbox.time, "monotonic", lambda: next(ticks))
    store = Outbox(entries=25)
    report = relay_outbox(
        publisher=PubSub(), outbox=store, now=NOW, batch_size=10, budget_seconds=3600
    )
    assert (report.claimed, report.published) == (25, 25)
    assert store.claims == [NOW + timedelta(seconds=s) for s in (40, 80, 120, 160)]


def test_a_run_starts_no_batch_once_its_time_is_spent(monkeypatch) -> None:
    # Batches started until the 20th, slow enough ones ran past the function's 60 s timeout:
    # killed after a publish, before its delete, and the next run found the instance busy.
    ticks = iter(range(0, 10_000, 15))  # each batch takes 15 s (a slow Pub/Sub)
    monkeypatch.setattr(outbox.time, "monotonic", lambda: next(ticks))
    store = Outbox(entries=1000)
    report = relay_outbox(publisher=PubSub(), outbox=store, now=NOW, batch_size=10)
    assert store.claims == [NOW + timedelta(seconds=s) for s in (15, 30)]  # none at 45 s
    assert (report.published, report.more_due) == (20, True)


def test_a_run_says_when_the_backlog_outlasts_it(caplog) -> None:
    caplog.set_level("INFO")
    report = relay_outbox(
        publisher=PubSub(), outbox=Outbox(entries=25), now=NOW, batch_size=5, max_batches=3
    )
    assert (report.published, report.more_due) == (15, True)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    caplog.clear()
    report = relay_outbox(
        publisher=PubSub(), outbox=Outbox(entries=12), now=NOW, batch_size=5, max_batches=3
    )
    assert (report.published, report.more_due) == (12, False)
    quiet = relay_outbox(publisher=PubSub(), outbox=Outbox(entries=0), now=NOW, batch_size=5)
    assert quiet.claimed == 0 and [r.levelname for r in caplog.records] == ["INFO"]


def _due(entries: int) -> FirestoreRpc:
    events = [
        Event("session.ended", NOW - timedelta(minutes=5), "k", event_id=f"e{i:03d}")
        for i in range(entries)
    ]
    docs = {f"outbox/{e.event_id}": outbox_doc(e, due=NOW - timedelta(minutes=1)) for e in events}
    return FirestoreRpc(docs, queries=True)


def test_a_batch_of_due_events_is_leased_in_one_commit() -> None:
    # One update after another: 2,000 due events took a relay 33-63 s of its 60 s at 14-31 ms
    # a round trip.
    rpc = _due(100)
    store = FirestoreSessionStore(rpc.client, settings=Settings())

    claimed = store.claim_due(now=NOW, limit=100, lease_seconds=30)

    assert [e.event_id for e in claimed] == [f"e{i:03d}" for i in range(100)]
    assert rpc.calls == {"run_query": 1, "commit": 1}
    assert all(w.current_document.update_time for w in rpc.commits[0])  # only as read
    lease = rpc.docs["outbox/e000"]
    assert (lease["attempts"], lease["next_attempt_at"]) == (1, NOW + timedelta(seconds=30))


def test_an_event_delivered_while_its_batch_is_leased_is_left_out() -> None:
    rpc = _due(5)
    store = FirestoreSessionStore(rpc.client, settings=Settings())

    def delivered(writes):  # the turn's own publish went through: it deletes the entry
        rpc.before_commit = lambda writes: None
        del rpc.docs["outbox/e002"], rpc.versions["outbox/e002"]

    rpc.before_commit = delivered

    claimed = store.claim_due(now=NOW, limit=5, lease_seconds=30)

    assert [e.event_id for e in claimed] == ["e000", "e001", "e003", "e004"]
    assert "outbox/e002" not in rpc.docs  # not brought back by its lease


def test_a_batch_whose_lease_commit_answer_was_lost_is_claimed() -> None:
    # The leases went in but the commit's answer was lost: the client's retry met them as a
    # changed precondition, and the batch was taken for claimed by another relay. claim_due
    # returned nothing (the run ended early, more_due False) and the batch sat leased.
    rpc = _due(5)
    lost = rpc.first_answer_lost()
    store = FirestoreSessionStore(rpc.client, settings=Settings())

    claimed = store.claim_due(now=NOW, limit=5, lease_seconds=30)

    assert lost and [e.event_id for e in claimed] == [f"e{i:03d}" for i in range(5)]
    assert rpc.calls == {"run_query": 1, "commit": 2, "batch_get_documents": 1}


@pytest.mark.parametrize("other", ["delivered", "leased"])
def test_an_event_another_writer_took_after_a_lost_answer_alone_is_left_out(other) -> None:
    # The leases went in, their answer was lost, and before the retry arrived the entry of e002
    # was delivered (deleted) or leased again by another relay: only e002 is not claimed.
    rpc = _due(5)
    rpc.first_answer_lost()
    store = FirestoreSessionStore(rpc.client, settings=Settings())
    arrived = []

    def another_writer(writes):
        arrived.append(writes)
        if len(arrived) == 2:  # the retry
            if other == "delivered":
                del rpc.docs["outbox/e002"], rpc.versions["outbox/e002"]
            else:
                rpc.put("outbox/e002", {**rpc.docs["outbox/e002"], "attempts": 2})

    rpc.before_commit = another_writer

    claimed = store.claim_due(now=NOW, limit=5, lease_seconds=30)

    assert [e.event_id for e in claimed] == ["e000", "e001", "e003", "e004"]
    assert rpc.calls["commit"] == 2  # nothing sent again: e002 is not as read
