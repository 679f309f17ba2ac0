"""The profile updater's once-per-event write against Firestore's RPCs as production answers
them, where the emulator differs: after a failed commit the library's rollback may be refused
(the transaction is over), and that refusal must not hide ALREADY_EXISTS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1._helpers import encode_dict
from google.cloud.firestore_v1.types import BatchGetDocumentsResponse, CommitResponse, Document

from common.adapters.firestore_profiles import FirestorePreferenceWriter
from common.events import DEAD_LETTER_RETENTION, SUBSCRIPTION_RETENTION
from tests.fakes.firestore_rpc import FirestoreRpc

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
EXPIRED = exceptions.InvalidArgument(
    "The referenced transaction has expired or is no longer valid."
)


def _writer(
    *, applied: bool, commit_error: Exception | None, erasure: dict | None = None
) -> tuple[FirestorePreferenceWriter, mock.Mock]:
    client = firestore.Client(project="demo-ion", credentials=AnonymousCredentials())
    api = mock.Mock()
    api.begin_transaction.return_value = mock.Mock(transaction=b"tx-1")

    def batch_get(request, **kw):  # the marker and the erasure record as this delivery reads them
        tx = b"tx-1" if request.get("new_transaction") else None  # a read begins it
        for path in request["documents"]:
            if applied and "/applied_events/" in path:
                yield BatchGetDocumentsResponse(
                    found=Document(name=path), read_time=NOW, transaction=tx
                )
            elif erasure is not None and "/erasures/" in path:
                found = Document(name=path, fields=encode_dict(erasure))
                yield BatchGetDocumentsResponse(found=found, read_time=NOW, transaction=tx)
            else:
                yield BatchGetDocumentsResponse(missing=path, read_time=NOW, transaction=tx)

    api.batch_get_documents.side_effect = batch_get
    api.commit.side_effect = commit_error
    api.commit.return_value = CommitResponse(commit_time=NOW)
    api.rollback.side_effect = EXPIRED  # as production answers a rollback after a failed commit
    client._firestore_api_internal = api
    return FirestorePreferenceWriter(client), api


def _apply(
    writer: FirestorePreferenceWriter, occurred_at: datetime = NOW, now: datetime = NOW
) -> bool:
    return writer.apply(
        subject="k" * 32,
        event_id="e1",
        increments={"stats.lua.alpha": 1.0},
        occurred_at=occurred_at,
        now=now,
    )


def test_a_redelivered_event_is_found_applied_without_a_write():
    writer, api = _writer(applied=True, commit_error=None)
    assert _apply(writer) is False
    written = [w for call in api.commit.call_args_list for w in call.kwargs["request"]["writes"]]
    assert written == []  # the transaction ends without a write


def test_a_dead_letter_replayed_on_its_last_day_finds_the_event_applied():
    """Applied here, the event's other copy (the analytics sink down) waited out its
    subscription before it was dead-lettered, and the operator replays it on the last day its
    dead letter is kept: both subscriptions get it again. The marker's TTL deleted it at 30
    days, and every counter of the event went up a second time."""
    rpc = FirestoreRpc()
    writer = FirestorePreferenceWriter(rpc.client)
    replayed = NOW + SUBSCRIPTION_RETENTION + DEAD_LETTER_RETENTION
    for now, applied in ((NOW, True), (replayed, False)):
        rpc.purge_expired(now)
        assert _apply(writer, now=now) is applied
    assert rpc.docs["preferences/" + "k" * 32]["updated_at"] == NOW  # written once


def test_a_marker_created_meanwhile_is_applied_before_even_when_the_rollback_is_refused():
    writer, _ = _writer(applied=False, commit_error=exceptions.AlreadyExists("Document exists"))
    assert _apply(writer) is False


def test_another_refused_commit_still_fails():
    writer, _ = _writer(applied=False, commit_error=exceptions.PermissionDenied("no"))
    with pytest.raises(exceptions.GoogleAPICallError):
        _apply(writer)


def test_a_commit_that_hangs_is_a_503_within_the_transaction_deadline(monkeypatch):
    # Begin and commit take the library's own 60 s retry, the profile updater's whole timeout:
    # the push was cut off instead of answered 503 (the resilience review, 2026-12-06).
    import threading
    import time

    from common.adapters import firestore_calls
    from common.breaker import CircuitBreaker
    from common.errors import Unavailable

    monkeypatch.setattr(firestore_calls, "TRANSACTION_SECONDS", 0.2)
    monkeypatch.setattr(
        firestore_calls, "STORAGE_BREAKER", CircuitBreaker(failures=3, reset_seconds=60)
    )
    writer, api = _writer(applied=False, commit_error=None)
    released = threading.Event()

    def hanging_commit(**kw):
        released.wait(5)
        return CommitResponse(commit_time=NOW)

    api.commit.side_effect = hanging_commit
    started = time.monotonic()
    try:
        with pytest.raises(Unavailable):
            _apply(writer)
        assert time.monotonic() - started < 2  # not the 5 s the hung commit takes
    finally:
        released.set()


# The user's erasure (erasures/{user_key}) as erase_user writes it: asked at ASKED, its documents
# gone at GONE. An event of the erased account is learned from nowhere: not while the erasure
# deletes (a rating that got in before its turn was deleted is published meanwhile, after the
# request, and preferences/{user_key} may be gone already), and once done, not up to when the
# documents were gone, as the analytics erasure deletes the rows up to then.
ASKED, GONE = NOW - timedelta(minutes=5), NOW - timedelta(minutes=4)
RUNNING = {"requested_at": ASKED, "analytics": "pending", "firestore": "in_progress", "uid": "u"}
DONE = {
    "requested_at": ASKED,
    "analytics": "pending",
    "firestore": "done",
    "documents_gone_at": GONE,
}


@pytest.mark.parametrize(
    ("erasure", "occurred_at", "learned"),
    [
        (RUNNING, ASKED - timedelta(seconds=1), False),
        (RUNNING, ASKED + timedelta(seconds=2), False),  # the reviewer's rating mid-erasure
        (DONE, ASKED + timedelta(seconds=2), False),
        (DONE, GONE, False),
        (DONE, GONE + timedelta(seconds=1), True),  # the account lives on
        # recorded before documents_gone_at was: up to when the user asked
        ({"requested_at": ASKED, "analytics": "done"}, ASKED, False),
        ({"requested_at": ASKED, "analytics": "done"}, ASKED + timedelta(seconds=1), True),
    ],
)
def test_an_event_of_the_erased_account_is_not_learned(erasure, occurred_at, learned):
    writer, api = _writer(applied=False, commit_error=None, erasure=erasure)
    assert _apply(writer, occurred_at) is learned
    written = [w for call in api.commit.call_args_list for w in call.kwargs["request"]["writes"]]
    assert bool(written) is learned
