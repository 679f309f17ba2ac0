"""DeviceStore on Firestore: users/{uid}/devices/{device_id} with the FCM token, its platform
and when the app last registered it; and the pruning of tokens unused for a month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from common.adapters.firestore_calls import (
    WRITE_BATCH,
    after,
    bounded,
    delete_all,
    storage_errors,
    within_deadline,
)
from common.adapters.firestore_sessions import ACTIVITY, USERS
from common.devices.models import device_id
from common.profile.erasure import erased_at, erasing, refuse_while_erasing
from common.push.models import Device

DEVICES = "devices"
# activity/{uid}: {device_id: when} of the devices removed lately (DELETE /v2/devices/{token},
# or another user's registration of the token: release_elsewhere).
# A registration made before a removal must not bring the device back when it commits after it
# (a transaction abandoned by within_deadline goes on): the device document is gone, so the
# removal's time is kept where every registration reads already, for longer than a transaction
# can live (270 s).
DEVICES_REMOVED = "devices_removed"
DEVICE_REMOVAL_KEPT = timedelta(minutes=10)
# The most removals the map keeps, the newest: a removal of a token never registered is
# recorded too (see delete), and a script sending DELETEs of made-up tokens would otherwise
# grow the activity record that every turn and the erasure read towards Firestore's 1 MiB and
# 40,000 index entries (20,000 in ten minutes did). No user signs out of 50 devices in ten.
DEVICE_REMOVALS_MAX = 50


def device_from_snapshot(snap: Any) -> Device:
    doc = snap.to_dict()
    return Device(device_id=snap.id, token=doc["token"], platform=doc["platform"])


class FirestoreDeviceStore:
    def __init__(self, client: Any) -> None:
        self._db = client

    def _devices(self, uid: str):
        return self._db.collection(USERS).document(uid).collection(DEVICES)

    def upsert(
        self, *, uid: str, token: str, platform: str, now: datetime, previous_token: str | None
    ) -> tuple[dict, bool]:
        from google.cloud import firestore

        ref = self._devices(uid).document(device_id(token))
        previous = (
            self._devices(uid).document(device_id(previous_token)) if previous_token else None
        )

        activity_ref = self._db.collection(ACTIVITY).document(uid)

        @firestore.transactional
        def run(tx: Any) -> tuple[dict, bool]:
            # The activity record, read in the transaction: an erasure marks it before it
            # lists the devices, so one that began earlier refuses this registration, and one
            # that begins meanwhile waits for it (and lists this device) or makes it read again.
            snaps = {s.reference.path: s for s in tx.get_all([ref, activity_ref], **bounded())}
            activity = snaps[activity_ref.path].to_dict()
            refuse_while_erasing(activity)
            snap = snaps[ref.path]
            old = snap.to_dict() if snap.exists else None
            doc = {
                "device_id": ref.id,
                "token": token,
                "platform": platform,
                "created_at": old["created_at"] if old else now,
                "last_seen_at": now,
            }
            # Removed by a later request (a sign-out, or the user's erasure), or registered by
            # one: this one is answered as if it came first, and a transaction abandoned by
            # within_deadline (a 503) that commits late neither brings the device back nor moves
            # its last_seen_at back (which a late removal compares with its own time).
            if not _removed_after(activity, ref.id, now) and not _seen_after(old, now):
                tx.set(ref, doc)
            if previous is not None:
                tx.delete(previous)  # the refreshed token is dead: FCM would refuse it
            return doc, old is None

        with storage_errors():  # registering again repeats this harmlessly
            return within_deadline(run, self._db.transaction())

    def release_elsewhere(self, *, uid: str, token: str, before: datetime) -> int:
        from google.cloud import firestore
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = self._db.collection_group(DEVICES).where(filter=FieldFilter("token", "==", token))

        @firestore.transactional
        def release(tx: Any, ref: Any) -> bool:
            # Read in the transaction: a copy its owner registered again since `before` stays
            # (that owner is newer), which the removal's precondition kept before.
            activity_ref = self._db.collection(ACTIVITY).document(ref.parent.parent.id)
            snaps = {s.reference.path: s for s in tx.get_all([ref, activity_ref], **bounded())}
            device = snaps[ref.path]
            if not device.exists or device.get("last_seen_at") >= before:
                return False
            tx.delete(ref)
            # Recorded as delete does: the owner's registration from before `before` landing
            # late (a 503, or a race) must not bring the token back to them, whose
            # notifications would then show on the phone another user is signed in on.
            activity = snaps[activity_ref.path].to_dict()
            if not erasing(activity):  # the erasure's mark keeps no expiry (see delete)
                tx.set(activity_ref, _removal(activity, ref.id, before), merge=True)
            return True

        with storage_errors():
            copies = [  # a token has a copy or two, never many
                s.reference
                for s in query.stream(**bounded())
                if s.reference.parent.parent.id != uid and s.get("last_seen_at") < before
            ]
            return sum(within_deadline(release, self._db.transaction(), ref) for ref in copies)

    def trim(self, *, uid: str, keep: int) -> int:
        from google.cloud import firestore

        query = self._devices(uid).order_by("last_seen_at", direction=firestore.Query.DESCENDING)
        with storage_errors():
            extra = [s.reference for s in query.offset(keep).stream(**bounded())]
            delete_all(self._db, extra)
        return len(extra)

    def delete(self, *, uid: str, token: str, now: datetime) -> bool:
        from google.cloud import firestore

        ref = self._devices(uid).document(device_id(token))
        activity_ref = self._db.collection(ACTIVITY).document(uid)

        @firestore.transactional
        def run(tx: Any) -> bool:
            snaps = {s.reference.path: s for s in tx.get_all([ref, activity_ref], **bounded())}
            device = snaps[ref.path]
            # Registered again by a later request (a sign-in after this sign-out, whose
            # transaction within_deadline abandoned, lands after it): the device stays, answered
            # as if this removal came first. No removal to record: a registration from before
            # this one that lands late finds the later last_seen_at and is not stored anyway.
            if device.exists and _seen_after(device.to_dict(), now):
                return True
            if device.exists:
                tx.delete(ref)
            activity = snaps[activity_ref.path].to_dict()
            # The removal is recorded even when there was no device (a 404): a first
            # registration sent before it, abandoned by its deadline, may still land (so a 404
            # writes too; DEVICE_REMOVALS_MAX bounds what it leaves). While the user's erasure
            # runs, registrations are refused, and its mark must keep no expiry.
            if not erasing(activity):
                tx.set(activity_ref, _removal(activity, ref.id, now), merge=True)
            return device.exists

        with storage_errors():  # deleting again repeats this harmlessly
            return within_deadline(run, self._db.transaction())


def _removed_after(activity: dict | None, device: str, now: datetime) -> bool:
    """The device was removed, or the user erased, by a request made after `now`."""
    removed = ((activity or {}).get(DEVICES_REMOVED) or {}).get(device)
    return after(removed, now) or after(erased_at(activity), now)


def _seen_after(device: dict | None, now: datetime) -> bool:
    """The device was registered by a request made after `now`."""
    return after((device or {}).get("last_seen_at"), now)


def _removal(activity: dict | None, device: str, now: datetime) -> dict:
    """What a device's removal merges into the activity record: when, for DEVICE_REMOVAL_KEPT
    (the record lives at least that long), with the removals older than that dropped, and
    all but the newest DEVICE_REMOVALS_MAX."""
    from google.cloud.firestore import DELETE_FIELD

    activity = activity or {}
    removed = activity.get(DEVICES_REMOVED) or {}
    others = sorted(
        ((when, d) for d, when in removed.items() if d != device),
        reverse=True,  # the newest first
    )
    kept = {d for when, d in others[: DEVICE_REMOVALS_MAX - 1] if when > now - DEVICE_REMOVAL_KEPT}
    dropped = {d: DELETE_FIELD for _, d in others if d not in kept}
    expires_at = max(now + DEVICE_REMOVAL_KEPT, activity.get("expires_at") or now)
    return {DEVICES_REMOVED: {**dropped, device: now}, "expires_at": expires_at}


def device_owners(db: Any, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
    """The owners of the next `limit` devices of every user (the collection group, by path)
    after `cursor`, one per device, and the path to go on from, or None once they ended. The
    cursor is a path: the device need not exist any more."""
    from google.cloud.firestore_v1.field_path import FieldPath

    query = db.collection_group(DEVICES).order_by(FieldPath.document_id()).limit(limit)
    if cursor is not None:
        query = query.start_after({FieldPath.document_id(): db.document(cursor)})
    with storage_errors():
        snaps = list(query.stream(**bounded()))
    uids = [s.reference.parent.parent.id for s in snaps]
    return uids, (snaps[-1].reference.path if len(snaps) == limit else None)


def prune_stale_devices(
    client: Any,
    *,
    now: datetime,
    max_age_days: int = 30,
    batch: int = WRITE_BATCH,
    max_batches: int = 50,
    in_time: Callable[[], bool] = lambda: True,
) -> int:
    """Delete every device not registered for `max_age_days` (FCM treats tokens unused for a
    month as stale), in bounded batches while `in_time()`: the number deleted. Run by the
    scheduled cleanup; a run cut short is finished by the next one. A token whose last_seen_at
    moved since the query is left alone."""
    from google.api_core import exceptions
    from google.cloud.firestore_v1.base_query import FieldFilter

    cutoff = now - timedelta(days=max_age_days)
    query = (
        client.collection_group(DEVICES)
        .where(filter=FieldFilter("last_seen_at", "<", cutoff))
        .limit(batch)
    )
    deleted = 0
    with storage_errors():
        for _ in range(max_batches):
            if not in_time():
                break
            snaps = list(query.stream(**bounded()))
            for snap in snaps:
                try:  # the precondition keeps a token re-registered meanwhile
                    snap.reference.delete(
                        option=client.write_option(last_update_time=snap.update_time),
                        **bounded(),
                    )
                    deleted += 1
                except (exceptions.FailedPrecondition, exceptions.NotFound):
                    continue
            if len(snaps) < batch:
                break
    return deleted
