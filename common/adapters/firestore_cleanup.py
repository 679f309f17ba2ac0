"""CleanupStore on Firestore: expired and retained-too-long sessions with their turns, other
expiring documents, learned profiles and producers' notices past their owner's retention, users'
retention choices, pending erasures and unfinished ones. Every query re-reads what is left, so
deleting in bounded batches needs no stored cursor between runs, except the resumable scans'
(jobs/session_cleanup), which must get past old documents that stay."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from common import logs
from common.adapters.firestore_calls import (
    WRITE_BATCH,
    Unchanged,
    bounded,
    delete_all,
    in_parallel,
    pages,
    storage_errors,
    write_unchanged,
)
from common.adapters.firestore_devices import DEVICES, device_owners
from common.adapters.firestore_profiles import (
    ANALYTICS_COMPLETED_AT,
    DOCUMENTS_GONE_AT,
    DONE,
    ERASURES,
    IN_PROGRESS,
    PENDING,
    ErasureSuperseded,
    erase_user,
)
from common.adapters.firestore_sessions import (
    ACTIVITY,
    OUTBOX,
    PREFERENCES,
    SESSIONS,
    TURNS,
    USERS,
    decode_session,
    encode_session,
    outbox_doc,
)
from common.cleanup import (
    DEFAULT_RETENTION_DAYS,
    NoticeRef,
    OrphanScan,
    PendingErasure,
    ProfileRef,
    SessionRef,
    UnfinishedErasure,
)
from common.config import get_settings
from common.errors import Unavailable
from common.events import older_user_key, user_key
from common.notifications.models import NOTICES
from common.profile.erasure import BY_ACCOUNT_SWEEP, ERASING, ERASURE_DONE, erased_at, erasing
from common.profile.service import settings_of
from common.sessions.ending import session_ended_event
from common.sessions.state import WindowTurn, forget_before, holds_before

log = logging.getLogger(__name__)

TURN_PAGE = 300
# Expired sessions whose turns are read at once: one after the other, the queries of a page of
# 200 took 200 round trips, 3-6 s at 14-31 ms each.
TURN_WORKERS = 16
USER_PAGE = 1000
# The one pass over learned profiles written before their per-day counters were stamped with
# daily_until (so that the cleanup finds those of users who stopped): a document id, then True.
DAILY_BACKFILL = "daily_until_backfill"
JOB_STATE = "jobs/session_cleanup"
# erasures/{user_key}: when the cleanup's analytics statement last deleted the user's rows.
ANALYTICS_LAST_RUN_AT = "analytics_last_run_at"
# erasures/{user_key}.firestore of an erasure left in_progress without a uid (recorded before
# erasures kept it), with `needs_operator_at`: only an operator who knows the uid can finish it.
NEEDS_OPERATOR = "needs_operator"


def _filter(field: str, op: str, value: Any):
    from google.cloud.firestore_v1.base_query import FieldFilter

    return FieldFilter(field, op, value)


class FirestoreCleanupStore:
    def __init__(self, client: Any) -> None:
        self._db = client

    def _delete(self, refs: list) -> None:
        delete_all(self._db, refs)

    def _write_unchanged(self, writes: Sequence[tuple[Any, Any, dict | None]]) -> int:
        """(reference, update time as read, update or None to delete): each write holds only if
        its document is as read (write_unchanged). How many held."""
        return len(write_unchanged(self._db, [Unchanged(*write) for write in writes]))

    def _delete_turns(self, query) -> int:
        """Every turn the query finds, page by page."""
        deleted = 0
        while True:
            page = [s.reference for s in query.limit(TURN_PAGE).stream(**bounded())]
            self._delete(page)
            deleted += len(page)
            if len(page) < TURN_PAGE:
                return deleted

    def delete_expired_sessions(self, *, now: datetime, limit: int) -> tuple[int, int]:
        """Each expired session goes with its session.ended event, and only if the session is
        as the query read it: a turn committed meanwhile extended it, and it stays. A page of
        them in one commit (write_unchanged: one that changed keeps out only itself). Their
        turns go next, read TURN_WORKERS sessions at once and deleted WRITE_BATCH a commit
        (after a crash in between, the orphan scan finds them). One session at a time (a
        commit, then a query and a commit for its turns, each waited for in turn), a run
        deleted only 4,000-8,600 at 14-31 ms a round trip (docs/CAPACITY.md, the cleanup
        job)."""
        expired = (
            self._db.collection(SESSIONS)
            .where(filter=_filter("expires_at", "<=", now))
            .order_by("expires_at")
        )
        sessions = turns = 0
        after = None  # the last session read: those left (a user being erased) are not re-read
        with storage_errors():
            while sessions < limit:
                query = expired.limit(limit)  # whole pages: few reads past many left
                snaps = list((query.start_after(after) if after else query).stream(**bounded()))
                endings = self._endings(snaps, now)
                taken = endings[: limit - sessions]
                ended = write_unchanged(
                    self._db, [self._ended(snap, event, now) for snap, event in taken]
                )
                sessions += len(ended)
                turns += self._delete_all_turns([write.ref for write in ended])
                if len(taken) < len(endings):
                    after = taken[-1][0]  # some were kept: the rest of this page next
                elif len(snaps) < limit:
                    break  # none left
                else:
                    after = snaps[-1]
        return sessions, turns

    def _delete_all_turns(self, sessions: list) -> int:
        """Every turn of these sessions: their queries TURN_WORKERS at once, then the deletes,
        WRITE_BATCH to a commit, side by side. How many."""
        found = in_parallel(self._turn_refs, sessions, at_once=TURN_WORKERS)
        refs = [ref for turns in found for ref in turns]
        batches = [refs[i : i + WRITE_BATCH] for i in range(0, len(refs), WRITE_BATCH)]
        in_parallel(self._delete, batches, at_once=TURN_WORKERS)
        return len(refs)

    def _turn_refs(self, session: Any) -> list:
        turns = pages(session.collection(TURNS), TURN_PAGE)
        return [snap.reference for page in turns for snap in page]

    def _ended(self, snap: Any, event: Any, now: datetime) -> Unchanged:
        """The session's delete, only as read, with its session.ended entry."""
        if event is None:  # its state is unreadable: it goes without one
            return Unchanged(snap.reference, snap.update_time)
        entry = (self._db.collection(OUTBOX).document(event.event_id), outbox_doc(event, due=now))
        return Unchanged(snap.reference, snap.update_time, along=(entry,))

    def _endings(self, snaps: list, now: datetime) -> list[tuple[Any, Any]]:
        """Each expired session with its `session.ended` event (None if its state is
        unreadable), but those of users being erased. The event id is stable, so a run that
        stops half-way rewrites the same event."""
        states = {}
        for snap in snaps:
            try:
                states[snap.id] = decode_session({**snap.to_dict(), "session_id": snap.id})
            except (KeyError, TypeError, ValueError):
                log.warning("expired session without a readable state", extra={"doc": snap.id})
        owners = {s.owner_uid for s in states.values()}
        refs = [self._db.collection(c).document(uid) for uid in owners for c in (USERS, ACTIVITY)]
        found = self._db.get_all(refs, **bounded()) if refs else []
        docs = {(d.reference.parent.id, d.id): d.to_dict() for d in found}
        users = {uid: docs.get((USERS, uid)) for uid in owners}
        key = get_settings().analytics_hmac_key() if states else ""
        out: list[tuple[Any, Any]] = []
        for snap in snaps:
            state = states.get(snap.id)
            if state is None:
                out.append((snap, None))
                continue
            if erasing(docs.get((ACTIVITY, state.owner_uid))):
                # The erasure deletes it. Ended here, its event (dated now, after the erasure
                # was asked for) would teach the profile updater about the user being erased.
                continue
            subject = user_key(state.owner_uid, key)
            # Anonymous when the user anonymises now, or when some of the session's rows went
            # out anonymous: its counts would link them to the keyed ones.
            anonymous = settings_of(users.get(state.owner_uid)).anonymize_analytics
            anonymous = anonymous or bool(state.anonymous)
            user = None if anonymous else subject
            ended = session_ended_event(state, user_key=user, subject=subject, key=key, now=now)
            out.append((snap, ended))
        return out

    def delete_sessions(self, due: list[tuple[SessionRef, datetime]]) -> tuple[int, int, int]:
        """First the session's turns from before the cutoff (due whatever becomes of the
        session; a turn committed meanwhile is newer), then the session if still as read (a
        turn commits on the session's update time, so none lands after), then any turn left:
        a crash in between leaves the session for the next run, never turns without a way to
        find them, and a turn committed between the query and the delete is neither lost nor
        orphaned."""
        from google.api_core import exceptions

        deleted = turns = changed = 0
        with storage_errors():
            for session, cutoff in due:
                ref = self._db.collection(SESSIONS).document(session.session_id)
                old = ref.collection(TURNS).where(filter=_filter("created_at", "<", cutoff))
                turns += self._delete_turns(old)
                unchanged = self._db.write_option(last_update_time=session.version)
                try:
                    ref.delete(option=unchanged, **bounded())
                except exceptions.NotFound:
                    continue  # another run deleted it
                except exceptions.FailedPrecondition:
                    changed += 1  # a turn came: it stays, in use again
                    continue
                deleted += 1
                turns += self._delete_turns(ref.collection(TURNS))
        return deleted, turns, changed

    def delete_orphan_turns(
        self, *, now: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> OrphanScan:
        query = self._db.collection_group(TURNS).where(filter=_filter("expires_at", "<=", now))
        if since is not None:
            query = query.where(filter=_filter("expires_at", ">=", since))
        query = query.order_by("expires_at").limit(limit)
        if cursor is not None:
            query = query.start_after(cursor)
        with storage_errors():
            snaps = list(query.stream(**bounded()))
            if not snaps:
                return OrphanScan(0, None, None)
            parents = {s.reference.parent.parent.path: s.reference.parent.parent for s in snaps}
            live = {
                p.reference.path
                for p in self._db.get_all(list(parents.values()), **bounded())
                if p.exists and (p.get("expires_at") is None or p.get("expires_at") > now)
            }
            # An old turn of a session still in use stays: it lives as long as its session.
            orphans = [s.reference for s in snaps if s.reference.parent.parent.path not in live]
            self._delete(orphans)
        more = snaps[-1] if len(snaps) == limit else None
        return OrphanScan(len(orphans), more, snaps[-1].get("expires_at"))

    def scan_start(self, scan: str) -> Any:  # a datetime; a document id for the account sweep
        return self._job_field(f"{scan}_from")

    def save_scan_start(self, scan: str, value: Any) -> None:
        self._save_job_field(f"{scan}_from", value)

    def pass_started(self, scan: str) -> datetime | None:
        return self._job_field(f"{scan}_pass_at")

    def save_pass_started(self, scan: str, at: datetime) -> None:
        self._save_job_field(f"{scan}_pass_at", at)

    def _job_field(self, name: str) -> Any:
        """A field of the job's state document (JOB_STATE), None when it has none."""
        with storage_errors():
            snap = self._db.document(JOB_STATE).get(**bounded())
        return (snap.to_dict() or {}).get(name) if snap.exists else None

    def _save_job_field(self, name: str, value: Any) -> None:
        with storage_errors():
            self._db.document(JOB_STATE).set({name: value}, merge=True, **bounded())

    def delete_expired(self, collection: str, *, now: datetime, limit: int) -> tuple[int, int]:
        query = (
            self._db.collection(collection)
            .where(filter=_filter("expires_at", "<=", now))
            .order_by("expires_at")
            .limit(limit)
        )
        # Only if unchanged since read: an erasure's mark on `activity/{uid}` (which removes its
        # expiry) or a retried turn taking its key over must not go with the expired document.
        with storage_errors():
            snaps = list(query.stream(**bounded()))
            deleted = self._write_unchanged([(s.reference, s.update_time, None) for s in snaps])
        return len(snaps), deleted

    def stamp_daily_until(self, *, now: datetime, limit: int) -> bool:
        from google.cloud.firestore import DELETE_FIELD
        from google.cloud.firestore_v1.field_path import FieldPath

        from common.profile.updater import daily_until, day_of, stale_days

        if (at := self.scan_start(DAILY_BACKFILL)) is True:
            return True
        query = self._db.collection(PREFERENCES).order_by("__name__").limit(limit)
        if at:
            after = self._db.collection(PREFERENCES).document(at)
            query = query.start_after({FieldPath.document_id(): after})
        with storage_errors():
            snaps = list(query.stream(**bounded()))
        writes = []
        for snap in snaps:
            doc = snap.to_dict() or {}
            days = [day for day in map(day_of, doc.get("daily") or {}) if day]
            if days and "daily_until" not in doc:
                newest = max(days)
                stamp: dict[str, Any] = {
                    f"daily.{day}": DELETE_FIELD for day in stale_days(doc["daily"], now)
                }
                stamp["daily_until"] = daily_until(newest)
                writes.append((snap.reference, snap.update_time, stamp))
        with storage_errors():
            self._write_unchanged(writes)  # one changed since: its event stamped it
        done = len(snaps) < limit
        self.save_scan_start(DAILY_BACKFILL, True if done else snaps[-1].id)
        return done

    def forget_stale_days(self, *, now: datetime, limit: int) -> tuple[int, int]:
        from google.cloud.firestore import DELETE_FIELD

        query = (
            self._db.collection(PREFERENCES)
            .where(filter=_filter("daily_until", "<=", now))
            .order_by("daily_until")
            .limit(limit)
        )
        forget = {"daily": DELETE_FIELD, "daily_until": DELETE_FIELD}
        with storage_errors():
            snaps = list(query.stream(**bounded()))
            # Only if unchanged since read: an event applied meanwhile wrote today's counts.
            forgot = self._write_unchanged([(s.reference, s.update_time, forget) for s in snaps])
        return len(snaps), forgot

    def inactive_sessions(
        self, *, before: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> tuple[list[SessionRef], Any]:
        return self._sessions_before("last_interaction_at", before, limit, cursor, since)

    def sessions_started_before(
        self, *, before: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> tuple[list[SessionRef], Any]:
        return self._sessions_before("created_at", before, limit, cursor, since)

    def _sessions_before(
        self, field: str, before: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> tuple[list[SessionRef], Any]:
        query = self._db.collection(SESSIONS).where(filter=_filter(field, "<", before))
        if since is not None:
            query = query.where(filter=_filter(field, ">=", since))
        query = query.order_by(field).limit(limit)
        if cursor is not None:
            query = query.start_after(cursor)
        with storage_errors():
            snaps = list(query.stream(**bounded()))
        sessions = [
            SessionRef(
                s.id,
                s.get("owner_uid") or "",
                s.get("last_interaction_at"),
                at=s.get(field),
                version=s.update_time,
            )
            for s in snaps
        ]
        return sessions, (snaps[-1] if len(snaps) == limit else None)

    def delete_turns_before(self, session_id: str, before: datetime) -> int:
        turns = self._db.collection(SESSIONS).document(session_id).collection(TURNS)
        with storage_errors():
            return self._delete_turns(turns.where(filter=_filter("created_at", "<", before)))

    def forget_before(self, session_id: str, before: datetime, *, grace: timedelta) -> bool:
        ref = self._db.collection(SESSIONS).document(session_id)
        with storage_errors():
            snap = ref.get(**bounded())
            if not snap.exists:
                return False
            state = decode_session({**snap.to_dict(), "session_id": snap.id})
            if not holds_before(state, before, summary_grace=grace):
                return False
            # The turns that left the window; those before `before` were deleted just now. Page
            # by page: a year of daily turns is more than one read's deadline streams.
            first = state.window[0].turn_index if state.window else state.turn_count
            query = (
                ref.collection(TURNS)
                .where(filter=_filter("turn_index", "<", first))
                .order_by("turn_index")
            )
            folded = [
                WindowTurn.from_dict(t.to_dict()) for page in pages(query, TURN_PAGE) for t in page
            ]
            doc = encode_session(forget_before(state, before, folded))
            # only as read: a turn committed meanwhile changed it (retried next lap)
            trimmed = {"context_window": doc["context_window"], "summary": doc["summary"]}
            return self._write_unchanged([(ref, snap.update_time, trimmed)]) == 1

    def profiles_updated_before(
        self, *, before: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> tuple[list[ProfileRef], Any]:
        # updated_at: the profile updater writes it with every event it applies (since the
        # first version), and nothing else writes a profile but the cleanup's own trims.
        query = self._db.collection(PREFERENCES).where(filter=_filter("updated_at", "<", before))
        if since is not None:
            query = query.where(filter=_filter("updated_at", ">=", since))
        query = query.order_by("updated_at").limit(limit)
        if cursor is not None:
            query = query.start_after(cursor)
        with storage_errors():  # the stamp alone: a profile's counts can be large
            snaps = list(query.select(["updated_at"]).stream(**bounded()))
        profiles = [ProfileRef(s.id, s.get("updated_at"), version=s.update_time) for s in snaps]
        return profiles, (snaps[-1] if len(snaps) == limit else None)

    def delete_profiles(self, profiles: list[ProfileRef]) -> int:
        """Only as read: an event the profile updater applied since (the user is back) keeps
        the profile. One it applies after the delete creates the document afresh, as a new
        user's first event does: every field is a count from zero (or a stamp) that the
        updater increments and the readers default, so it is the profile of that event alone,
        not half of the old one. The event markers (applied_events) stay to their TTL: they
        keep a redelivered event from being learned twice."""
        ref = self._db.collection(PREFERENCES).document
        with storage_errors():
            return self._write_unchanged([(ref(p.user_key), p.version, None) for p in profiles])

    def notices_enqueued_before(
        self, kind: str, *, before: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> tuple[list[NoticeRef], Any]:
        # A map's fields are indexed as any field is (no exemption names them).
        field = f"{NOTICES}.{kind}.enqueued_at"
        query = self._db.collection(USERS).where(filter=_filter(field, "<", before))
        if since is not None:
            query = query.where(filter=_filter(field, ">=", since))
        query = query.order_by(field).limit(limit)
        if cursor is not None:
            query = query.start_after(cursor)
        with storage_errors():
            snaps = list(query.select(["settings", NOTICES]).stream(**bounded()))
        notices = [
            NoticeRef(
                s.id,
                kind,
                s.get(field),
                settings_of(s.to_dict()).retention_days,
                version=s.update_time,
            )
            for s in snaps
        ]
        return notices, (snaps[-1] if len(snaps) == limit else None)

    def delete_notices(self, notices: list[NoticeRef]) -> int:
        from google.cloud.firestore import DELETE_FIELD

        ref = self._db.collection(USERS).document
        # Only as read: a producer's run may have enqueued a newer one meanwhile.
        gone = [(ref(n.uid), n.version, {f"{NOTICES}.{n.kind}": DELETE_FIELD}) for n in notices]
        with storage_errors():
            return self._write_unchanged(gone)

    def retention_of(self, uids: set[str]) -> dict[str, int]:
        uids.discard("")
        if not uids:
            return {}
        refs = [self._db.collection(USERS).document(uid) for uid in sorted(uids)]
        out: dict[str, int] = {}
        with storage_errors():
            for snap in self._db.get_all(refs, **bounded()):
                days = ((snap.to_dict() or {}).get("settings") or {}).get("retention_days")
                if snap.exists and isinstance(days, int):
                    out[snap.id] = days
        return out

    def user_keys_by_retention(
        self, *, in_time: Callable[[], bool] = lambda: True
    ) -> dict[int, list[str]]:
        query = self._db.collection(USERS).where(
            filter=_filter(
                "settings.retention_days",
                "in",
                [d for d in (30, 90, 365) if d != DEFAULT_RETENTION_DAYS],
            )
        )
        hmac_key = get_settings().analytics_hmac_key()
        out: dict[int, list[str]] = {}
        with storage_errors():
            for page in pages(query.order_by("__name__"), USER_PAGE):
                for snap in page:
                    doc = snap.to_dict() or {}
                    # The key of the rows written now, and the one stored at the user's first
                    # settings change: they differ after a key rotation, and both name rows
                    # kept for this user's choice.
                    current = user_key(snap.id, hmac_key)
                    older = older_user_key(doc, current)
                    keys = [current, older] if older else [current]
                    out.setdefault(doc["settings"]["retention_days"], []).extend(keys)
                if len(page) == USER_PAGE and not in_time():
                    # Read from its first page again each run, a list this long may never
                    # fit: no row is deleted for its age until an operator acts.
                    log.error(
                        "the users' retention choices outgrew the cleanup run's time "
                        "(%d read); analytics retention needs an operator",
                        sum(len(keys) for keys in out.values()),
                        extra={logs.NEEDS_OPERATOR: True},
                    )
                    raise Unavailable("out of time reading users' retention choices")
        return out

    def pending_erasures(self, *, limit: int) -> list[PendingErasure]:
        query = (
            self._db.collection(ERASURES)
            .where(filter=_filter("analytics", "==", PENDING))
            .order_by("requested_at")
            .limit(limit)
        )
        with storage_errors():
            return [
                # documents_gone_at is written only with firestore: done (erase_user).
                PendingErasure(
                    s.id,
                    s.get("requested_at"),
                    s.update_time,
                    record.get(DOCUMENTS_GONE_AT),
                    record.get(ANALYTICS_LAST_RUN_AT),
                )
                for s in query.stream(**bounded())
                for record in [s.to_dict() or {}]
            ]

    def unfinished_erasures(self, *, limit: int) -> list[UnfinishedErasure]:
        """An equality alone, so no composite index: few are in progress at any time (requests
        erasing now, and any cut off), and the service judges their age. Those set aside as
        NEEDS_OPERATOR are not in progress any more."""
        query = (
            self._db.collection(ERASURES)
            .where(filter=_filter("firestore", "==", IN_PROGRESS))
            .limit(limit)
        )
        with storage_errors():
            snaps = list(query.stream(**bounded()))
        return [
            UnfinishedErasure(s.id, (s.to_dict() or {}).get("uid"), s.get("requested_at"))
            for s in snaps
        ]

    def finish_erasure(
        self,
        *,
        uid: str,
        user_key: str,
        requested_at: datetime | None,
        now: datetime,
        in_time: Callable[[], bool],
    ) -> bool:
        # requested_at None is the account sweep's new erasure; else the run resumes one cut
        # off, whoever asked for it (its record says).
        requested_by = BY_ACCOUNT_SWEEP if requested_at is None else None
        try:
            erase_user(
                self._db,
                uid=uid,
                ukey=user_key,
                now=now,
                requested_by=requested_by,
                in_time=in_time,
                resuming=requested_at,
            )
        except ErasureSuperseded:
            return False
        return True

    def hold_for_operator(self, user_keys: list[str], *, now: datetime) -> None:
        """Each only while still in progress without a uid as read now: a DELETE /v2/profile
        that began it again since (with the uid) is left alone."""
        from google.api_core import exceptions

        refs = [self._db.collection(ERASURES).document(key) for key in user_keys]
        with storage_errors():
            for snap in self._db.get_all(refs, **bounded()):
                doc = snap.to_dict() or {}
                if doc.get("firestore") != IN_PROGRESS or doc.get("uid"):
                    continue
                unchanged = self._db.write_option(last_update_time=snap.update_time)
                update = {"firestore": NEEDS_OPERATOR, "needs_operator_at": now}
                try:
                    snap.reference.update(update, option=unchanged, **bounded())
                except (exceptions.FailedPrecondition, exceptions.NotFound):
                    continue  # written meanwhile: judged again by the next run

    def record_erasures(self, erasures: list[PendingErasure], *, now: datetime, done: bool) -> int:
        update: dict[str, Any] = {ANALYTICS_LAST_RUN_AT: now}
        if done:
            update |= {"analytics": DONE, ANALYTICS_COMPLETED_AT: now}
        ref = self._db.collection(ERASURES).document
        with storage_errors():
            return self._write_unchanged([(ref(e.user_key), e.version, update) for e in erasures])

    # The account sweep (common.account_sweep): the uids the backend keeps documents under.
    def uids_after(
        self, collection: str, after: str | None, *, limit: int
    ) -> tuple[list[str], str | None]:
        """`users` and `activity` by document id (the uid; the cursor is the last id), `devices`
        as a collection group by path (the owner is the parent's parent; the cursor is the
        last path: the document need not exist any more)."""
        from google.cloud.firestore_v1.field_path import FieldPath

        if collection == DEVICES:
            uids, last = device_owners(self._db, limit=limit, cursor=after)
            return list(dict.fromkeys(uids)), last
        source, by_id = self._db.collection(collection), FieldPath.document_id()
        query = source.order_by(by_id)
        if after is not None:
            query = query.where(filter=_filter(by_id, ">", source.document(after)))
        with storage_errors():
            query = query.select([ERASING, ERASURE_DONE]).limit(limit)
            snaps = list(query.stream(**bounded()))
        uids = [s.id for s in snaps if erased_at(s.to_dict()) is None]
        return uids, snaps[-1].id if len(snaps) == limit else None

    def save_held(self, uids: list[str]) -> None:
        self._save_job_field("account_sweep_held", uids)

    def sweep_cursor(self, collection: str) -> str | None:
        return self.scan_start(f"account_sweep_{collection}")

    def save_sweep_cursor(self, collection: str, after: str | None) -> None:
        self.save_scan_start(f"account_sweep_{collection}", after)

    def sweep_pass_started(self, collection: str) -> datetime | None:
        return self.pass_started(f"account_sweep_{collection}")

    def save_sweep_pass_started(self, collection: str, at: datetime) -> None:
        self.save_pass_started(f"account_sweep_{collection}", at)
