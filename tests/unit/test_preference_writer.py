"""The profile updater's once-per-event write against Firestore's RPCs as production answers
them, where the emulator differs: after a failed commit the library's rollback may be refused
(the transaction is over), and that refusal must not hide ALREADY_EXISTS."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.types import BatchGetDocumentsResponse, CommitResponse, Document

from common.adapters.firestore_profiles import FirestorePreferenceWriter

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
EXPIRED = exceptions.InvalidArgument(
    "The referenced transaction has expired or is no longer valid."
)


def _writer(
    *, applied: bool, commit_error: Exception | None
) -> tuple[FirestorePreferenceWriter, mock.Mock]:
    client = firestore.Client(project="demo-ion", credentials=AnonymousCredentials())
    api = mock.Mock()
    api.begin_transaction.return_value = mock.Mock(transaction=b"tx-1")

    def batch_get(request, **kw):  # the marker as this delivery reads it; no erasure record
        tx = b"tx-1" if request.get("new_transaction") else None  # a read begins it
        for path in request["documents"]:
            if applied and "/applied_events/" in path:
                yield BatchGetDocumentsResponse(
                    found=Document(name=path), read_time=NOW, transaction=tx
                )
            else:
                yield BatchGetDocumentsResponse(missing=path, read_time=NOW, transaction=tx)

    api.batch_get_documents.side_effect = batch_get
    api.commit.side_effect = commit_error
    api.commit.return_value = CommitResponse(commit_time=NOW)
    api.rollback.side_effect = EXPIRED  # as production answers a rollback after a failed commit
    client._firestore_api_internal = api
    return FirestorePreferenceWriter(client), api


def _apply(writer: FirestorePreferenceWriter) -> bool:
    return writer.apply(
        subject="k" * 32,
        event_id="e1",
        increments={"stats.lua.alpha": 1.0},
        occurred_at=NOW,
        now=NOW,
    )


def test_a_redelivered_event_is_found_applied_without_a_write():
    writer, api = _writer(applied=True, commit_error=None)
    assert _apply(writer) is False
    written = [w for call in api.commit.call_args_list for w in call.kwargs["request"]["writes"]]
    assert written == []  # the transaction ends without a write


def test_a_marker_created_meanwhile_is_applied_before_even_when_the_rollback_is_refused():
    writer, _ = _writer(applied=False, commit_error=exceptions.AlreadyExists("Document exists"))
    assert _apply(writer) is False


def test_another_refused_commit_still_fails():
    writer, _ = _writer(applied=False, commit_error=exceptions.PermissionDenied("no"))
    with pytest.raises(exceptions.GoogleAPICallError):
        _apply(writer)
