"""Session cleanup (Cloud Scheduler): what expired, what is past its owner's retention (sessions,
turns, learned profiles, the producers' notices), the analytics half of erasures, and erasures a
request began and could not finish. Keyword-only services over two ports; every phase works in
bounded batches and re-queries what is left, so a run that stops half-way (at its batch bound or
its time budget) is finished by the next one and a second run over the same data deletes nothing
more."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypedDict

from common.errors import ErasureInProgress, Unavailable
from common.full_pass import FULL_PASS_HOURS, full_pass_due
from common.logs import NEEDS_OPERATOR
from common.notifications.models import SCHEDULED
from common.profile.erasure import ERASURE_RESUME_AFTER  # unfinished this long: cut off
from common.profile.models import ProfileSettings

log = logging.getLogger(__name__)

RETENTION_CHOICES = (30, 90, 365)
DEFAULT_RETENTION_DAYS: int = ProfileSettings.model_fields["retention_days"].default
# Events of an erased user may still be in flight (Pub/Sub retries, the sink's redeliveries) for
# a while after the erasure: rows are deleted on every run until this long after the request,
# and only then is the erasure marked done.
ERASURE_SETTLE = timedelta(hours=24)
# BigQuery keeps streamed rows in its streaming buffer, which DML may not touch, for up to about
# 90 minutes (usually a few). An erasure whose rows run up to within this of now (its user's
# documents went since, or are still going: PendingErasure.rows_until) may have rows there.
STREAMING_BUFFER = timedelta(minutes=90)
# An analytics erasure still not done this long after it was asked for is stuck, whatever the
# reason BigQuery gives each run: an operator is told (settling alone takes ERASURE_SETTLE).
ERASURE_OVERDUE = timedelta(hours=72)
# Collections whose documents expire on their own `expires_at` (TTL in production, best effort).
EXPIRING_COLLECTIONS = ("turn_keys", "feedback", "activity")
# The scans that go on where the last run stopped (CleanupStore.scan_start).
ORPHAN_SCAN = "orphan_scan"
RETENTION_SESSIONS_SCAN = "retention_sessions"
RETENTION_TURNS_SCAN = "retention_turns"
RETENTION_PROFILES_SCAN = "retention_profiles"
RETENTION_NOTICES_SCAN = "retention_notices"  # one scan a kind: retention_notices_{kind}
# The Firestore phases run again, in turn, while a timed run has time and one of them has work
# left after its batches: a phase's bound keeps one backlog from starving the others within a
# lap, not the whole run. Laps go on while they delete something and the budget lasts: it is
# the time a batch takes that sets the ceiling (docs/CAPACITY.md, the cleanup job). MAX_LAPS
# bounds only laps in a row that deleted nothing: a phase that cannot shrink its backlog
# (documents changed under every batch) stops there, not at the budget.
MAX_LAPS = 20
# The analytics phase (BigQuery DML, up to ~170 s a statement with its retries: bigquery_calls)
# runs first: it begins statements only within this much of a timed run, and whatever it takes
# past that is given back to the Firestore phases, up to as much again, so that slow statements
# cannot eat the expiry's time (docs/CAPACITY.md, the cleanup job) and the run still ends well
# inside the function's timeout.
ANALYTICS_SECONDS = 120.0


@dataclass(frozen=True)
class SessionRef:
    session_id: str
    owner_uid: str
    last_interaction_at: datetime
    at: datetime | None = None  # the value of the field the scan that found it is ordered by
    version: Any = None  # the session as read (the adapter's token): deleted only if unchanged


@dataclass(frozen=True)
class ProfileRef:
    """A learned profile (preferences/{user_key}) as the retention scan read it."""

    user_key: str
    updated_at: datetime  # the profile updater's last write
    version: Any = None  # the document as read (the adapter's token): deleted only if unchanged


@dataclass(frozen=True)
class NoticeRef:
    """A producer's notice (users/{uid}.notices.{kind}) as the retention scan read it."""

    uid: str
    kind: str
    enqueued_at: datetime
    retention_days: int  # the owner's, from the same read
    version: Any = None  # the user document as read (the adapter's token): deleted if unchanged


@dataclass(frozen=True)
class OrphanScan:
    deleted: int
    cursor: Any  # where this run's scan goes on; None once it reached turns not yet expired
    reached: datetime | None  # expires_at of the last turn scanned


@dataclass(frozen=True)
class PendingErasure:
    user_key: str
    requested_at: datetime
    version: Any = None  # the record as read (the adapter's token): recorded only if unchanged
    firestore_done_at: datetime | None = None  # when the user's documents were all gone
    # (erasures/{user_key}.documents_gone_at, by the server's clock)
    last_run_at: datetime | None = None  # this run's statement last deleted its rows (None: never)

    def rows_until(self, now: datetime) -> datetime:
        """The newest analytics rows to erase: everything up to when the user's documents were
        gone (a rating that got in while they went is of the old account); after that the key's
        rows are a returning user's. While that part runs, everything so far."""
        return self.firestore_done_at or now


@dataclass(frozen=True)
class UnfinishedErasure:
    """An erasure whose Firestore part has not finished: still running, or cut off."""

    user_key: str
    uid: str | None  # None if recorded before erasures kept it: it cannot be finished here
    requested_at: datetime


class CleanupStore(Protocol):
    def delete_expired_sessions(self, *, now: datetime, limit: int) -> tuple[int, int]:
        """Delete up to `limit` sessions whose expires_at has passed, with all their turns:
        (sessions, turns) deleted."""

    def delete_orphan_turns(
        self, *, now: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> OrphanScan:
        """Turns past their own expires_at (and at or after `since`) whose session is gone or
        expired: production TTL deletes a session but never its subcollection."""

    def scan_start(self, scan: str) -> datetime | None:
        """Where a scan goes on, as its ordering field's value (None: from the oldest)."""

    def save_scan_start(self, scan: str, value: datetime | None) -> None: ...

    def pass_started(self, scan: str) -> datetime | None:
        """When the scan last started over from the oldest (None: never recorded)."""

    def save_pass_started(self, scan: str, at: datetime) -> None: ...

    def delete_expired(self, collection: str, *, now: datetime, limit: int) -> tuple[int, int]:
        """Up to `limit` documents past their expires_at: (read, deleted). One changed since it
        was read stays (e.g. an erasure's mark on an activity record)."""

    def forget_stale_days(self, *, now: datetime, limit: int) -> tuple[int, int]:
        """Up to `limit` learned profiles whose per-day counters are all past DAILY_DAYS_KEPT
        (no event since to trim them): the counters dropped, the rest kept. (read, dropped)"""

    def stamp_daily_until(self, *, now: datetime, limit: int) -> bool:
        """The next `limit` learned profiles of a one-time pass over those written before the
        profile updater stamped when their counters go stale: stamped (and their days past
        DAILY_DAYS_KEPT dropped), so that forget_stale_days finds them. True once the pass is
        over."""

    def inactive_sessions(
        self, *, before: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> tuple[list[SessionRef], Any]:
        """Sessions whose last turn is before `before` (and at or after `since`), oldest first,
        with `at` their last_interaction_at; and the cursor of the next page (None at the end)."""

    def delete_sessions(self, due: list[tuple[SessionRef, datetime]]) -> tuple[int, int, int]:
        """Delete each session past its owner's retention `cutoff` with its turns, only if it
        is still as read: one a turn changed since (a long SESSION_TTL_HOURS keeps it open)
        stays, with that turn, and only its turns from before the cutoff go. (sessions deleted,
        turns deleted, sessions changed since read)"""

    def sessions_started_before(
        self, *, before: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> tuple[list[SessionRef], Any]:
        """The same by created_at."""

    def delete_turns_before(self, session_id: str, before: datetime) -> int:
        """Delete the session's turns created before `before`; how many."""

    def profiles_updated_before(
        self, *, before: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> tuple[list[ProfileRef], Any]:
        """Learned profiles last updated before `before` (and at or after `since`), oldest
        first; and the cursor of the next page (None at the end)."""

    def delete_profiles(self, profiles: list[ProfileRef]) -> int:
        """Delete each learned profile only if still as read (an event applied since keeps it);
        how many went."""

    def notices_enqueued_before(
        self, kind: str, *, before: datetime, limit: int, cursor: Any, since: datetime | None
    ) -> tuple[list[NoticeRef], Any]:
        """Users' notices of `kind` enqueued before `before` (and at or after `since`), oldest
        first; and the cursor of the next page (None at the end)."""

    def delete_notices(self, notices: list[NoticeRef]) -> int:
        """Delete each notice only if its user document is still as read (a producer may have
        enqueued a new one since); how many went."""

    def forget_before(self, session_id: str, before: datetime, *, grace: timedelta) -> bool:
        """Rewrite the session document without what was said before `before` (its window and
        summary: common.sessions.state.forget_before), unless it holds nothing that old (in its
        summary: nothing from before `before - grace`) or a turn changed it meanwhile (the scan
        meets it again on its next lap); whether it was rewritten."""

    def retention_of(self, uids: set[str]) -> dict[str, int]:
        """retention_days of each uid that has chosen one (others have the default)."""

    def user_keys_by_retention(
        self, *, in_time: Callable[[], bool] = lambda: True
    ) -> dict[int, list[str]]:
        """The user_keys of every user whose retention is not the default, by retention_days:
        under the current analytics key, and the one stored with their settings if another
        (their rows from before a key rotation). Unavailable when out of time half-way."""

    def pending_erasures(self, *, limit: int) -> list[PendingErasure]: ...

    def unfinished_erasures(self, *, limit: int) -> list[UnfinishedErasure]: ...

    def finish_erasure(
        self,
        *,
        uid: str,
        user_key: str,
        requested_at: datetime | None,
        now: datetime,
        in_time: Callable[[], bool],
    ) -> bool:
        """Erase the user's documents again: what a cut-off erasure left. Raises Unavailable
        when Firestore fails or times out, or when `in_time()` says no after a batch; the
        erasure stays unfinished. `requested_at`: the erasure as unfinished_erasures listed
        it, which is left alone (False, nothing written) once its record says otherwise: a
        DELETE /v2/profile sent again since finished it or began it again. None (the account
        sweep's, for a deleted account): whatever the record says."""

    def hold_for_operator(self, user_keys: list[str], *, now: datetime) -> None:
        """Take these unfinished erasures (without a uid) out of unfinished_erasures for good:
        only an operator who knows the uid can finish them."""

    def record_erasures(self, erasures: list[PendingErasure], *, now: datetime, done: bool) -> int:
        """Note this run on the erasures (`done` completes their analytics part), on each
        record still as read: one changed meanwhile (a new erasure of a returning user, its
        Firestore part done) is judged by the next run. How many were noted."""


class AnalyticsTableMissing(Exception):
    """The events table does not exist (yet): there are no rows to delete."""


class AnalyticsUnavailable(Exception):
    """BigQuery refused or failed the statement now (e.g. rows still in the streaming buffer)."""


class AnalyticsRefused(AnalyticsUnavailable):
    """Refused for want of permission (a grant removed, the table recreated without it): every
    run will meet it again until an operator acts."""


class AnalyticsRowsBuffered(AnalyticsUnavailable):
    """Refused because it would touch rows still in BigQuery's streaming buffer (streamed in the
    last minutes): rows of these users, not BigQuery itself, are the obstacle."""


class AnalyticsEraser(Protocol):
    def delete_user_rows(self, erasures: dict[str, datetime]) -> int:
        """Delete the rows of these users up to a time each (user key -> the newest row's
        time to erase, PendingErasure.rows_until); the number of rows deleted."""

    def delete_past_retention(
        self,
        *,
        now: datetime,
        keys_by_retention: dict[int, list[str]],
        default_days: int,
        in_time: Callable[[], bool] = lambda: True,
    ) -> int:
        """Delete rows older than their user's retention; the number of rows deleted.
        AnalyticsUnavailable when out of time before the statement."""


@dataclass
class CleanupReport:
    erasures_finished: int = 0  # cut off half-way by their request, finished by this run
    sessions_deleted: int = 0
    turns_deleted: int = 0
    orphan_turns_deleted: int = 0
    expired_deleted: dict[str, int] = field(default_factory=dict)
    retention_sessions_deleted: int = 0
    retention_turns_deleted: int = 0
    retention_sessions_trimmed: int = 0  # their window and summary, in sessions still in use
    retention_sessions_changed: int = 0  # past retention, but a turn came since read: kept
    # learned profiles (preferences/{user_key}) not updated for longer than their owner's retention
    retention_profiles_deleted: int = 0
    # producers' notices (users/{uid}.notices.{kind}) older than their owner's retention: fields
    # of the user document, not documents
    retention_notices_deleted: int = 0
    daily_counters_dropped: int = 0  # learned profiles of users who stopped 8 days ago
    analytics: dict[str, Any] = field(default_factory=dict)
    # False when a phase stopped at its batch bound or the time budget with work left, or an
    # erasure failed: the next run goes on.
    complete: bool = True
    laps: int = 1  # passes over the Firestore phases (MAX_LAPS)
    # Phases Firestore failed (a timeout, an outage): the later phases still ran.
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def deleted(self) -> int:
        """Firestore documents deleted in this run."""
        return (
            self.sessions_deleted
            + self.turns_deleted
            + self.orphan_turns_deleted
            + sum(self.expired_deleted.values())
            + self.retention_sessions_deleted
            + self.retention_turns_deleted
            + self.retention_profiles_deleted
        )


def run_cleanup(
    *,
    store: CleanupStore,
    analytics: AnalyticsEraser,
    now: datetime,
    batch_size: int = 200,
    max_batches: int = 25,
    budget_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    full_pass_every: timedelta = timedelta(hours=FULL_PASS_HOURS),
    erasure_batch_every: timedelta = timedelta(0),
) -> CleanupReport:
    """One scheduled run: erasures first (those a request could not finish, then analytics:
    erasures, then retention, within ANALYTICS_SECONDS), so that a user's erasure never waits
    behind a backlog; then expiry and retention in Firestore, `max_batches` per phase a lap, in
    laps while `budget_seconds` (kept well inside the function's timeout, so the run reports)
    lasts. Without a budget, one lap. `erasure_batch_every`: how long pending erasures wait to
    go in one analytics statement (ERASURE_ANALYTICS_BATCH_HOURS; none by default)."""
    report = CleanupReport()
    deadline = None if budget_seconds is None else clock() + budget_seconds
    running, left_over = [""], set()  # the phase running; those that ran out of batches
    chosen: dict[int, list[str]] | None = None  # the users' retention choices, read once a run

    def keys_by_retention(until: Callable[[], bool]) -> dict[int, list[str]]:
        """The user keys of users who chose another retention than the default: analytics
        retention and the learned profiles' both need them, and one read of them a run will do."""
        nonlocal chosen
        if chosen is None:
            chosen = store.user_keys_by_retention(in_time=until)
        return chosen

    def in_time() -> bool:
        return deadline is None or clock() < deadline

    def rounds() -> Iterator[int]:
        """A phase's batches: it returns when its work is done; running out of batches leaves
        the rest to the next lap (or run), running out of time to the next run."""
        for n in range(max_batches):
            if not in_time():
                report.complete = False
                return
            yield n
        left_over.add(running[0])

    def phase(name: str, run: Callable[[], Any]) -> None:
        """One phase; a Firestore failure in it is reported and the others still run (each
        deletes something else: one stuck phase must not stop retention for everybody)."""
        running[0] = name
        left_over.discard(name)
        try:
            run()
        except Unavailable as e:
            log.warning("cleanup phase %s failed, left to the next run: %s", name, e)
            report.failed.append(name)
            report.complete = False
        except Exception:  # reported, and the other phases still run
            # Refused, not unreachable: a missing index in production (the emulator needs none),
            # a permission. The next run meets it again: an operator must act.
            log.exception(
                "cleanup phase %s failed and needs an operator", name, extra={NEEDS_OPERATOR: True}
            )
            report.failed.append(name)
            report.complete = False

    def analytics_phase() -> None:
        nonlocal deadline
        until = None if deadline is None else min(clock() + ANALYTICS_SECONDS, deadline)
        report.analytics = _analytics(
            store,
            analytics,
            lambda: until is None or clock() < until,
            now=now,
            batch_size=batch_size,
            batch_every=erasure_batch_every,
            keys_by_retention=keys_by_retention,
        )
        if until is None or deadline is None:  # both None or neither
            return
        if report.analytics["status"] == "deferred" and clock() >= until:
            report.complete = False  # out of its time with work left, as a phase's rounds()
        # What the statements took past their share is the Firestore phases' again (up to a
        # share more): ANALYTICS_SECONDS.
        deadline += min(max(clock() - until, 0.0), ANALYTICS_SECONDS)

    def stale_counters() -> None:
        for _ in rounds():
            if store.stamp_daily_until(now=now, limit=batch_size):
                break
        for _ in rounds():
            read, dropped = store.forget_stale_days(now=now, limit=batch_size)
            report.daily_counters_dropped += dropped
            if read < batch_size:
                break

    def expiring() -> None:
        for collection in EXPIRING_COLLECTIONS:
            report.expired_deleted.setdefault(collection, 0)
            for _ in rounds():
                read, deleted = store.delete_expired(collection, now=now, limit=batch_size)
                report.expired_deleted[collection] += deleted
                if read < batch_size:
                    break

    kw: _Batches = {"now": now, "batch_size": batch_size}
    phase("unfinished_erasures", lambda: _unfinished_erasures(store, report, rounds, in_time, **kw))
    phase("analytics", analytics_phase)
    lapped: dict[str, Callable[[], Any]] = {
        "expired_sessions": lambda: _expired_sessions(store, report, rounds, **kw),
        "orphan_turns": lambda: _orphan_turns(
            store, report, rounds, full_pass_every=full_pass_every, **kw
        ),
        "expired_documents": expiring,
        "stale_daily_counters": stale_counters,
        "retention_sessions": lambda: _retention_sessions(store, report, rounds, **kw),
        "retention_turns": lambda: _retention_turns(
            store, report, rounds, full_pass_every=full_pass_every, **kw
        ),
        "retention_profiles": lambda: _retention_profiles(
            store,
            report,
            rounds,
            retention=lambda: keys_by_retention(in_time),
            full_pass_every=full_pass_every,
            **kw,
        ),
        "retention_notices": lambda: _retention_notices(
            store, report, rounds, full_pass_every=full_pass_every, **kw
        ),
    }
    for name, run in lapped.items():
        phase(name, run)

    def done() -> int:
        trimmed = report.retention_sessions_trimmed + report.retention_notices_deleted
        return report.deleted + report.daily_counters_dropped + trimmed

    # A lap that got something done is followed by another while time lasts: after an outage the
    # backlog is drained as fast as the budget allows (a fixed count of laps held load C's to
    # ~100,000 sessions a run). MAX_LAPS bounds only laps in a row that changed nothing.
    idle = 0
    while deadline is not None and in_time() and idle < MAX_LAPS and left_over & {*lapped}:
        report.laps += 1
        before = done()
        for name, run in lapped.items():
            if name in left_over and in_time():
                phase(name, run)
        idle = 0 if done() > before else idle + 1
    if left_over:
        report.complete = False
    # An incomplete run leaves work to the next one; run after run incomplete is a backlog
    # outgrowing the job (docs/CAPACITY.md, the cleanup job): WARNING, for an alert to count.
    level = logging.INFO if report.complete else logging.WARNING
    log.log(level, "session cleanup", extra={"report": report.as_dict(), "deleted": report.deleted})
    return report


Rounds = Callable[[], Iterator[int]]


class _Batches(TypedDict):
    """What every Firestore phase is given, as **kw."""

    now: datetime
    batch_size: int


def _unfinished_erasures(
    store: CleanupStore,
    report: CleanupReport,
    rounds: Rounds,
    in_time: Callable[[], bool],
    *,
    now: datetime,
    batch_size: int,
) -> None:
    """Erasures cut off half-way (a crash, the function's timeout), one user per round, once
    the request that began them is surely over; a heavy user's stops at the run's budget."""
    unfinished = store.unfinished_erasures(limit=batch_size)
    due = [e for e in unfinished if e.requested_at <= now - ERASURE_RESUME_AFTER]
    if unknown := [e.user_key for e in due if e.uid is None]:
        # Set aside once: left in the query they would fill its limit and hide real erasures.
        # Said once too, so at ERROR with needs_operator: the operator alert's only chance.
        store.hold_for_operator(unknown, now=now)
        log.error(
            "%d unfinished erasures without a uid set aside for an operator",
            len(unknown),
            extra={NEEDS_OPERATOR: True},
        )
    left = iter((e, e.uid) for e in due if e.uid is not None)
    for _ in rounds():
        erasure, uid = next(left, (None, None))
        if erasure is None or uid is None:
            return
        try:
            finished = store.finish_erasure(
                uid=uid,
                user_key=erasure.user_key,
                requested_at=erasure.requested_at,
                now=now,
                in_time=in_time,
            )
        except ErasureInProgress:
            continue  # a DELETE /v2/profile sent since it was listed is finishing it
        except Unavailable as e:
            # It stays unfinished for the next run; one that keeps failing (a heavy user) must
            # not stop the other erasures or the rest of the job.
            log.warning("unfinished erasure left to the next run: %s", e)
            report.complete = False
            continue
        # False: a DELETE /v2/profile sent since it was listed finished it or began it again,
        # which is neither this run's work nor a failure.
        if finished:
            report.erasures_finished += 1


def _expired_sessions(
    store: CleanupStore, report: CleanupReport, rounds: Rounds, *, now: datetime, batch_size: int
) -> None:
    for _ in rounds():
        sessions, turns = store.delete_expired_sessions(now=now, limit=batch_size)
        report.sessions_deleted += sessions
        report.turns_deleted += turns
        if sessions < batch_size:
            return


def _orphan_turns(
    store: CleanupStore,
    report: CleanupReport,
    rounds: Rounds,
    *,
    now: datetime,
    batch_size: int,
    full_pass_every: timedelta,
) -> None:
    """Old turns of sessions still in use match the query too and are skipped. Each run goes on
    where the last one stopped, and a finished pass starts over from the oldest only once
    `full_pass_every` (a day) has passed since the last did: otherwise every hourly run re-read
    each live conversation's old turns (common.full_pass). A turn whose session ends after the
    scan passed it is found by the next full pass."""

    def step(**where: Any) -> tuple[Any, datetime | None]:
        scan = store.delete_orphan_turns(now=now, limit=batch_size, **where)
        report.orphan_turns_deleted += scan.deleted
        return scan.cursor, scan.reached

    _resumable_scan(
        store,
        rounds,
        ORPHAN_SCAN,
        step,
        start_over=_full_pass(store, ORPHAN_SCAN, now, full_pass_every),
    )


def _full_pass(
    store: CleanupStore, scan: str, now: datetime, every: timedelta
) -> Callable[[], bool]:
    """A scan's `start_over`: at most once every `every` (common.full_pass), noted as begun."""

    def start_over() -> bool:
        if not full_pass_due(store.pass_started(scan), now=now, every=every):
            return False
        store.save_pass_started(scan, now)
        return True

    return start_over


def _resumable_scan(
    store: CleanupStore,
    rounds: Rounds,
    scan: str,
    step: Callable[..., tuple[Any, datetime | None]],
    *,
    start_over: Callable[[], bool] = lambda: True,
) -> None:
    """A scan in the order of one field that goes on where the last run stopped (`step` does
    one batch from `since` and `cursor`: the next cursor, None at the end, and the field's value
    it reached): started over from the oldest each run, a run's bound (25 batches of 200) would
    never reach what lies after the first 5,000. A lap's end starts the next one from the
    oldest, so what was passed over once (not yet due) is looked at again, unless `start_over`
    says not yet: the scan then stays where it reached."""
    since, cursor, reached = store.scan_start(scan), None, None
    for _ in rounds():
        cursor, last = step(since=since, cursor=cursor)
        reached = last or reached
        if cursor is None:
            store.save_scan_start(scan, None if start_over() else reached or since)
            return
    if reached is not None:  # out of batches or time; none at all: keep the saved place
        store.save_scan_start(scan, reached)


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    return now - timedelta(days=retention_days)


def _owner_cutoffs(
    store: CleanupStore, sessions: list[SessionRef], now: datetime
) -> list[tuple[SessionRef, datetime]]:
    """Each session with its owner's retention cutoff (the default for owners who chose none)."""
    retention = store.retention_of({s.owner_uid for s in sessions})
    return [
        (s, retention_cutoff(now, retention.get(s.owner_uid, DEFAULT_RETENTION_DAYS)))
        for s in sessions
    ]


def _retention_sessions(
    store: CleanupStore, report: CleanupReport, rounds: Rounds, *, now: datetime, batch_size: int
) -> None:
    """Sessions whose last turn is older than the owner's retention, even if not yet expired
    (a long SESSION_TTL_HOURS). Only sessions older than the shortest choice are looked at."""
    before = retention_cutoff(now, min(RETENTION_CHOICES))

    def step(**where: Any) -> tuple[Any, datetime | None]:
        sessions, cursor = store.inactive_sessions(before=before, limit=batch_size, **where)
        due = [
            (s, cutoff)
            for s, cutoff in _owner_cutoffs(store, sessions, now)
            if s.last_interaction_at < cutoff
        ]
        if due:
            deleted_sessions, deleted_turns, changed = store.delete_sessions(due)
            report.retention_sessions_deleted += deleted_sessions
            report.retention_turns_deleted += deleted_turns
            # In use again: the turn phase below trims what is past retention in it.
            report.retention_sessions_changed += changed
        return cursor, (sessions[-1].at if sessions else None)

    _resumable_scan(store, rounds, RETENTION_SESSIONS_SCAN, step)


def _retention_turns(
    store: CleanupStore,
    report: CleanupReport,
    rounds: Rounds,
    *,
    now: datetime,
    batch_size: int,
    full_pass_every: timedelta,
) -> None:
    """Turns older than the owner's retention in sessions still in use (a user who comes back
    to one conversation every day): only sessions started before the shortest choice can hold
    them, and those are few. Their turns go on the run after they come due; the session's
    summary of older turns is folded again, which reads every turn that left the window, only
    once it holds words `full_pass_every` (a day) past the cutoff: otherwise a conversation in
    daily use would be read whole on every hourly run, as a turn passes the cutoff each hour."""
    before = retention_cutoff(now, min(RETENTION_CHOICES))

    def step(**where: Any) -> tuple[Any, datetime | None]:
        sessions, cursor = store.sessions_started_before(before=before, limit=batch_size, **where)
        for s, cutoff in _owner_cutoffs(store, sessions, now):
            # Whole session past retention: the phase above. Started after the cutoff (`at`:
            # created_at; a default-90-day user's session of 31-89 days): nothing in it is due.
            if s.last_interaction_at >= cutoff and (s.at is None or s.at < cutoff):
                try:
                    deleted = store.delete_turns_before(s.session_id, cutoff)
                    report.retention_turns_deleted += deleted
                    # The session document repeats older turns: in its window, and in the
                    # summary of those that left it (what the user tried, in their words).
                    report.retention_sessions_trimmed += store.forget_before(
                        s.session_id, cutoff, grace=full_pass_every
                    )
                except Unavailable as e:
                    # One long conversation that failed must not stop the scan for everybody
                    # behind it: it is met again on the scan's next lap.
                    log.warning("retention of one session left to the next lap: %s", e)
                    report.complete = False
                except Exception:  # a session document this version cannot read
                    log.exception(
                        "retention of session %s failed and needs an operator",
                        s.session_id,
                        extra={NEEDS_OPERATOR: True},
                    )
                    report.complete = False
        return cursor, (sessions[-1].at if sessions else None)

    _resumable_scan(store, rounds, RETENTION_TURNS_SCAN, step)


def _retention_profiles(
    store: CleanupStore,
    report: CleanupReport,
    rounds: Rounds,
    *,
    now: datetime,
    batch_size: int,
    retention: Callable[[], dict[int, list[str]]],
    full_pass_every: timedelta,
) -> None:
    """Learned profiles (preferences/{user_key}) the profile updater has not written for
    longer than their owner's retention: a user who wrote once and never came back kept theirs
    for good. The profile knows its owner only by user key, so the owners' choices come as
    user keys (CleanupStore.user_keys_by_retention, which analytics retention reads too); a
    key that chose none has the default. Only profiles older than the shortest choice are
    looked at, and those passed over (not yet due) again once a full pass is due, as the orphan
    scan does: they are many (every user who left in the last year), so a profile goes within
    about CLEANUP_FULL_PASS_HOURS of its due time."""
    before = retention_cutoff(now, min(RETENTION_CHOICES))

    @functools.cache  # once a run, not once a batch: the owners' choices do not change in it
    def days_by_key() -> dict[str, int]:
        return {key: d for d, keys in retention().items() for key in keys}

    def step(**where: Any) -> tuple[Any, datetime | None]:
        profiles, cursor = store.profiles_updated_before(before=before, limit=batch_size, **where)
        days = days_by_key() if profiles else {}
        due = [
            p
            for p in profiles
            if p.updated_at < retention_cutoff(now, days.get(p.user_key, DEFAULT_RETENTION_DAYS))
        ]
        if due:
            report.retention_profiles_deleted += store.delete_profiles(due)
        return cursor, (profiles[-1].updated_at if profiles else None)

    start_over = _full_pass(store, RETENTION_PROFILES_SCAN, now, full_pass_every)
    _resumable_scan(store, rounds, RETENTION_PROFILES_SCAN, step, start_over=start_over)


def _retention_notices(
    store: CleanupStore,
    report: CleanupReport,
    rounds: Rounds,
    *,
    now: datetime,
    batch_size: int,
    full_pass_every: timedelta,
) -> None:
    """The producers' notices (users/{uid}.notices.{kind}: when the last weekly insight or nudge
    was enqueued for the user) older than their owner's retention: nothing else deleted them.
    The longest nudge cool-down is the shortest retention (Settings), so a notice still counted
    from is never one that goes. Each kind is a scan of its own, as the profile scan: only
    notices older than the shortest choice, those passed over read again once a full pass is
    due."""
    before = retention_cutoff(now, min(RETENTION_CHOICES))

    def scan(kind: str) -> None:
        def step(**where: Any) -> tuple[Any, datetime | None]:
            notices, cursor = store.notices_enqueued_before(
                kind, before=before, limit=batch_size, **where
            )
            due = [n for n in notices if n.enqueued_at < retention_cutoff(now, n.retention_days)]
            if due:
                report.retention_notices_deleted += store.delete_notices(due)
            return cursor, (notices[-1].enqueued_at if notices else None)

        name = f"{RETENTION_NOTICES_SCAN}_{kind}"
        start_over = _full_pass(store, name, now, full_pass_every)
        _resumable_scan(store, rounds, name, step, start_over=start_over)

    for kind in sorted(SCHEDULED):
        scan(kind)


def _erase_rows(
    analytics: AnalyticsEraser,
    chunk: list[PendingErasure],
    out: dict[str, Any],
    in_time: Callable[[], bool],
    now: datetime,
) -> list[PendingErasure]:
    """Delete the analytics rows of these erasures; the ones whose rows are gone. BigQuery
    refuses a DML statement that would touch rows still in its streaming buffer (the last
    minutes of a user's events). When one statement for all is refused for that, the erasures
    whose rows run up to the last STREAMING_BUFFER wait for a later run and the others go in one
    statement again: one user who wrote a minute ago must not hold back the others' erasures,
    nor cost a statement each (each a scan of the table) on every hourly run of the day their
    erasures stay pending. Only if that is refused too is each of them tried alone."""
    try:
        out["erasure_rows_deleted"] += analytics.delete_user_rows(_rows_until(chunk, now))
        return chunk
    except AnalyticsUnavailable as e:
        _report_refusal(e, "analytics erasure of %d users refused: %s", len(chunk), e)
        if len(chunk) == 1 or not isinstance(e, AnalyticsRowsBuffered):
            out["status"] = "deferred"  # BigQuery itself, or the one user: the next run
            return []
    older = [e for e in chunk if e.rows_until(now) <= now - STREAMING_BUFFER]
    if len(older) < len(chunk):  # else the same statement again
        out["status"] = "deferred"  # the recent ones, at least
        if not older or not in_time():
            return []
        try:
            out["erasure_rows_deleted"] += analytics.delete_user_rows(_rows_until(older, now))
            return older
        except AnalyticsRowsBuffered:  # an older erasure's rows streamed late (a redelivery)
            if len(older) == 1:
                return []
        except AnalyticsUnavailable:
            return []  # BigQuery itself: the next run
    erased = []
    for erasure in older:
        if not in_time():  # up to 100 statements: the rest wait for the next run
            break
        try:
            out["erasure_rows_deleted"] += analytics.delete_user_rows(_rows_until([erasure], now))
        except AnalyticsRowsBuffered:
            continue  # this user's rows: their erasure waits for the next run
        except AnalyticsUnavailable:
            break  # BigQuery itself: the rest wait for the next run
        erased.append(erasure)
    if len(erased) < len(chunk):
        out["status"] = "deferred"
    return erased


def _rows_until(erasures: list[PendingErasure], now: datetime) -> dict[str, datetime]:
    return {e.user_key: e.rows_until(now) for e in erasures}


def _report_refusal(error: AnalyticsUnavailable, message: str, *args: Any) -> None:
    """A refusal for want of permission needs an operator; any other is the next run's."""
    if isinstance(error, AnalyticsRefused):
        log.error(message, *args, extra={NEEDS_OPERATOR: True})
    else:
        log.warning(message, *args)


def _analytics(
    store: CleanupStore,
    analytics: AnalyticsEraser,
    in_time: Callable[[], bool],
    *,
    now: datetime,
    batch_size: int,
    batch_every: timedelta,
    keys_by_retention: Callable[[Callable[[], bool]], dict[int, list[str]]],
) -> dict[str, Any]:
    """Erasures first (a user asked), then retention, within the run's time. A missing table
    means no rows exist: the erasure is still recorded as done once it has settled, since
    nothing is left to delete. A DELETE bills every day partition it changes, and an erased
    user's rows lie in up to all of them (~1.6 TB at load C: docs/CAPACITY.md, section 6):
    the pending erasures go together, in one statement once the one that waited longest (since
    its last statement, or its request) has waited `batch_every`, so that the table is
    rewritten at most once in that time, not on each run a new erasure is pending."""
    out: dict[str, Any] = {
        "status": "ok",
        "erasure_rows_deleted": 0,
        "erasures_completed": 0,
        "erasures_pending": 0,
        "retention_rows_deleted": 0,
    }
    pending = store.pending_erasures(limit=batch_size)
    done: set[str] = set()
    due = any((e.last_run_at or e.requested_at) <= now - batch_every for e in pending)
    out["erasures_pending"] = 0 if due else len(pending)  # else counted as their chunks run
    for start in range(0, len(pending) if due else 0, 100):  # one DML statement per 100 users
        if not in_time():
            out["status"] = "deferred"
            break
        chunk = pending[start : start + 100]
        try:
            erased = _erase_rows(analytics, chunk, out, in_time, now)
        except AnalyticsTableMissing:
            out["status"], erased = "table_missing", chunk
        settled = [e for e in erased if e.requested_at <= now - ERASURE_SETTLE]
        unsettled = [e for e in erased if e not in settled]
        completed = store.record_erasures(settled, now=now, done=True) if settled else 0
        if unsettled:
            store.record_erasures(unsettled, now=now, done=False)
        done.update(e.user_key for e in settled)
        out["erasures_completed"] += completed
        out["erasures_pending"] += len(chunk) - completed
    overdue = [e for e in pending if e.requested_at <= now - ERASURE_OVERDUE]
    if stuck := [e for e in overdue if e.user_key not in done]:
        log.error(
            "%d analytics erasures asked for over %d h ago are still not done (the oldest %s)",
            len(stuck),
            ERASURE_OVERDUE.total_seconds() // 3600,
            min(e.requested_at for e in stuck).isoformat(),
            extra={NEEDS_OPERATOR: True},
        )
    # Retention runs even when an erasure was refused: it deletes only rows past a 30-day or
    # longer cutoff, which BigQuery does not refuse for the reason it refuses an erasure (rows
    # still in the streaming buffer), and one stuck erasure must not stop it for everybody.
    if out["status"] != "table_missing" and not in_time():
        out["status"] = "deferred"
    elif out["status"] != "table_missing":
        try:
            out["retention_rows_deleted"] = analytics.delete_past_retention(
                now=now,
                keys_by_retention=keys_by_retention(in_time),
                default_days=DEFAULT_RETENTION_DAYS,
                in_time=in_time,
            )
        except AnalyticsTableMissing:
            out["status"] = "table_missing"
        except AnalyticsUnavailable as e:
            _report_refusal(e, "analytics retention refused: %s", e)
            out["status"] = "deferred"
        except Unavailable as e:  # Firestore's user list
            log.warning("analytics retention deferred to the next run: %s", e)
            out["status"] = "deferred"
    return out
