"""A rating while its user's erasure runs, against Firestore's RPCs: it was the only write about
the user that did not read the erasure's mark, so a rating of a turn the erasure had not deleted
yet was stored, and its event learned after preferences/{user_key} was deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1._helpers import encode_dict
from google.cloud.firestore_v1.types import BatchGetDocumentsResponse, CommitResponse, Document

from common.adapters.firestore_sessions import FirestoreSessionStore, encode_session
from common.config import Settings
from common.errors import ErasureInProgress
from common.feedback.models import FeedbackCreate
from common.feedback.service import submit_feedback
from common.profile.erasure import ERASING
from common.sessions.state import new_session
from tests.fakes.turns import Outbox, Publisher

ASKED = datetime(2026, 12, 6, 12, tzinfo=UTC)  # DELETE /v2/profile
NOW = ASKED + timedelta(seconds=2)  # a rating from the user's other device
UID, SESSION, TURN = "u1", "5" * 32, "a" * 32
SETTINGS = Settings(ion_env="local")


def _store(docs: dict[str, dict]) -> tuple[FirestoreSessionStore, mock.Mock]:
    """The store over Firestore's RPCs: `docs` by path (under documents/), the rest missing."""
    client = firestore.Client(project="demo-ion", credentials=AnonymousCredentials())
    api = mock.Mock()

    def batch_get(request, **kw):
        for name in request["documents"]:
            path = name.split("/documents/", 1)[1]
            if path in docs:
                found = Document(name=name, fields=encode_dict(docs[path]))
                yield BatchGetDocumentsResponse(found=found, read_time=NOW)
            else:
                yield BatchGetDocumentsResponse(missing=name, read_time=NOW)

    api.batch_get_documents.side_effect = batch_get
    api.commit.return_value = CommitResponse(commit_time=NOW)
    client._firestore_api_internal = api
    return FirestoreSessionStore(client, settings=SETTINGS), api


def _turn_and_session() -> dict[str, dict]:
    """A turn the erasure has not reached yet, and its session."""
    session = new_session(session_id=SESSION, owner_uid=UID, now=ASKED, ttl=timedelta(days=1))
    turn = {"owner_uid": UID, "turn_index": 0, "persona": "lua", "tone": "calm"}
    return {
        f"sessions/{SESSION}": encode_session(session),
        f"sessions/{SESSION}/turns/{TURN}": turn,
    }


def _rate(store: FirestoreSessionStore, publisher: Publisher):
    return submit_feedback(
        uid=UID,
        body=FeedbackCreate(turn_id=TURN, session_id=SESSION, rating="up"),
        store=store,
        outbox=Outbox(),
        publisher=publisher,
        settings=SETTINGS,
        now=NOW,
    )


def test_a_rating_while_the_users_erasure_runs_is_refused_and_nothing_is_written():
    marked = {f"activity/{UID}": {ERASING: ASKED}}
    store, api = _store(_turn_and_session() | marked)
    publisher = Publisher()
    with pytest.raises(ErasureInProgress) as refused:
        _rate(store, publisher)
    assert refused.value.status == 409 and refused.value.retry_after == 5
    api.commit.assert_not_called()
    assert publisher.events == []
    # The mark was read with the rest of the context, in the same round trip.
    (call,) = api.batch_get_documents.call_args_list
    assert any(name.endswith(f"/activity/{UID}") for name in call.kwargs["request"]["documents"])


def test_a_rating_after_the_erasure_is_done_is_stored():
    # The tombstone the erasure leaves holds no mark: the account lives on.
    done = {f"activity/{UID}": {"erasure_done_at": ASKED, "expires_at": NOW}}
    store, api = _store(_turn_and_session() | done)
    publisher = Publisher()
    out = _rate(store, publisher)
    assert out.created and api.commit.call_count == 1
    assert [e.type for e in publisher.events] == ["feedback.submitted"]
