"""ProfileStore on Firestore: settings in users/{uid}, what was learned in preferences/{user_key}
(written by the profile updater, which only ever sees the key), export and erasure."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from common.adapters.firestore_calls import (
    after,
    bounded,
    pages,
    storage_errors,
    within_deadline,
)
from common.adapters.firestore_sessions import (
    ACTIVITY,
    ERASURES,
    FEEDBACK,
    OUTBOX,
    PREFERENCES,
    SESSIONS,
    TURN_KEYS,
    TURNS,
    USERS,
    FirestoreSessionStore,
    decode_session,
)
from common.chat.limits import SALT, recent_activity
from common.errors import ErasureInProgress, Unavailable
from common.events import REDELIVERY_WINDOW, Event, older_user_key
from common.personalization.preferences import is_faded
from common.profile.erasure import (
    BY_USER,
    ERASING,
    ERASURE_DONE,
    ERASURE_RESUME_AFTER,
    REQUESTED_BY,
    check_requester,
    erased_at,
    refuse_while_erasing,
)
from common.profile.service import stored_settings
from common.profile.updater import daily_until, stale_days
from common.timestamps import rfc3339

# The erasure record (_log_erased): at INFO whatever LOG_LEVEL says, as a restore needs every
# line; a logger of its own so that this holds for nothing else.
erasure_log = logging.getLogger(f"{__name__}.erasures")
erasure_log.setLevel(logging.INFO)

APPLIED, DEVICES = "applied_events", "devices"
# Where each notification producer's walk of users/*/devices stopped: a device path, so a uid.
PRODUCER_CURSORS = "producer_cursors"
DEFERRED_NOTIFICATIONS = "deferred_notifications"  # pushes waiting out quiet hours (owner_uid)
# Each push's delivery record (common.adapters.firestore_push), kept 30 days. Only those written
# since they carry owner_uid are found by export and erasure; older ones expire on their own.
PUSH_NOTIFICATIONS = "push_notifications"
BATCH = 400  # Firestore allows 500 writes per batch
# Documents an export reads in one call (within one deadline), as the cleanup job reads turns.
EXPORT_PAGE = 300
MARK_ATTEMPTS = 5  # an erasure's mark, against the user's turns changing the activity record
# How long the activity record outlives a finished erasure as a tombstone: longer than a turn
# can take (the chat function's timeout is 60 s); then the cleanup job and TTL delete it.
ERASURE_TOMBSTONE = timedelta(minutes=10)
IN_PROGRESS = "in_progress"  # erasures/{user_key}.firestore until the user's documents are gone
DONE = "done"  # erasures/{user_key}.firestore and .analytics once that part is finished
PENDING = "pending"  # erasures/{user_key}.analytics until the cleanup job has done it
ANALYTICS_COMPLETED_AT = "analytics_completed_at"  # when it did (FirestoreCleanupStore)
DOCUMENTS_GONE_AT = "documents_gone_at"  # erasures/{user_key}: when the last batch committed
# erasures/{user_key}, until the last batch: the user's key from before an analytics-key rotation
PREVIOUS_USER_KEY = "previous_user_key"
# users/{uid}: when each setting was last set, by the time of the request that set it
SETTINGS_SET_AT = "settings_set_at"
# The INFO line of each finished erasure: a log sink keeps these (terraform/stack/logs.tf) as the
# only record outside Firestore of whom to erase again after a restore (OPERATIONS.md).
ERASURE_LOGGED = "erasure done"


def _plain(value: Any) -> Any:
    """Firestore values as JSON-friendly data (datetimes as the API writes them)."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _exported_push(doc: dict) -> dict:
    """A push's delivery record as the export shows it: without the lease of the delivery that
    was sending it."""
    return {k: v for k, v in doc.items() if k != "lease_until"}


def _exported_turn(doc: dict) -> dict:
    """A stored turn as the export shows it: all of it, with its `response` decoded (the only
    place what was inferred about the message is kept: sentiment, tone and intent confidences,
    persona reasons, alternatives, degraded features). Only `fingerprint` is left out, a hash of
    the turn's own request kept to recognise a retry."""
    turn = FirestoreSessionStore._decode_turn(doc)
    turn.pop("fingerprint", None)
    return turn


class FirestoreProfileStore:
    def __init__(self, client: Any, sessions: FirestoreSessionStore) -> None:
        self._db = client
        self._sessions = sessions  # for the outbox documents

    def read_profile(self, *, uid: str, ukey: str) -> tuple[dict | None, dict | None]:
        refs = [
            self._db.collection(USERS).document(uid),
            self._db.collection(PREFERENCES).document(ukey),
        ]
        with storage_errors():
            snaps = {s.reference.path: s for s in self._db.get_all(refs, **bounded())}
        user, prefs = (snaps[r.path] for r in refs)
        return (user.to_dict() if user.exists else None, prefs.to_dict() if prefs.exists else None)

    def write_settings(
        self,
        *,
        uid: str,
        ukey: str,
        settings: dict,
        now: datetime,
        build_events: Callable[[set[str], dict], list[Event]] = lambda kept, stored: [],
    ) -> tuple[dict, list[Event]]:
        from google.cloud import firestore

        user_ref = self._db.collection(USERS).document(uid)
        activity_ref = self._db.collection(ACTIVITY).document(uid)

        @firestore.transactional
        def run(tx: Any) -> tuple[dict, list[Event]]:
            # The activity record, read in the transaction as a device registration does: while
            # the user's erasure runs, this write could land after it deleted users/{uid} and
            # bring the document back.
            read = {s.reference.path: s for s in tx.get_all([activity_ref, user_ref], **bounded())}
            activity = read[activity_ref.path].to_dict()
            refuse_while_erasing(activity)
            user = read[user_ref.path].to_dict() or {}
            # The last by request time stands, field by field (as a rating does): a transaction
            # abandoned by within_deadline (a 503) may still commit after a later PATCH of the
            # same field, or after an erasure asked for later, and must undo neither.
            set_at = user.get(SETTINGS_SET_AT) or {}
            kept = {n: v for n, v in settings.items() if not after(set_at.get(n), now)}
            # Settings that are no map (a list written in the console) read as none, as GET
            # reads them: merging into them answered 500. The write below makes them a map.
            stored = stored_settings(user) or {}
            if not kept or after(erased_at(activity), now):
                return stored, []
            # The key stored first stays: after an analytics-key rotation it names the user's
            # rows and preferences from before it (the current key comes from the uid), which
            # retention, erasure and export must still reach after any later settings change.
            update = {
                "settings": kept,
                SETTINGS_SET_AT: dict.fromkeys(kept, now),
                "updated_at": max(now, user.get("updated_at") or now),
                "user_key": user.get("user_key") or ukey,
            }
            tx.set(user_ref, update, merge=True)
            # The events of what is written, with it: a setting a later request set is
            # neither stored nor announced.
            events = build_events(set(kept), stored)
            for event in events:
                tx.set(
                    self._sessions._outbox_ref(event.event_id), self._sessions._outbox_doc(event)
                )
            return stored, events

        with storage_errors():  # the same PATCH again writes the same fields
            return within_deadline(run, self._db.transaction())

    def export_user(self, *, uid: str, ukey: str) -> dict[str, Any]:
        """Everything stored about the user. What grows with their history (`sessions` with
        their turns, `turns_without_session`, `feedback`) are iterators, read a page at a time
        as the export is written (common.json_stream): a year of daily turns is more than one
        read's deadline streams, and more than an instance's memory holds at once. The rest is
        read now, so that its failure is an ordinary 503."""
        with storage_errors():
            user, prefs = self.read_profile(uid=uid, ukey=ukey)
            previous = None
            if older := older_user_key(user, ukey):
                ref = self._db.collection(PREFERENCES).document(older)
                previous = ref.get(**bounded()).to_dict()
            device_refs = self._db.collection(USERS).document(uid).collection(DEVICES)
            devices = list(_docs(_paged(device_refs)))
            waiting = list(_docs(_paged(self._owned(DEFERRED_NOTIFICATIONS, uid))))
            pushes = sorted(
                map(_exported_push, _docs(_paged(self._owned(PUSH_NOTIFICATIONS, uid)))),
                key=lambda p: str(p.get("created_at")),
            )
            activity = self._db.collection(ACTIVITY).document(uid).get(**bounded()).to_dict()
        if activity and activity.get("recent"):  # [[time, hash of the message], ...]
            # Stored in the user's own offset (their local hour counts): shown in UTC as every
            # other time; an entry older than the repeat window with its hash null.
            activity["recent"] = [[t, h] for t, h in recent_activity(activity, UTC)]
        if activity:
            # The key of those hashes is no data about the user, and with it a leaked export's
            # hashes could be read back by hashing guesses.
            activity.pop(SALT, None)
        feedback = map(_plain, _docs(_paged(self._owned(FEEDBACK, uid))))
        return _plain(
            {
                "uid": uid,
                "profile": user or {},
                "learned_preferences": {k: v for k, v in (prefs or {}).items()},
                # under analytics.previous_user_key, from before the analytics key was rotated
                "previous_learned_preferences": previous or {},
                "sessions": self._sessions_with_turns(uid),
                # their session was deleted before them
                "turns_without_session": self._turns_without_session(uid),
                "feedback": feedback,
                "devices": devices,
                "pending_notifications": waiting,
                "push_notifications": pushes,  # delivery records, kept 30 days
                "recent_activity": activity or {},  # for the anomaly limits
            }
        )

    def _owned(self, collection: str, uid: str) -> Any:
        return _owned(self._db.collection(collection), uid)

    def _sessions_with_turns(self, uid: str) -> Iterator[dict]:
        """The user's sessions, each with its turns in order, a page of them at a time."""
        for snap in _paged(self._owned(SESSIONS, uid)):
            turns = _paged(snap.reference.collection(TURNS).order_by("turn_index"))
            yield {
                **_plain(decode_session(snap.to_dict()).to_dict()),
                # Only the user's own (as a query by owner_uid finds them), filtered here:
                # asking Firestore for them in order would need an index on both fields.
                "turns": (
                    _plain(_exported_turn(doc))
                    for doc in _docs(turns)
                    if doc.get("owner_uid") == uid
                ),
            }

    def _turns_without_session(self, uid: str) -> Iterator[dict]:
        """The user's turns whose session document is gone, oldest first. Every turn of the
        user is listed by its time alone (a projection: most are their session's, exported
        above), and only the others are read whole, a page at a time, in that order."""
        left: list[tuple[str, Any]] = []  # (when, reference): what sorts them, no more
        listed: dict[str, bool] = {}  # by session path: one of the user's sessions
        turns = _owned(self._db.collection_group(TURNS), uid).select(["created_at"])
        for page in _pages(turns):
            sessions = {t.reference.parent.parent.path: t.reference.parent.parent for t in page}
            unknown = [ref for path, ref in sessions.items() if path not in listed]
            for snap in _read(self._db, unknown, field_paths=["owner_uid"]):
                owner = (snap.to_dict() or {}).get("owner_uid")
                listed[snap.reference.path] = snap.exists and owner == uid
            left += [
                (str(t.to_dict().get("created_at")), t.reference)
                for t in page
                if not listed[t.reference.parent.parent.path]
            ]
        left.sort(key=lambda pair: pair[0])  # stable: in path order at the same time
        for start in range(0, len(left), EXPORT_PAGE):
            refs = [ref for _, ref in left[start : start + EXPORT_PAGE]]
            found = {s.reference.path: s.to_dict() for s in _read(self._db, refs) if s.exists}
            yield from (_plain(_exported_turn(found[r.path])) for r in refs if r.path in found)

    def erase_user(self, *, uid: str, ukey: str, now: datetime) -> dict[str, int]:
        return erase_user(self._db, uid=uid, ukey=ukey, now=now, requested_by=BY_USER)


def _owned(source: Any, uid: str) -> Any:
    """The documents of a collection, or of a collection group, that the user owns. For turns,
    the group: every turn of the user, whether or not its session still exists (TTL deletes a
    session without its turns subcollection, and a cleanup run can stop between the two)."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    return source.where(filter=FieldFilter("owner_uid", "==", uid))


def _pages(query: Any) -> Iterator[list]:
    """pages(query, EXPORT_PAGE), each page's read judged as every storage call is (it is
    read while the export is written, outside export_user's own block)."""
    read = pages(query, EXPORT_PAGE)
    while True:
        with storage_errors():
            page = next(read, None)
        if not page:
            return
        yield page


def _paged(query: Any) -> Iterator[Any]:
    for page in _pages(query):
        yield from page


def _docs(snaps: Iterator[Any]) -> Iterator[dict]:
    return (snap.to_dict() for snap in snaps)


def _read(db: Any, refs: list, field_paths: list[str] | None = None) -> list:
    """These documents (at most a page of them: one deadline), found or not, in any order."""
    if not refs:
        return []
    with storage_errors():
        return list(db.get_all(refs, field_paths=field_paths, **bounded()))


class ErasureSuperseded(Exception):
    """erase_user(resuming=...): the erasure is no longer in progress as the cleanup job listed
    it. A DELETE /v2/profile sent again since finished it, or began it again."""


def _begin_erasure(
    db: Any,
    *,
    uid: str,
    ukey: str,
    now: datetime,
    requested_by: str | None,
    resuming: datetime | None,
) -> tuple[str | None, str | None]:
    """erase_user's first write: the erasure record and the activity record's mark, in one
    batch. The user's key from before an analytics-key rotation, if any, and who asked for the
    erasure (`requested_by`, or for None the record's: a resumed one's). ErasureInProgress while
    another erasure of the user may still be deleting: two at once would each end by writing
    the tombstone and `done` while the other still deletes."""
    from google.api_core import exceptions
    from google.cloud.firestore import DELETE_FIELD

    erasure_ref = db.collection(ERASURES).document(ukey)
    user_ref = db.collection(USERS).document(uid)
    activity_ref = db.collection(ACTIVITY).document(uid)
    refused = False
    for _ in range(MARK_ATTEMPTS):
        refs = [user_ref, erasure_ref, activity_ref]
        snaps = {s.reference.path: s for s in db.get_all(refs, **bounded())}
        user, erasure = (snaps[ref.path].to_dict() or {} for ref in (user_ref, erasure_ref))
        activity = snaps[activity_ref.path]
        began = (activity.to_dict() or {}).get(ERASING)  # to_dict(): None when there is none
        # The key from before a rotation: from users/{uid}, or, once that is gone, from the
        # record of this erasure a run before this one began.
        older = older_user_key(user, ukey) or erasure.get(PREVIOUS_USER_KEY)
        who = requested_by or erasure.get(REQUESTED_BY)
        asked = {REQUESTED_BY: who} if who else {}  # a record from before the field names none
        # This run's own batch, applied though its answer was lost: the client's retry of the
        # commit was refused by the batch's own writes (as commit_turn knows its own by `sent`).
        mine = {"firestore": IN_PROGRESS, "requested_at": now, "uid": uid}
        if refused and began == now and mine.items() <= erasure.items():
            return older, who
        # The cleanup job's, for an erasure a DELETE /v2/profile sent again has finished (or
        # begun again) since it was listed: run again, it would delete what the user stored
        # after that request and date the erasure back. Nothing is written; a request that
        # begins meanwhile changes the activity record, so the mark's condition reads again.
        if resuming is not None and (
            erasure.get("firestore") != IN_PROGRESS or erasure.get("requested_at") != resuming
        ):
            raise ErasureSuperseded()
        # A mark this recent is a run still going (a DELETE sent again meanwhile); an older one
        # was cut off, and is finished by this run as by the cleanup job's.
        if began is not None and began > now - ERASURE_RESUME_AFTER:
            raise ErasureInProgress()
        # A new requested_at each time: events until now are not learned again (a run that
        # finishes an erasure also erases what the user did since it was cut off). In the same
        # write, the activity record gets erased_at (when the erasure is done, erase_user
        # replaces it with a tombstone): a turn in flight commits on the condition that the
        # record did not change, so one that would land after erase_user's listing fails, reads
        # again and is refused, as are new turns, ratings, device registrations and settings
        # changes while erased_at is there (common.profile.erasure.refuse_while_erasing).
        batch = db.batch()
        record = {"requested_at": now, "analytics": PENDING, "firestore": IN_PROGRESS, "uid": uid}
        batch.set(erasure_ref, record | asked | ({PREVIOUS_USER_KEY: older} if older else {}))
        if older:  # neither in_progress nor the uid: only the record under `ukey` is resumed
            batch.set(
                db.collection(ERASURES).document(older),
                {"requested_at": now, "analytics": PENDING} | asked,
            )
        # Without expires_at: neither TTL nor the cleanup job may delete the mark before the
        # end. On the condition that the record is as read: of two erasures begun at once, the
        # second to commit reads again and finds the first's mark.
        if activity.exists:
            unchanged = db.write_option(last_update_time=activity.update_time)
            batch.update(activity_ref, {ERASING: now, "expires_at": DELETE_FIELD}, option=unchanged)
        else:
            batch.create(activity_ref, {ERASING: now})
        try:
            batch.commit(**bounded())
        # changed since read (another erasure's mark, a turn) or deleted (expired): read again
        except (exceptions.FailedPrecondition, exceptions.AlreadyExists, exceptions.NotFound):
            refused = True
            continue
        return older, who
    # Contention, as a transaction that keeps aborting is (firestore_calls.storage_errors): the
    # code DELETE /v2/profile documents for a 503.
    raise Unavailable(
        "Your data kept changing as the erasure began; try again shortly.",
        code="storage_unavailable",
    )


class _Deletes:
    """An erasure's deletes, in batches of at most BATCH. Once `in_time()` says no, it stops
    after at least one batch and raises Unavailable."""

    def __init__(self, db: Any, in_time: Callable[[], bool]) -> None:
        self._db, self._in_time, self.done = db, in_time, 0

    def remove(self, refs: list) -> None:
        """Delete these in one batch: every caller passes at most BATCH (a page of `drain`)."""
        if not refs:
            return
        if self.done and not self._in_time():
            raise Unavailable(f"erasure stopped after {self.done} documents")
        batch = self._db.batch()
        for ref in refs:
            batch.delete(ref)
        batch.commit(**bounded())
        self.done += len(refs)

    def drain(self, query: Any) -> int:
        """Delete what the query finds a page at a time (what is deleted leaves it): no call
        lists all of a heavy user's documents at once. How many."""
        n = 0
        while True:
            refs = [s.reference for s in query.select([]).limit(BATCH).stream(**bounded())]
            self.remove(refs)
            n += len(refs)
            if len(refs) < BATCH:
                return n


def erase_user(
    db: Any,
    *,
    uid: str,
    ukey: str,
    now: datetime,
    requested_by: str | None,
    in_time: Callable[[], bool] = lambda: True,
    resuming: datetime | None = None,
) -> dict[str, int]:
    """Delete every document about the user, in batches of BATCH. The erasure record comes
    first (the cleanup job completes its analytics part) and stays `in_progress`, with the uid,
    until the last batch: the cleanup job finishes an erasure cut off half-way (a crash, the
    function's timeout) by running this again. Each run re-reads what is left, and deletes a
    session after its turns and users/{uid} after its devices, so none is left unreachable.
    Once `in_time()` says no, it stops after at least one batch and raises Unavailable (the
    cleanup job's time budget: a heavy user is finished over several runs). `resuming`: the
    requested_at of the unfinished erasure the cleanup job listed; ErasureSuperseded, with
    nothing written, if the record no longer says so.

    `requested_by`: who asked (common.profile.erasure.REQUESTERS), kept in the erasure record
    and its `erasure done` line; None only with `resuming`, which keeps the record's.

    After an analytics-key rotation the user's older key (users/{uid}.user_key) gets its own
    erasure record, which the cleanup job completes like any, and its preferences go too. The
    erasure record keeps that key until the last batch: users/{uid} goes before then, and a run
    that finishes this one must still find it."""
    from google.cloud.firestore import DELETE_FIELD, SERVER_TIMESTAMP
    from google.cloud.firestore_v1.base_query import FieldFilter

    if requested_by is not None or resuming is None:  # None: a resumed one keeps the record's
        check_requester(requested_by)
    counts: dict[str, int] = {}
    erasure_ref = db.collection(ERASURES).document(ukey)
    user_ref = db.collection(USERS).document(uid)
    with storage_errors():
        older, requested_by = _begin_erasure(
            db, uid=uid, ukey=ukey, now=now, requested_by=requested_by, resuming=resuming
        )
        keys = [ukey, older] if older else [ukey]
        deletes = _Deletes(db, in_time)
        delete, drain = deletes.remove, deletes.drain

        # The turns go before anything else is listed: a rating commits only while its turn
        # exists (common.adapters.firestore_sessions), so one that got in before this is listed
        # below with its outbox entries, and one after it fails.
        counts["turns"] = drain(_owned(db.collection_group(TURNS), uid))
        owned = (SESSIONS, TURN_KEYS, FEEDBACK, DEFERRED_NOTIFICATIONS, PUSH_NOTIFICATIONS)
        for collection in owned:
            counts[collection] = drain(_owned(db.collection(collection), uid))
        counts["outbox"] = sum(
            drain(db.collection(OUTBOX).where(filter=FieldFilter("subject", "==", key)))
            for key in keys
        )
        counts["devices"] = drain(user_ref.collection(DEVICES))  # before users/{uid}
        prefs_refs = [db.collection(PREFERENCES).document(key) for key in keys]
        for prefs_ref in prefs_refs:
            drain(prefs_ref.collection(APPLIED))
        delete([user_ref, *prefs_refs])
        for snap in db.collection(PRODUCER_CURSORS).stream(**bounded()):
            if str(snap.get("cursor") or "").startswith(f"{USERS}/{uid}/"):
                snap.reference.update({"cursor": None}, **bounded())  # starts over
        # Last, and together: while the activity record says erased_at, the user's turns and
        # device registrations are refused (they read it), so nothing lands after the listing.
        # The record becomes a tombstone rather than going: a turn that began before the
        # erasure, when the user had no record, commits on the condition that there is none
        # (common.adapters.firestore_sessions), so it fails, reads again and finds the erasure.
        # It holds nothing but when this erasure began (`now`, as erased_at did: the field's
        # name says that it is done, not when), and expires when no turn can still be in flight.
        batch = db.batch()
        tombstone = {ERASURE_DONE: now, "expires_at": now + ERASURE_TOMBSTONE}
        batch.set(db.collection(ACTIVITY).document(uid), tombstone)
        finished = {
            "firestore": DONE,
            "completed_at": now,  # despite the name, when it began (= requested_at)
            # When the documents were gone, by the server's clock (`now` is when this began):
            # the analytics erasure deletes the user's rows up to then (rows_until).
            DOCUMENTS_GONE_AT: SERVER_TIMESTAMP,
        }
        batch.update(erasure_ref, finished | {"uid": DELETE_FIELD, PREVIOUS_USER_KEY: DELETE_FIELD})
        if older:
            batch.set(db.collection(ERASURES).document(older), finished, merge=True)
        batch.commit(**bounded())
    # documents_gone_at is the commit's time (SERVER_TIMESTAMP)
    _log_erased(
        ukey=ukey,
        older=older,
        requested_by=requested_by,
        requested_at=now,
        gone_at=batch.commit_time,
    )
    return counts


def erase_user_key(db: Any, *, ukey: str, now: datetime, requested_by: str) -> dict[str, int]:
    """What an erasure reaches by the user's key alone, for a key no uid in the database gives
    any more (scripts/restore_erasures.py: an erasure undone by a restore, of a user whose
    documents under their uid had expired before it): their learned preferences and outbox
    entries, and their erasure record, done, its analytics part pending: the cleanup job deletes
    their rows up to documents_gone_at, and the profile updater and a dead-letter replay drop
    their events up to then (of_erased_account), as after erase_user. Nothing, if an erasure
    of the key is running: it erases all this, and its record must stay in progress.
    `requested_by` as erase_user's."""
    from google.cloud.firestore import SERVER_TIMESTAMP
    from google.cloud.firestore_v1.base_query import FieldFilter

    check_requester(requested_by)

    deletes = _Deletes(db, lambda: True)
    prefs_ref = db.collection(PREFERENCES).document(ukey)
    erasure_ref = db.collection(ERASURES).document(ukey)
    with storage_errors():
        if (erasure_ref.get(**bounded()).to_dict() or {}).get("firestore") == IN_PROGRESS:
            return {}
        outbox = db.collection(OUTBOX).where(filter=FieldFilter("subject", "==", ukey))
        counts = {
            "outbox": deletes.drain(outbox),
            APPLIED: deletes.drain(prefs_ref.collection(APPLIED)),
        }
        deletes.remove([prefs_ref])
        record = {
            "requested_at": now,
            REQUESTED_BY: requested_by,
            "analytics": PENDING,
            "firestore": DONE,
            "completed_at": now,
            DOCUMENTS_GONE_AT: SERVER_TIMESTAMP,
        }
        batch = db.batch()
        batch.set(erasure_ref, record)
        batch.commit(**bounded())
    _log_erased(
        ukey=ukey,
        older=None,
        requested_by=requested_by,
        requested_at=now,
        gone_at=batch.commit_time,
    )
    return counts


def _log_erased(
    *,
    ukey: str,
    older: str | None,
    requested_by: str | None,
    requested_at: datetime,
    gone_at: datetime,
) -> None:
    """The erasure's record outside Firestore: a restore of the database to a point before it
    brings back the user's documents and drops erasures/{user_key}, and nothing else says whom
    to erase again (OPERATIONS.md, "Restore Firestore"). The user's keys, who asked and the
    times, never the uid."""
    keys = {"user_key": ukey} | ({"previous_user_key": older} if older else {})
    times = {"requested_at": requested_at.isoformat(), DOCUMENTS_GONE_AT: gone_at.isoformat()}
    erasure_log.info(ERASURE_LOGGED, extra={**keys, REQUESTED_BY: requested_by, **times})


def of_erased_account(erasure: dict, occurred_at: datetime) -> bool:
    """An event the user's erasure (erasures/{user_key}) covers, which the profile updater
    learns nothing from and a dead-letter replay does not send again (analytics would keep it):
    any while the erasure deletes (a rating that got in before its turn was deleted is
    published meanwhile, and preferences/{user_key} may be gone already), and
    once it is done, any up to when the documents were gone: the analytics erasure deletes the
    user's rows up to the same time (PendingErasure.rows_until). The account lives on, so what
    the user does afterwards is learned afresh. A record from before documents_gone_at was
    written: up to when the user asked."""
    if erasure.get("firestore") == IN_PROGRESS:
        return True
    until = erasure.get(DOCUMENTS_GONE_AT) or erasure.get("requested_at")
    return until is None or occurred_at <= until


def _nested(increments: dict[str, float]) -> dict:
    """{"stats.lua.alpha": 0.2} -> {"stats": {"lua": {"alpha": Increment(0.2)}}}."""
    from google.cloud.firestore import Increment

    out: dict = {}
    for path, amount in increments.items():
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = Increment(amount)
    return out


class FirestorePreferenceWriter:
    """Applies a profile delta once per event: the event's marker and the increments commit
    together. A redelivery finds the marker in the transaction's own read; two deliveries at
    once contend on it (one reads again and finds it), and a marker created meanwhile makes the
    commit fail with ALREADY_EXISTS."""

    def __init__(self, client: Any) -> None:
        self._db = client

    def apply(
        self,
        *,
        subject: str,
        event_id: str,
        increments: dict[str, float],
        occurred_at: datetime,
        now: datetime,
    ) -> bool:
        from google.api_core import exceptions
        from google.cloud import firestore
        from google.cloud.firestore import DELETE_FIELD

        prefs_ref = self._db.collection(PREFERENCES).document(subject)
        erasure_ref = self._db.collection(ERASURES).document(subject)
        marker_ref = prefs_ref.collection(APPLIED).document(event_id)

        @firestore.transactional
        def run(tx: Any, read_before: dict) -> bool:
            # The erasure record is read in the transaction: an erasure that begins before this
            # commits waits for it (and then deletes what it wrote) or makes it read again, so
            # an event of the erased account never brings the profile back. The profile
            # itself is read outside it: the user's concurrent events would contend on it. Only
            # after a gap that fades it is it read here too, so that of two events of the
            # user's return only the first starts afresh (the second would drop the first).
            afresh = is_faded(read_before.get("updated_at"), now)
            refs = [erasure_ref, marker_ref, *([prefs_ref] if afresh else [])]
            read = {s.reference.path: s for s in tx.get_all(refs, **bounded())}
            if read[marker_ref.path].exists:  # applied before
                return False
            erasure = read[erasure_ref.path]
            if erasure.exists and of_erased_account(erasure.to_dict(), occurred_at):
                return False
            update = {**_nested(increments), "updated_at": now, "daily_until": daily_until(now)}
            # Kept until no replay of a dead letter can bring the event back (REDELIVERY_WINDOW).
            tx.create(marker_ref, {"applied_at": now, "expires_at": now + REDELIVERY_WINDOW})
            if afresh and is_faded((read[prefs_ref.path].to_dict() or {}).get("updated_at"), now):
                tx.set(prefs_ref, update)  # replaced, as if the cleanup had deleted it
                return True
            if old_days := stale_days(read_before.get("daily"), now):
                update["daily"] = {
                    **update.get("daily", {}),
                    **dict.fromkeys(old_days, DELETE_FIELD),
                }
            tx.set(prefs_ref, update, merge=True)
            return True

        with storage_errors():
            prefs = prefs_ref.get(field_paths=["daily", "updated_at"], **bounded())
            try:
                # Within a deadline, as a request's transaction is: its begin and commit retry
                # for 60 s, the profile updater's whole timeout. Abandoned, it may still commit:
                # the event's marker, read and created in it, keeps a redelivery from applying
                # the event twice.
                return within_deadline(run, self._db.transaction(), prefs.to_dict() or {})
            except exceptions.GoogleAPICallError as e:
                # The library rolls back a failed commit, and in production that rollback can
                # fail too (the transaction is over), its error then hiding ALREADY_EXISTS.
                if isinstance(e, exceptions.AlreadyExists) or isinstance(
                    e.__context__, exceptions.AlreadyExists
                ):
                    return False  # applied before
                raise
