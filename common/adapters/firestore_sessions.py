"""SessionStore and OutboxStore on Firestore.

A turn is one transaction: the idempotency key, the session, the turn and its outbox events are
written together or not at all, so a turn is never lost, doubled or left without its events."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from common.config import Settings
from common.errors import Unavailable
from common.events import Event
from common.ports import CommitOutcome, TurnWrite
from common.sessions.state import SessionState

SESSIONS, TURNS, TURN_KEYS, OUTBOX = "sessions", "turns", "turn_keys", "outbox"
READ_TIMEOUT = 5.0


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """A Firestore outage becomes a 503 with Retry-After, never a 500."""
    from google.api_core import exceptions

    try:
        yield
    except (
        exceptions.ServiceUnavailable,
        exceptions.DeadlineExceeded,
        exceptions.RetryError,
        exceptions.InternalServerError,
        exceptions.Aborted,
        exceptions.Unknown,
    ) as e:
        raise Unavailable(
            "Conversation storage is unavailable; try again shortly.",
            code="storage_unavailable",
            retry_after=5,
        ) from e


class FirestoreSessionStore:
    def __init__(self, client: Any, *, settings: Settings) -> None:
        self._db = client
        self._settings = settings

    # Sessions and turns

    def get_session(self, session_id: str) -> SessionState | None:
        with storage_errors():
            snap = self._db.collection(SESSIONS).document(session_id).get(timeout=READ_TIMEOUT)
        return SessionState.from_dict(snap.to_dict()) if snap.exists else None

    def get_keyed_turn(self, key: str) -> dict | None:
        with storage_errors():
            key_snap = self._db.collection(TURN_KEYS).document(key).get(timeout=READ_TIMEOUT)
            if not key_snap.exists:
                return None
            ref = key_snap.to_dict()
            turn = self._turn_ref(ref["session_id"], ref["turn_id"]).get(timeout=READ_TIMEOUT)
        return {**turn.to_dict(), "key": ref} if turn.exists else None

    def commit_turn(
        self,
        *,
        key: str,
        key_doc: dict,
        session_id: str,
        is_new: bool,
        build: Callable[[SessionState | None], TurnWrite],
    ) -> CommitOutcome:
        from google.cloud import firestore

        key_ref = self._db.collection(TURN_KEYS).document(key)
        session_ref = self._db.collection(SESSIONS).document(session_id)

        @firestore.transactional
        def run(transaction) -> CommitOutcome:
            key_snap = key_ref.get(transaction=transaction)
            if key_snap.exists:  # a retry raced us and won: answer with its turn
                ref = key_snap.to_dict()
                turn = self._turn_ref(ref["session_id"], ref["turn_id"]).get(
                    transaction=transaction
                )
                return CommitOutcome(
                    turn_doc={**turn.to_dict(), "key": ref}, events=[], replayed=True
                )
            state = None
            if not is_new:
                snap = session_ref.get(transaction=transaction)
                state = SessionState.from_dict(snap.to_dict()) if snap.exists else None
            write = build(state)
            turn_id = write.turn_doc["turn_id"]
            transaction.set(session_ref, write.state.to_dict())
            transaction.create(self._turn_ref(session_id, turn_id), write.turn_doc)
            transaction.create(
                key_ref,
                {
                    **key_doc,
                    "session_id": session_id,
                    "turn_id": turn_id,
                    "expires_at": write.state.expires_at,
                },
            )
            for event in write.events:
                transaction.set(self._outbox_ref(event.event_id), self._outbox_doc(event))
            return CommitOutcome(turn_doc=write.turn_doc, events=write.events, replayed=False)

        with storage_errors():
            return run(self._db.transaction(max_attempts=10))

    def list_turns(self, session_id: str, *, after: int, limit: int) -> list[dict]:
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = (
            self._db.collection(SESSIONS)
            .document(session_id)
            .collection(TURNS)
            .where(filter=FieldFilter("turn_index", ">", after))
            .order_by("turn_index")
            .limit(limit)
        )
        with storage_errors():
            return [snap.to_dict() for snap in query.stream(timeout=READ_TIMEOUT)]

    def _turn_ref(self, session_id: str, turn_id: str):
        return (
            self._db.collection(SESSIONS).document(session_id).collection(TURNS).document(turn_id)
        )

    # Outbox

    def _outbox_ref(self, event_id: str):
        return self._db.collection(OUTBOX).document(event_id)

    def _outbox_doc(self, event: Event) -> dict:
        grace = timedelta(seconds=self._settings.outbox_grace_seconds)
        return {
            "envelope": event.envelope(),
            "topic": event.topic,
            "created_at": event.occurred_at,
            # The turn publishes inline; the relay steps in only once this has passed.
            "next_attempt_at": event.occurred_at + grace,
            "attempts": 0,
        }

    def mark_due(self, event_ids: list[str], now: datetime) -> None:
        """Inline delivery failed: let the relay take these on its next run."""
        with storage_errors():
            batch = self._db.batch()
            for event_id in event_ids:
                batch.update(self._outbox_ref(event_id), {"next_attempt_at": now})
            batch.commit(timeout=READ_TIMEOUT)

    def delete_outbox(self, event_ids: list[str]) -> None:
        with storage_errors():
            batch = self._db.batch()
            for event_id in event_ids:
                batch.delete(self._outbox_ref(event_id))
            batch.commit(timeout=READ_TIMEOUT)

    def claim_due(self, *, now: datetime, limit: int, lease_seconds: int) -> list[Event]:
        """Take up to `limit` due events, each leased (pushed into the future) with a
        precondition on its update time, so two relays never publish the same entry at once."""
        from google.api_core import exceptions
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = (
            self._db.collection(OUTBOX)
            .where(filter=FieldFilter("next_attempt_at", "<=", now))
            .order_by("next_attempt_at")
            .limit(limit)
        )
        claimed: list[Event] = []
        with storage_errors():
            for snap in query.stream(timeout=READ_TIMEOUT):
                doc = snap.to_dict()
                backoff = min(lease_seconds * 2 ** doc.get("attempts", 0), 3600)
                try:
                    snap.reference.update(
                        {
                            "next_attempt_at": now + timedelta(seconds=backoff),
                            "attempts": doc.get("attempts", 0) + 1,
                        },
                        option=self._db.write_option(last_update_time=snap.update_time),
                    )
                except (exceptions.FailedPrecondition, exceptions.NotFound):
                    continue  # another relay took it, or it was delivered meanwhile
                claimed.append(Event.from_envelope(doc["envelope"], topic=doc["topic"]))
        return claimed

    def ping(self) -> None:
        with storage_errors():
            self._db.collection(SESSIONS).document("healthz-probe").get(timeout=2.0)
