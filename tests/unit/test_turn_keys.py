"""An idempotency key that names a retry only for a while (a legacy request's without
Idempotency-Key), against Firestore's RPCs: a turn stored under it before `replay_after` is
not replayed, and the key is taken over on the condition that nobody changed it since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.types import BatchGetDocumentsResponse, CommitResponse, Document

from common.adapters.firestore_sessions import FirestoreSessionStore
from common.config import Settings
from common.ports import TurnWrite
from common.sessions.state import new_session

NOW = datetime(2026, 12, 5, 12, 2, 6, tzinfo=UTC)
KEY_WRITTEN = datetime(2026, 12, 5, 11, 0, 1, tzinfo=UTC)  # the key's update_time
KEY, OLD_SESSION, OLD_TURN = "k" * 64, "a" * 32, "t-old"


def _store(turn_created: datetime) -> tuple[FirestoreSessionStore, mock.Mock]:
    """A key whose turn was stored at `turn_created`; nothing else exists."""
    client = firestore.Client(project="demo-ion", credentials=AnonymousCredentials())
    api = mock.Mock()
    stored = {
        f"turn_keys/{KEY}": ({"session_id": OLD_SESSION, "turn_id": OLD_TURN}, KEY_WRITTEN),
        f"sessions/{OLD_SESSION}/turns/{OLD_TURN}": (
            {"turn_id": OLD_TURN, "created_at": turn_created, "response": '{"reply": "old"}'},
            turn_created,
        ),
    }

    def batch_get(request, **kw):
        for path in request["documents"]:
            found = stored.get(path.split("/documents/", 1)[1])
            if found is None:
                yield BatchGetDocumentsResponse(missing=path, read_time=NOW)
                continue
            fields, updated = found
            doc = Document(
                name=path,
                fields=_helpers.encode_dict(fields),
                create_time=updated,
                update_time=updated,
            )
            yield BatchGetDocumentsResponse(found=doc, read_time=NOW)

    api.batch_get_documents.side_effect = batch_get
    api.commit.return_value = CommitResponse(commit_time=NOW)
    client._firestore_api_internal = api
    return FirestoreSessionStore(client, settings=Settings()), api


def test_a_turn_stored_before_replay_after_is_not_replayed_and_its_key_is_taken_over():
    store, api = _store(turn_created=NOW - timedelta(seconds=121))
    context = store.read_turn_context(
        key=KEY, session_id=None, replay_after=NOW - timedelta(seconds=120)
    )
    assert context.keyed_turn is None
    assert context.stale_key == KEY_WRITTEN

    session_id = "b" * 32
    state = new_session(session_id=session_id, owner_uid="u1", now=NOW, ttl=timedelta(hours=1))
    outcome = store.commit_turn(
        key=KEY,
        key_doc={"owner_uid": "u1", "fingerprint": "f"},
        session_id=session_id,
        is_new=True,
        build=lambda read: TurnWrite(
            state=state, turn_doc={"turn_id": "t-new", "response": {"reply": "new"}}
        ),
        context=context,
        ukey="k",
        replay_after=NOW - timedelta(seconds=120),
    )

    assert outcome.replayed is False and outcome.turn_doc["turn_id"] == "t-new"
    (write,) = [
        w
        for w in api.commit.call_args.kwargs["request"]["writes"]
        if w.update.name.endswith(f"/turn_keys/{KEY}")
    ]
    # taken over only if unchanged since it was read: a concurrent retry that took it over
    # first makes this commit fail and read again (then replaying that retry's turn)
    assert write.current_document.update_time == KEY_WRITTEN
    assert _helpers.decode_value(write.update.fields["turn_id"], None) == "t-new"


def test_a_turn_stored_after_replay_after_or_without_it_is_replayed():
    store, _ = _store(turn_created=NOW - timedelta(seconds=119))
    recent = store.read_turn_context(
        key=KEY, session_id=None, replay_after=NOW - timedelta(seconds=120)
    )
    assert recent.keyed_turn["turn_id"] == OLD_TURN and recent.stale_key is None

    store, _ = _store(turn_created=NOW - timedelta(days=1))
    kept = store.read_turn_context(key=KEY, session_id=None)  # a /v2 client_turn_id
    assert kept.keyed_turn["turn_id"] == OLD_TURN and kept.stale_key is None
