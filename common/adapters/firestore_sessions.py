"""SessionStore and OutboxStore on Firestore.

A turn is one atomic batch with preconditions (the session and the user's activity record
unchanged since they were read): the session, the turn, the idempotency key, the activity record
and the turn's outbox events are written together or not at all, so a turn is never lost, doubled
or left without its events."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from common.adapters.firestore_calls import Unchanged, bounded, storage_errors, write_unchanged
from common.config import Settings
from common.errors import Unavailable
from common.events import Event
from common.feedback.service import FeedbackContext
from common.ports import CommitOutcome, TurnContext, TurnWrite, WriteConflict
from common.sessions.state import SessionState

SESSIONS, TURNS, TURN_KEYS, OUTBOX = "sessions", "turns", "turn_keys", "outbox"
FEEDBACK, USERS, PREFERENCES, ACTIVITY = "feedback", "users", "preferences", "activity"
ERASURES = "erasures"
MAX_COMMIT_ATTEMPTS = 8


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_iso)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


def outbox_doc(event: Event, *, due: datetime) -> dict:
    """An outbox entry: the relay publishes it from `due` on."""
    return {
        "envelope": _json(event.envelope()),
        "session_id": event.session_id,
        "subject": event.subject,
        "private": event.private,
        "topic": event.topic,
        "created_at": event.occurred_at,
        "next_attempt_at": due,
        "attempts": 0,
    }


# Production TTL purges a session this long after it expired: the hourly cleanup job gets there
# first and publishes its session.ended event; TTL is the backstop if the job stops.
PURGE_AFTER_EXPIRY = timedelta(days=2)


def encode_session(state: SessionState) -> dict:
    """The session document. The window is stored as JSON text: one value to encode instead of
    dozens (encoding nested maps dominated a turn's CPU time)."""
    doc = state.to_dict()
    doc["context_window"] = _json(doc["context_window"])
    doc["purge_at"] = state.expires_at + PURGE_AFTER_EXPIRY
    return doc


def decode_session(doc: dict) -> SessionState:
    window = json.loads(doc.get("context_window") or "[]")
    for turn in window:
        turn["created_at"] = datetime.fromisoformat(turn["created_at"])
    return SessionState.from_dict({**doc, "context_window": window})


class FirestoreSessionStore:
    def __init__(self, client: Any, *, settings: Settings) -> None:
        self._db = client
        self._settings = settings

    # Sessions and turns

    def get_session(self, session_id: str) -> SessionState | None:
        with storage_errors():
            snap = self._db.collection(SESSIONS).document(session_id).get(**bounded())
        return decode_session(snap.to_dict()) if snap.exists else None

    def read_turn_context(
        self,
        *,
        key: str,
        session_id: str | None,
        uid: str = "",
        ukey: str = "",
        replay_after: datetime | None = None,
    ) -> TurnContext:
        """The key, the session, the user's settings and learned preferences in one round
        trip; the turn behind a known key in another. A key whose turn is gone, or was stored
        at or before `replay_after`, is stale: the turn taken now takes it over."""
        key_ref = self._db.collection(TURN_KEYS).document(key)
        user_ref = self._db.collection(USERS).document(uid) if uid else None
        prefs_ref = self._db.collection(PREFERENCES).document(ukey) if ukey else None
        activity_ref = self._db.collection(ACTIVITY).document(uid) if uid else None
        refs = [r for r in (key_ref, user_ref, prefs_ref, activity_ref) if r is not None]
        if session_id:
            refs.append(self._db.collection(SESSIONS).document(session_id))
        with storage_errors():
            snaps = {s.reference.path: s for s in self._db.get_all(refs, **bounded())}
            key_snap = snaps[key_ref.path]
            keyed_turn, stale_key = None, None
            if key_snap.exists:
                ref = key_snap.to_dict()
                turn = self._turn_ref(ref["session_id"], ref["turn_id"]).get(**bounded())
                stored = turn.to_dict() if turn.exists else None
                # Gone: its session was deleted before the key expired. Too old: an earlier
                # message that said the same, not a retry of this one.
                too_old = stored and replay_after and stored["created_at"] <= replay_after
                if stored is None or too_old:
                    stale_key = key_snap.update_time
                else:
                    keyed_turn = self._decode_turn(stored)

        def found(ref):
            snap = snaps.get(ref.path) if ref is not None else None
            return snap if snap is not None and snap.exists else None

        def doc(ref) -> dict | None:
            return snap.to_dict() if (snap := found(ref)) else None

        activity_snap = found(activity_ref)
        extra = {
            "user": doc(user_ref),
            "preferences": doc(prefs_ref),
            "activity": activity_snap.to_dict() if activity_snap else None,
            "activity_version": activity_snap.update_time if activity_snap else None,
            "stale_key": stale_key,
        }
        session_snap = snaps.get(refs[-1].path) if session_id else None
        if session_snap is None or not session_snap.exists:
            return TurnContext(keyed_turn=keyed_turn, session=None, **extra)
        return TurnContext(
            keyed_turn=keyed_turn,
            session=decode_session(session_snap.to_dict()),
            version=session_snap.update_time,
            **extra,
        )

    def commit_turn(
        self,
        *,
        key: str,
        key_doc: dict,
        session_id: str,
        is_new: bool,
        build: Callable[[TurnContext], TurnWrite],
        context: TurnContext,
        ukey: str,
        replay_after: datetime | None = None,
    ) -> CommitOutcome:
        """One atomic batch with preconditions (optimistic concurrency): the session and the
        user's activity record must be unchanged since they were read (or not exist yet), the
        turn must not exist, nor its idempotency key (a stale key: unchanged, `replay_after`
        as `context` was read with). A concurrent writer makes it fail;
        then re-read and build again, so that concurrent turns of one user are each judged by
        the anomaly limits with the others counted. An erasure of the user touches the
        activity record before it lists what to delete, so a turn it did not list fails here
        and sees the erasure when it reads again. This costs one round trip where a
        transaction costs three, and never holds a lock."""
        from google.api_core import exceptions

        session_ref = self._db.collection(SESSIONS).document(session_id)
        key_ref = self._db.collection(TURN_KEYS).document(key)
        uid = key_doc["owner_uid"]
        sent: TurnWrite | None = None  # the last batch refused, which may have been applied
        for attempt in range(MAX_COMMIT_ATTEMPTS + 1):
            if context.keyed_turn is not None:
                if sent is not None and context.keyed_turn["turn_id"] == sent.turn_doc["turn_id"]:
                    # This request's own batch: applied, but its answer was lost and the
                    # client library's retry of it was refused by the writes it had made.
                    return CommitOutcome(turn_doc=sent.turn_doc, events=sent.events, replayed=False)
                # a retry of this turn got there first
                return CommitOutcome(turn_doc=context.keyed_turn, events=[], replayed=True)
            write = build(context)  # may refuse the turn: the user's other turns count now
            if attempt == MAX_COMMIT_ATTEMPTS:
                break
            turn_id = write.turn_doc["turn_id"]
            batch = self._db.batch()
            session_doc = encode_session(write.state)
            if is_new:
                batch.create(session_ref, session_doc)
            else:
                batch.update(
                    session_ref,
                    session_doc,
                    option=self._db.write_option(last_update_time=context.version),
                )
            batch.create(
                self._turn_ref(session_id, turn_id),
                {**write.turn_doc, "response": _json(write.turn_doc["response"])},
            )
            key_fields = {
                **key_doc,
                "session_id": session_id,
                "turn_id": turn_id,
                "expires_at": write.state.expires_at,
            }
            if context.stale_key is None:
                batch.create(key_ref, key_fields)
            else:  # unless a concurrent retry took it over first
                only_if = self._db.write_option(last_update_time=context.stale_key)
                batch.update(key_ref, key_fields, option=only_if)
            for event in write.events:
                batch.set(self._outbox_ref(event.event_id), self._outbox_doc(event))
            if write.activity is not None:
                activity_ref = self._db.collection(ACTIVITY).document(uid)
                if context.activity_version is None:
                    batch.create(activity_ref, write.activity)
                else:
                    unchanged = self._db.write_option(last_update_time=context.activity_version)
                    batch.update(activity_ref, write.activity, option=unchanged)
            try:
                with storage_errors():
                    batch.commit(**bounded())
                return CommitOutcome(turn_doc=write.turn_doc, events=write.events, replayed=False)
            # NotFound: an update whose document an erasure deleted under it
            except (exceptions.Conflict, exceptions.FailedPrecondition, exceptions.NotFound):
                sent = write
                context = self.read_turn_context(
                    key=key, session_id=session_id, uid=uid, ukey=ukey, replay_after=replay_after
                )
                is_new = False if context.session is not None else is_new
        raise Unavailable(
            "This conversation is busy; try again.", code="session_busy", retry_after=1
        )

    def reserve_turn(self, *, uid: str, activity: dict, version: Any) -> Any | None:
        """A turn's place in the user's activity record, taken before its reply is paid for,
        on the condition commit_turn writes the record on: unchanged since it was read (or not
        there yet). None when a concurrent turn, or an erasure, changed it first."""
        from google.api_core import exceptions

        ref = self._db.collection(ACTIVITY).document(uid)
        try:
            with storage_errors():
                if version is None:
                    written = ref.create(activity, **bounded())
                else:
                    unchanged = self._db.write_option(last_update_time=version)
                    written = ref.update(activity, option=unchanged, **bounded())
        # Conflict: created meanwhile (AlreadyExists); NotFound: an erasure deleted it
        except (exceptions.Conflict, exceptions.FailedPrecondition, exceptions.NotFound):
            return None
        return written.update_time

    def record_anomaly(
        self, *, uid: str, activity: dict, events: list[Event], version: Any
    ) -> bool:
        """The limit's end and the anomaly event, on the condition that the activity record is
        as the turn read it (`version`); False, with nothing written, when it is not: a
        concurrent turn changed it (the next turn is judged again), or an erasure marked or
        deleted it (a limit from before must not come back)."""
        from google.api_core import exceptions

        only_if = {"option": self._db.write_option(last_update_time=version)} if version else {}
        batch = self._db.batch()
        batch.update(self._db.collection(ACTIVITY).document(uid), activity, **only_if)
        for event in events:
            batch.set(self._outbox_ref(event.event_id), self._outbox_doc(event))
        try:
            with storage_errors():
                batch.commit(**bounded())
        except (exceptions.NotFound, exceptions.FailedPrecondition):
            return False
        return True

    # Feedback

    def read_feedback_context(
        self, *, key: str, uid: str, session_id: str, turn_id: str
    ) -> FeedbackContext:
        """The rating so far, the turn and its session, the user's settings, and their activity
        record (its erasure mark: the service refuses a rating while the erasure runs)."""
        refs = [
            self._db.collection(FEEDBACK).document(key),
            self._db.collection(SESSIONS).document(session_id),
            self._turn_ref(session_id, turn_id),
            self._db.collection(USERS).document(uid),
            self._db.collection(ACTIVITY).document(uid),
        ]
        with storage_errors():
            snaps = {s.reference.path: s for s in self._db.get_all(refs, **bounded())}
        fb, sess, turn, user, activity = (snaps[r.path] for r in refs)
        settings = (user.to_dict() or {}).get("settings") or {} if user.exists else {}
        return FeedbackContext(
            turn=turn.to_dict() if turn.exists else None,
            session=decode_session(sess.to_dict()) if sess.exists else None,
            existing=fb.to_dict() if fb.exists else None,
            version=fb.update_time if fb.exists else None,
            anonymized=bool(settings.get("anonymize_analytics", False)),
            activity=activity.to_dict() if activity.exists else None,
        )

    def write_feedback(
        self, *, key: str, doc: dict, events: list[Event], context: FeedbackContext
    ) -> None:
        """The rating and its events in one batch, on the condition that nobody rated the turn
        since we read it and that the turn still exists (else WriteConflict). The turn is also
        what keeps out a rating read just before its user's erasure marked the activity record:
        the erasure deletes the turns before it lists the ratings and outbox entries, so such a
        rating either commits before its turn goes (and is listed and deleted with the rest) or
        fails here and, read again, is refused."""
        from google.api_core import exceptions

        ref = self._db.collection(FEEDBACK).document(key)
        batch = self._db.batch()
        if context.existing is None:
            batch.create(ref, doc)
        else:
            batch.update(ref, doc, option=self._db.write_option(last_update_time=context.version))
        kept = ("rating", "reward", "comment", "created_at", "updated_at", "keyed")
        batch.update(
            self._turn_ref(doc["session_id"], doc["turn_id"]),
            {"feedback": {k: doc[k] for k in kept}},
        )
        for event in events:
            batch.set(self._outbox_ref(event.event_id), self._outbox_doc(event))
        try:
            with storage_errors():
                batch.commit(**bounded())
        # NotFound: the turn was deleted since it was read (an erasure, the cleanup job); the
        # service reads again and answers 404
        except (exceptions.Conflict, exceptions.FailedPrecondition, exceptions.NotFound) as e:
            raise WriteConflict(str(e)) from e

    @staticmethod
    def _decode_turn(doc: dict) -> dict:
        return {**doc, "response": json.loads(doc["response"])}

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
            return [snap.to_dict() for snap in query.stream(**bounded())]

    def _turn_ref(self, session_id: str, turn_id: str):
        return (
            self._db.collection(SESSIONS).document(session_id).collection(TURNS).document(turn_id)
        )

    # Outbox

    def _outbox_ref(self, event_id: str):
        return self._db.collection(OUTBOX).document(event_id)

    def _outbox_doc(self, event: Event) -> dict:
        # The turn publishes its own (once it has answered); the relay steps in only once the
        # grace has passed.
        grace = timedelta(seconds=self._settings.outbox_grace_seconds)
        return outbox_doc(event, due=event.occurred_at + grace)

    def mark_due(self, event_ids: list[str], now: datetime) -> None:
        """Inline delivery failed: let the relay take these on its next run. One at a time (a
        rare path): an entry the relay already published and removed is simply gone."""
        from google.api_core import exceptions

        with storage_errors():
            for event_id in event_ids:
                with contextlib.suppress(exceptions.NotFound):
                    self._outbox_ref(event_id).update({"next_attempt_at": now}, **bounded())

    def delete_outbox(self, event_ids: list[str]) -> None:
        with storage_errors():
            batch = self._db.batch()
            for event_id in event_ids:
                batch.delete(self._outbox_ref(event_id))
            batch.commit(**bounded())

    def claim_due(self, *, now: datetime, limit: int, lease_seconds: int) -> list[Event]:
        """Take up to `limit` due events, each leased (pushed into the future) with a
        precondition on its update time, so two relays never publish the same entry at once.
        The leases go in one commit (write_unchanged): one update after another, 2,000 due
        events took the relay 33-63 s of its 60 s timeout."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = (
            self._db.collection(OUTBOX)
            .where(filter=FieldFilter("next_attempt_at", "<=", now))
            .order_by("next_attempt_at")
            .limit(limit)
        )
        with storage_errors():
            due = [(snap, snap.to_dict()) for snap in query.stream(**bounded())]
            leases = []
            for snap, doc in due:
                backoff = min(lease_seconds * 2 ** doc.get("attempts", 0), 3600)
                lease = {
                    "next_attempt_at": now + timedelta(seconds=backoff),
                    "attempts": doc.get("attempts", 0) + 1,
                }
                leases.append(Unchanged(snap.reference, snap.update_time, lease))
            # Another relay took one, or it was delivered meanwhile: not held, not claimed.
            held = {write.ref.path for write in write_unchanged(self._db, leases)}
        return [
            Event.from_envelope(
                json.loads(doc["envelope"]),
                topic=doc["topic"],
                subject=doc.get("subject"),
                private=doc.get("private", False),
            )
            for snap, doc in due
            if snap.reference.path in held
        ]

    def ping(self) -> None:
        with storage_errors():
            self._db.collection(SESSIONS).document("healthz-probe").get(**bounded(2.0))
