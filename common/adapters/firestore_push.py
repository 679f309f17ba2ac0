"""PushStore on Firestore: the state of each notification (`push_notifications`), the ones that
wait for quiet hours to end or for a retry (`deferred_notifications`), the daily counter in
users/{uid}.push_daily, and the user's devices."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from common.adapters.firestore_calls import (
    Unchanged,
    bounded,
    storage_errors,
    within_deadline,
    write_unchanged,
)
from common.adapters.firestore_devices import DEVICES, device_from_snapshot
from common.adapters.firestore_sessions import (
    ACTIVITY,
    ERASURES,
    USERS,
    FirestoreSessionStore,
)
from common.errors import ErasureInProgress
from common.events import REDELIVERY_WINDOW, Event
from common.logs import NEEDS_OPERATOR
from common.profile.erasure import erased_at
from common.push.models import Notification
from common.push.policy import deferred_key, replaces, take_daily_slot
from common.push.service import Busy, Claim, UserPush

PUSH_NOTIFICATIONS, DEFERRED = "push_notifications", "deferred_notifications"
log = logging.getLogger(__name__)

FINAL = frozenset({"sent", "failed", "suppressed", "replaced"})
# A waiting notification this version cannot read is set aside this long (then logged again),
# kept for an operator rather than deleted.
PARKED_DAYS = 30
PARKED_PAGES_PER_CLAIM = 20
KEEP_STATE = REDELIVERY_WINDOW  # a dead letter's replay is a redelivery too; TTL on expires_at


def _record_id(notification_id: str) -> str:
    """Notification ids may hold characters a document id cannot ("..", "__x__")."""
    return hashlib.sha256(notification_id.encode()).hexdigest()[:40]


class FirestorePushStore:
    def __init__(self, client: Any, sessions: FirestoreSessionStore) -> None:
        self._db = client
        self._sessions = sessions  # for the outbox documents

    def _record(self, notification_id: str):
        return self._db.collection(PUSH_NOTIFICATIONS).document(_record_id(notification_id))

    def _read_unless_erased(self, tx: Any, note: Notification, *refs: Any) -> list[Any]:
        """In a transaction that writes about the user: the documents at `refs`, read with the
        user's activity record in one call. An erasure asked for after the notification was
        made, and begun since read_user, may have listed their documents already, so the write
        could outlive it: ErasureInProgress, the delivery is tried again, and then read_user
        sees the erasure."""
        activity_ref = self._db.collection(ACTIVITY).document(note.uid)
        snaps = {s.reference.path: s for s in tx.get_all([activity_ref, *refs], **bounded())}
        when = erased_at(snaps[activity_ref.path].to_dict())
        if when is not None and when >= note.created_at:
            raise ErasureInProgress()
        return [snaps[ref.path] for ref in refs]

    def _outbox(self, writer: Any, events: list[Event]) -> None:
        for event in events:
            writer.set(
                self._sessions._outbox_ref(event.event_id), self._sessions._outbox_doc(event)
            )

    def begin(
        self, notification_id: str, *, uid: str, release: bool, now: datetime, lease: int
    ) -> Claim:
        from google.cloud import firestore

        ref = self._record(notification_id)

        @firestore.transactional
        def run(tx: Any) -> Claim:
            snap = ref.get(transaction=tx, **bounded())
            doc = snap.to_dict() if snap.exists else None
            lease_until = now + timedelta(seconds=lease)
            if doc is None:
                tx.set(
                    ref,
                    {
                        "notification_id": notification_id,
                        # Export and erasure find the user's records by it. Records written
                        # before it was stored have none: they expire within KEEP_STATE.
                        "owner_uid": uid,
                        "status": "sending",
                        "lease_until": lease_until,
                        "deliveries": 1,
                        "sent": [],
                        "created_at": now,
                        "updated_at": now,
                        "expires_at": now + KEEP_STATE,
                    },
                )
                return Claim("claimed")
            status = doc.get("status")
            if status in FINAL or (status == "deferred" and not release):
                return Claim("duplicate")
            if status == "sending" and doc.get("lease_until") and doc["lease_until"] > now:
                return Claim("busy")
            deliveries = int(doc.get("deliveries", 0)) + 1
            tx.update(
                ref,
                {
                    "owner_uid": uid,  # also on a record written before it was stored
                    "status": "sending",
                    "lease_until": lease_until,
                    "deliveries": deliveries,
                    "updated_at": now,
                },
            )
            return Claim(
                "claimed",
                sent=frozenset(doc.get("sent") or ()),
                slot_taken=bool(doc.get("slot_day")),
                deliveries=deliveries,
            )

        # Abandoned by its deadline (the delivery fails, to be tried again), it may still
        # commit: then the record is held for a delivery that is not running, until its lease,
        # counted from `now`, runs out, as when an instance dies mid-delivery; and a claim found
        # decided or held writes nothing.
        with storage_errors():
            return within_deadline(run, self._db.transaction())

    def read_user(self, uid: str, ukey: str) -> UserPush:
        user_ref = self._db.collection(USERS).document(uid)
        erasure_ref = self._db.collection(ERASURES).document(ukey)
        activity_ref = self._db.collection(ACTIVITY).document(uid)  # what a nudge is judged by
        refs = [user_ref, erasure_ref, activity_ref]
        with storage_errors():
            snaps = {s.reference.path: s for s in self._db.get_all(refs, **bounded())}
            devices = [
                device_from_snapshot(s) for s in user_ref.collection(DEVICES).stream(**bounded())
            ]
        user, erasure, activity = (snaps[ref.path] for ref in refs)
        return UserPush(
            doc=user.to_dict() if user.exists else None,
            devices=devices,
            erasure_requested_at=(erasure.to_dict() or {}).get("requested_at"),
            activity=activity.to_dict() if activity.exists else None,
        )

    def take_slot(self, note: Notification, *, day: str, cap: int, now: datetime) -> bool:
        from google.cloud import firestore

        record = self._record(note.notification_id)
        user_ref = self._db.collection(USERS).document(note.uid)

        @firestore.transactional
        def run(tx: Any) -> bool:
            # The counter would bring an erased user's users/{uid} back.
            rec, user = self._read_unless_erased(tx, note, record, user_ref)
            if (rec.to_dict() or {}).get("slot_day"):
                return True  # counted in an earlier delivery
            counter = take_daily_slot((user.to_dict() or {}).get("push_daily"), day=day, cap=cap)
            if counter is None:
                return False
            tx.set(user_ref, {"push_daily": counter}, merge=True)
            tx.update(record, {"slot_day": day, "updated_at": now})
            return True

        # Abandoned by its deadline, it may still commit: the record's slot_day, read and set
        # here, counts the notification once whichever delivery's slot lands (the next delivery
        # finds it taken), as when a delivery dies after taking it.
        with storage_errors():
            return within_deadline(run, self._db.transaction())

    def mark_sent(self, notification_id: str, device_ids: list[str]) -> None:
        from google.api_core import exceptions
        from google.cloud.firestore import ArrayUnion

        with storage_errors(), contextlib.suppress(exceptions.NotFound):
            # NotFound: the user's erasure deleted the record while FCM sent; finish() then
            # records nothing either.
            self._record(notification_id).update({"sent": ArrayUnion(device_ids)}, **bounded())

    def remove_devices(self, uid: str, device_ids: list[str]) -> None:
        devices = self._db.collection(USERS).document(uid).collection(DEVICES)
        with storage_errors():
            batch = self._db.batch()
            for device_id in device_ids:
                batch.delete(devices.document(device_id))
            batch.commit(**bounded())

    def defer(
        self,
        note: Notification,
        *,
        due_at: datetime,
        reason: str,
        now: datetime,
        delivery: int,
        events: list[Event],
    ) -> bool:
        from google.cloud import firestore

        waiting_ref = self._db.collection(DEFERRED).document(deferred_key(note))
        record = self._record(note.notification_id)

        @firestore.transactional
        def run(tx: Any) -> bool:
            # The waiting copy holds the uid and the text.
            waiting, held = self._read_unless_erased(tx, note, waiting_ref, record)
            # Still this delivery's (begin numbered it)? Abandoned by its deadline, this may
            # commit after the lease ran out and another delivery took the notification, maybe
            # decided it: waiting again would send a push that one suppressed.
            mine = held.to_dict() or {}
            if mine.get("status") != "sending" or mine.get("deliveries") != delivery:
                raise Busy(note.notification_id)
            doc = waiting.to_dict() if waiting.exists else None
            if doc and doc["notification_id"] != note.notification_id:
                if not replaces(note, doc["created_at"]):
                    return False
                older = self._record(doc["notification_id"])
                replaced = {"status": "replaced", "owner_uid": note.uid, "updated_at": now}
                tx.set(older, replaced, merge=True)  # the same user's (deferred_key)
            tx.set(
                waiting_ref,
                {
                    "notification_id": note.notification_id,
                    "owner_uid": note.uid,  # export and erasure find it by owner
                    "notification": note.model_dump(mode="json"),
                    "collapse_key": note.collapse_key,
                    "created_at": note.created_at,
                    "due_at": due_at,
                    "reason": reason,
                    "deferred_at": now,
                },
            )
            tx.update(
                record,
                {"status": "deferred", "reason": reason, "due_at": due_at, "updated_at": now},
            )
            self._outbox(tx, events)
            return True

        # Abandoned by its deadline, it may still commit: only while the record is this
        # delivery's (above), and replacing only an older waiting notification (replaces).
        with storage_errors():
            return within_deadline(run, self._db.transaction())

    def finish(
        self,
        notification_id: str,
        *,
        status: str,
        reason: str | None,
        now: datetime,
        events: list[Event],
    ) -> bool:
        from google.api_core import exceptions
        from google.cloud.firestore import DELETE_FIELD

        update: dict[str, Any] = {
            "status": status,
            "reason": reason,
            "finished_at": now,
            "updated_at": now,
        }
        if reason == "erased":
            # Made before the user's erasure, delivered after it: the record stays, so that a
            # redelivery is a duplicate, but no longer names them.
            update["owner_uid"] = DELETE_FIELD
        batch = self._db.batch()
        batch.update(self._record(notification_id), update)
        self._outbox(batch, events)
        with storage_errors():
            try:
                batch.commit(**bounded())
            except exceptions.NotFound:
                # The user's erasure deleted the record while this delivery ran: nothing is
                # recorded, and no event goes out under the key of a user who is gone.
                log.info("push record erased during its delivery; nothing recorded")
                return False
        return True

    def claim_due(self, *, now: datetime, limit: int, lease: int) -> list[Notification]:
        """Due notifications, each leased with a precondition on its update time (as the outbox
        relay does), so two releases never take the same one."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = (
            self._db.collection(DEFERRED)
            .where(filter=FieldFilter("due_at", "<=", now))
            .order_by("due_at")
            .limit(limit)
        )
        with storage_errors():
            # A page of nothing but unreadable ones (set aside below) would look like nothing
            # due and end the release run: read the next page then, a bounded number of times.
            for _ in range(PARKED_PAGES_PER_CLAIM):
                claimed, parked = self._claim_page(query, now, lease)
                if claimed or not parked:
                    return claimed
        return []

    def _claim_page(self, query: Any, now: datetime, lease: int) -> tuple[list[Notification], int]:
        """The page's readable notifications, leased, and how many unreadable ones were set
        aside. All in one commit (write_unchanged): one update after another, in the release's
        own thread, no delivery started while a page of 50 was being leased."""
        read: list[tuple[Any, Notification | None, str]] = []  # with why it is unreadable
        for snap in query.stream(**bounded()):
            try:
                read.append((snap, Notification.model_validate(snap.to_dict()["notification"]), ""))
            except (ValidationError, KeyError, TypeError) as e:
                # Stored by a version whose model was looser: raising here would stop every
                # release run at this document, and the ones due behind it with it.
                read.append((snap, None, type(e).__name__))
        parked_until = now + timedelta(days=PARKED_DAYS)
        leases = [
            Unchanged(
                snap.reference,
                snap.update_time,
                {"due_at": now + timedelta(seconds=lease)}
                if note
                else {"due_at": parked_until, "unreadable": unreadable},
            )
            for snap, note, unreadable in read
        ]
        # Another release took one, or it was replaced meanwhile: not held, not claimed.
        held = {write.ref.path for write in write_unchanged(self._db, leases)}
        claimed: list[Notification] = []
        parked = 0
        for snap, note, unreadable in read:
            if snap.reference.path not in held:
                continue
            if note is None:
                log.error(
                    "waiting notification %s cannot be read (%s): set aside %d days for an "
                    "operator",
                    snap.id,
                    unreadable,
                    PARKED_DAYS,
                    extra={NEEDS_OPERATOR: True},
                )
                parked += 1
                continue
            claimed.append(note)
        return claimed, parked

    def drop_waiting(self, note: Notification) -> None:
        from google.cloud import firestore

        ref = self._db.collection(DEFERRED).document(deferred_key(note))

        @firestore.transactional
        def run(tx: Any) -> None:
            snap = ref.get(transaction=tx, **bounded())
            if snap.exists and snap.get("notification_id") == note.notification_id:
                tx.delete(ref)

        # Abandoned by its deadline, it may still commit: it deletes only this notification's
        # copy (a newer one that replaced it stays), and this one is decided by then: no
        # delivery defers it again (begin finds it decided, defer checks the record).
        with storage_errors():
            within_deadline(run, self._db.transaction())
