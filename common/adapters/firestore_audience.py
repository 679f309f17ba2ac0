"""AudienceStore on Firestore, for the notification producers: the owners of registered
devices page by page (a collection-group scan of users/*/devices in document order: no index
beyond the automatic one on the document name), where each producer's last run stopped
(`producer_cursors/{producer}`), what decides per user in one get_all per hundred users, and
the outbox entries with each user's notice in transactions that skip a user being erased."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common.adapters.firestore_calls import bounded, storage_errors
from common.adapters.firestore_devices import device_owners
from common.adapters.firestore_profiles import DONE, ERASURES, PRODUCER_CURSORS
from common.adapters.firestore_sessions import (
    ACTIVITY,
    OUTBOX,
    PREFERENCES,
    USERS,
    outbox_doc,
)
from common.notifications.models import NOTICES, Recipient
from common.notifications.service import Outgoing

WRITE_BATCH = 200  # two writes per notification; Firestore allows 500 per batch
# PRODUCER_CURSORS: {"cursor": the path of the last device document a run reached, or None;
# "updated_at"}. Erasure clears a cursor that names the user.


def _erasure_done(erasure: dict) -> bool:
    """Both parts of an erasure finished: its documents and its analytics rows."""
    return erasure.get("firestore") == DONE and erasure.get("analytics") == DONE


def _erased_since(erasure: dict | None, now: datetime) -> bool:
    """An erasure still running, or one asked for since the producer's run began (after it
    read the user's documents)."""
    return erasure is not None and (not _erasure_done(erasure) or erasure["requested_at"] > now)


class FirestoreAudienceStore:
    def __init__(self, client: Any) -> None:
        self._db = client

    def device_users(self, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        return device_owners(self._db, limit=limit, cursor=cursor)

    def load_cursor(self, producer: str) -> str | None:
        ref = self._db.collection(PRODUCER_CURSORS).document(producer)
        with storage_errors():
            snap = ref.get(**bounded())
        return (snap.to_dict() or {}).get("cursor") if snap.exists else None

    def save_cursor(self, producer: str, cursor: str | None, *, now: datetime) -> None:
        ref = self._db.collection(PRODUCER_CURSORS).document(producer)
        with storage_errors():
            ref.set({"cursor": cursor, "updated_at": now}, **bounded())

    def recipients(self, users: list[tuple[str, str]], *, crisis: bool = False) -> list[Recipient]:
        if not users:
            return []
        per_user = [
            [
                self._db.collection(USERS).document(uid),
                self._db.collection(PREFERENCES).document(ukey),
                self._db.collection(ERASURES).document(ukey),
                *([self._db.collection(ACTIVITY).document(uid)] if crisis else []),
            ]
            for uid, ukey in users
        ]
        with storage_errors():
            refs = [ref for user_refs in per_user for ref in user_refs]
            snaps = {s.reference.path: s for s in self._db.get_all(refs, **bounded())}

        def doc(ref: Any) -> dict | None:
            snap = snaps.get(ref.path)
            return snap.to_dict() if snap is not None and snap.exists else None

        out = []
        for (uid, ukey), (user_ref, prefs_ref, erasure_ref, *activity) in zip(
            users, per_user, strict=True
        ):
            erasure = doc(erasure_ref) or {}
            record = (doc(activity[0]) or {}) if activity else {}
            out.append(
                Recipient(
                    uid=uid,
                    user_key=ukey,
                    user=doc(user_ref),
                    preferences=doc(prefs_ref),
                    # Only while it runs: the record stays once both parts are done, and the
                    # account lives on, so a user who came back is notified like anyone.
                    erased=bool(erasure) and not _erasure_done(erasure),
                    crisis_at=record.get("crisis_at"),
                    heavy_at=record.get("heavy_at"),
                    leaning_at=record.get("leaning_at"),
                )
            )
        return out

    def enqueue(self, outgoing: list[Outgoing], *, due: datetime, now: datetime) -> list[Outgoing]:
        from google.cloud import firestore

        @firestore.transactional
        def run(tx: Any, items: list[Outgoing]) -> list[Outgoing]:
            # Read in the transaction: an erasure that begins before it commits waits for it
            # (and then lists what it wrote) or makes it read again and see the erasure.
            refs = [self._db.collection(ERASURES).document(o.event.subject) for o in items]
            erasures = {
                s.reference.path: s.to_dict() for s in tx.get_all(refs, **bounded()) if s.exists
            }
            kept = [
                item
                for item, ref in zip(items, refs, strict=True)
                if not _erased_since(erasures.get(ref.path), now)
            ]
            for item in kept:
                tx.set(
                    self._db.collection(OUTBOX).document(item.event.event_id),
                    outbox_doc(item.event, due=due),
                )
                tx.set(
                    self._db.collection(USERS).document(item.note.uid),
                    {NOTICES: {item.note.kind: item.notice}},
                    merge=True,
                )
            return kept

        kept: list[Outgoing] = []
        with storage_errors():
            for start in range(0, len(outgoing), WRITE_BATCH):
                kept += run(self._db.transaction(), outgoing[start : start + WRITE_BATCH])
        return kept
