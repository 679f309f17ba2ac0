"""The turn's commit against the real Firestore emulator: what it does when a batch it sent was
applied although the call failed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from common.config import get_settings
from common.events import Event
from common.ports import TurnContext, TurnWrite
from common.sessions.state import new_session


def test_a_batch_applied_whose_answer_was_lost_is_this_turns_commit_not_a_replay():
    """The client library retries a commit whose answer it lost (a timeout, an unavailable
    server). If the first call was applied, the retry is refused by its own writes (the turn
    and its key exist), as a concurrent request's would be. The stored turn is this request's:
    it is answered as created (201, its events published now), not as a replay (200, with
    its events left to the relay)."""
    from google.api_core import exceptions
    from google.cloud import firestore

    from common.adapters.firestore_sessions import FirestoreSessionStore

    db = firestore.Client(project=f"commit-{uuid.uuid4().hex[:8]}")
    real_batch = db.batch

    def answer_lost_once():
        batch = real_batch()
        commit = batch.commit

        def commit_then_refuse(**kwargs):
            commit(**kwargs)  # applied...
            if not lost:
                lost.append(batch)  # ...and what the library's retry of it meets
                raise exceptions.AlreadyExists("Document already exists")

        batch.commit = commit_then_refuse
        return batch

    lost: list = []
    db.batch = answer_lost_once
    store = FirestoreSessionStore(db, settings=get_settings())
    now = datetime.now(UTC)
    session_id, turn_id = uuid.uuid4().hex, uuid.uuid4().hex
    state = new_session(session_id=session_id, owner_uid="ada", now=now, ttl=timedelta(hours=1))
    event = Event("chat.turn.completed", now, "k", session_id, {"turn_id": turn_id})
    write = TurnWrite(
        state=state,
        turn_doc={"turn_id": turn_id, "owner_uid": "ada", "response": {"reply": "hi"}},
        events=[event],
    )

    outcome = store.commit_turn(
        key=f"ada:{uuid.uuid4().hex}",
        key_doc={"owner_uid": "ada", "fingerprint": "f"},
        session_id=session_id,
        is_new=True,
        build=lambda context: write,
        context=TurnContext(keyed_turn=None, session=None),
        ukey="k",
    )

    assert lost, "the batch was applied and then refused"
    assert outcome.replayed is False
    assert outcome.turn_doc["turn_id"] == turn_id
    assert [e.event_id for e in outcome.events] == [event.event_id]
    assert db.collection("outbox").document(event.event_id).get().exists  # stored once


def test_a_turn_another_request_stored_under_the_key_is_a_replay():
    """The same key, a different turn: a retry of this turn by the app got there first."""
    from google.cloud import firestore

    from common.adapters.firestore_sessions import FirestoreSessionStore

    db = firestore.Client(project=f"commit-{uuid.uuid4().hex[:8]}")
    store = FirestoreSessionStore(db, settings=get_settings())
    now = datetime.now(UTC)
    key = f"ada:{uuid.uuid4().hex}"

    def commit(turn_id: str, session_id: str):
        state = new_session(session_id=session_id, owner_uid="ada", now=now, ttl=timedelta(hours=1))
        return store.commit_turn(
            key=key,
            key_doc={"owner_uid": "ada", "fingerprint": "f"},
            session_id=session_id,
            is_new=True,
            build=lambda context: TurnWrite(
                state=state,
                turn_doc={"turn_id": turn_id, "owner_uid": "ada", "response": {"reply": turn_id}},
                events=[Event("chat.turn.completed", now, "k", session_id, {})],
            ),
            context=TurnContext(keyed_turn=None, session=None),
            ukey="k",
        )

    first = commit("t-first", uuid.uuid4().hex)
    second = commit("t-second", uuid.uuid4().hex)  # its context was read before the first

    assert first.replayed is False
    assert second.replayed is True and second.events == []
    assert second.turn_doc["turn_id"] == "t-first"


def test_a_key_older_than_replay_after_is_taken_over_by_one_of_two_requests_in_flight():
    """A legacy request's key without Idempotency-Key names a retry for two minutes: the turn
    stored under it three minutes ago is an earlier message that said the same. Of two
    requests in flight with it (the first and a retry), one takes the key over and the other
    replays that one's turn."""
    from google.cloud import firestore

    from common.adapters.firestore_sessions import FirestoreSessionStore

    db = firestore.Client(project=f"commit-{uuid.uuid4().hex[:8]}")
    store = FirestoreSessionStore(db, settings=get_settings())
    now = datetime.now(UTC)
    key, replay_after = f"ada:{uuid.uuid4().hex}", now - timedelta(seconds=120)

    def commit(turn_id: str, created_at: datetime, context: TurnContext):
        session_id = uuid.uuid4().hex
        state = new_session(session_id=session_id, owner_uid="ada", now=now, ttl=timedelta(hours=1))
        turn_doc = {"turn_id": turn_id, "created_at": created_at, "response": {"reply": turn_id}}
        return store.commit_turn(
            key=key,
            key_doc={"owner_uid": "ada", "fingerprint": "f"},
            session_id=session_id,
            is_new=True,
            build=lambda read: TurnWrite(state=state, turn_doc=turn_doc),
            context=context,
            ukey="k",
            replay_after=replay_after,
        )

    commit("t-old", now - timedelta(minutes=3), TurnContext(keyed_turn=None, session=None))
    first, retry = (
        store.read_turn_context(key=key, session_id=None, replay_after=replay_after)
        for _ in range(2)
    )
    assert first.keyed_turn is None and first.stale_key is not None

    taken = commit("t-first", now, first)
    replayed = commit("t-retry", now, retry)

    assert taken.replayed is False and taken.turn_doc["turn_id"] == "t-first"
    assert replayed.replayed is True and replayed.turn_doc["turn_id"] == "t-first"
    kept = store.read_turn_context(key=key, session_id=None)  # without replay_after: /v2's
    assert kept.keyed_turn["turn_id"] == "t-first"
