"""The cleanup service's decisions, over in-memory ports: when an erasure is done, which cut-off
erasures it finishes, what a BigQuery refusal defers, and that retention follows each owner's
choice."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hcl2
import pytest
from pydantic import ValidationError

from common.cleanup import (
    DEFAULT_RETENTION_DAYS,
    ERASURE_OVERDUE,
    ERASURE_RESUME_AFTER,
    ERASURE_SETTLE,
    MAX_LAPS,
    ORPHAN_SCAN,
    RETENTION_CHOICES,
    RETENTION_PROFILES_SCAN,
    RETENTION_SESSIONS_SCAN,
    AnalyticsRefused,
    AnalyticsRowsBuffered,
    AnalyticsUnavailable,
    NoticeRef,
    OrphanScan,
    PendingErasure,
    ProfileRef,
    SessionRef,
    UnfinishedErasure,
    run_cleanup,
)
from common.config import Settings
from common.errors import ErasureInProgress, Unavailable
from common.logs import NEEDS_OPERATOR
from common.notifications.models import REENGAGEMENT, WEEKLY_INSIGHT
from common.sessions.state import WindowTurn, append_turn, forget_before, holds_before, new_session
from tests.fakes.clock import FakeClock

NOW = datetime(2026, 6, 1, tzinfo=UTC)
FUNCTIONS_TF = Path(__file__).resolve().parents[2] / "terraform" / "stack" / "functions.tf"


class Store:
    def __init__(
        self,
        *,
        erasures=(),
        sessions=(),
        retention=None,
        unfinished=(),
        profiles=(),
        kept=None,
        notices=(),
    ) -> None:
        self.profiles = {p.user_key: p for p in profiles}  # preferences/{user_key}
        self.notices = {(n.uid, n.kind): n for n in notices}  # users/{uid}.notices.{kind}
        self.kept = kept or {}  # user keys by retention_days, for those who chose another
        self.choices_read = 0
        self.erasures = {e.user_key: e for e in erasures}
        self.unfinished = list(unfinished)
        self.finished: list[str] = []
        self.held: list[str] = []
        self.done: list[str] = []
        self.runs: list[str] = []
        self.sessions = {s.session_id: s for s in sessions}
        self.retention = retention or {}
        self.deleted: list[str] = []
        self.scans: dict[str, datetime | None] = {}  # where each resumable scan goes on
        self.passes: dict[str, datetime] = {}  # when each began its last full pass

    def delete_expired_sessions(self, *, now, limit):
        return 0, 0

    def delete_orphan_turns(self, *, now, limit, cursor, since):
        return OrphanScan(0, None, None)

    def scan_start(self, scan):
        return self.scans.get(scan)

    def save_scan_start(self, scan, value):
        self.scans[scan] = value

    def pass_started(self, scan):
        return self.passes.get(scan)

    def save_pass_started(self, scan, at):
        self.passes[scan] = at

    def delete_expired(self, collection, *, now, limit):
        return 0, 0

    def forget_stale_days(self, *, now, limit):
        return 0, 0

    def stamp_daily_until(self, *, now, limit):
        return True

    def inactive_sessions(self, *, before, limit, cursor, since=None):
        """As Firestore pages them: oldest first, from `since`, `cursor` the page's offset."""
        found = sorted(
            (s for s in self.sessions.values() if s.last_interaction_at < before),
            key=lambda s: s.last_interaction_at,
        )
        found = [s for s in found if since is None or s.last_interaction_at >= since]
        start = cursor or 0
        page = [replace(s, at=s.last_interaction_at) for s in found[start : start + limit]]
        return page, (start + limit if len(page) == limit else None)

    def delete_sessions(self, due):
        session_ids = [s.session_id for s, _ in due]
        self.deleted += session_ids
        for session_id in session_ids:
            del self.sessions[session_id]
        return len(session_ids), 0, 0

    def sessions_started_before(self, *, before, limit, cursor, since=None):
        return [], None

    def delete_turns_before(self, session_id, before):
        return 0

    def profiles_updated_before(self, *, before, limit, cursor, since=None):
        """As Firestore pages them: oldest first, from `since`, `cursor` the page's offset."""
        found = sorted(
            (p for p in self.profiles.values() if p.updated_at < before),
            key=lambda p: p.updated_at,
        )
        found = [p for p in found if since is None or p.updated_at >= since]
        start = cursor or 0
        page = found[start : start + limit]
        return page, (start + limit if len(page) == limit else None)

    def delete_profiles(self, profiles):
        gone = [p for p in profiles if self.profiles.get(p.user_key) == p]  # only as read
        for p in gone:
            del self.profiles[p.user_key]
        self.deleted += [p.user_key for p in gone]
        return len(gone)

    def notices_enqueued_before(self, kind, *, before, limit, cursor, since=None):
        """As Firestore pages them: oldest first, from `since`, `cursor` the page's offset."""
        found = sorted(
            (n for n in self.notices.values() if n.kind == kind and n.enqueued_at < before),
            key=lambda n: n.enqueued_at,
        )
        found = [n for n in found if since is None or n.enqueued_at >= since]
        start = cursor or 0
        page = found[start : start + limit]
        return page, (start + limit if len(page) == limit else None)

    def delete_notices(self, notices):
        gone = [n for n in notices if self.notices.get((n.uid, n.kind)) == n]  # only as read
        for n in gone:
            del self.notices[(n.uid, n.kind)]
        return len(gone)

    def forget_before(self, session_id, before, *, grace):
        return False

    def retention_of(self, uids):
        return {u: d for u, d in self.retention.items() if u in uids}

    def user_keys_by_retention(self, *, in_time):
        self.choices_read += 1
        return self.kept

    def pending_erasures(self, *, limit):
        return [e for k, e in self.erasures.items() if k not in self.done][:limit]

    def record_erasures(self, erasures, *, now, done):
        user_keys = [e.user_key for e in erasures]
        self.runs += user_keys
        if done:
            self.done += user_keys
        return len(user_keys)

    def unfinished_erasures(self, *, limit):
        done = set(self.finished) | set(self.held)
        return [e for e in self.unfinished if e.user_key not in done][:limit]

    def finish_erasure(self, *, uid, user_key, requested_at, now, in_time):
        self.finished.append(user_key)
        return True

    def hold_for_operator(self, user_keys, *, now):
        self.held += user_keys


class Analytics:
    def __init__(
        self, *, fail: bool = False, buffered: tuple[str, ...] = (), refused: bool = False
    ) -> None:
        self.fail = fail
        self.refused = refused  # for want of permission, run after run
        self.buffered = set(buffered)  # users whose recent rows are in the streaming buffer
        self.erased: list[str] = []
        self.until: dict = {}  # user key -> the newest row's time to erase
        self.statements = 0
        self.retention_runs = 0

    def delete_user_rows(self, user_keys):
        self.statements += 1
        if self.refused:
            raise AnalyticsRefused("403 Access Denied: Table analytics.events")
        if self.fail:
            raise AnalyticsUnavailable("BigQuery is down")
        if self.buffered & set(user_keys):
            raise AnalyticsRowsBuffered("would affect rows in the streaming buffer")
        self.erased += user_keys
        self.until.update(user_keys)
        return len(user_keys)

    def delete_past_retention(self, *, now, keys_by_retention, default_days, in_time):
        self.retention_runs += 1
        if self.refused:
            raise AnalyticsRefused("403 Access Denied: Table analytics.events")
        return 0


def test_an_erasure_is_done_only_once_it_has_settled() -> None:
    old = PendingErasure("old", NOW - ERASURE_SETTLE - timedelta(minutes=1))
    fresh = PendingErasure("fresh", NOW - timedelta(minutes=5))
    store, analytics = Store(erasures=[old, fresh]), Analytics()

    report = run_cleanup(store=store, analytics=analytics, now=NOW)

    assert analytics.erased == ["old", "fresh"]  # rows go now, for both
    assert store.done == ["old"] and sorted(store.runs) == ["fresh", "old"]
    assert report.analytics["erasures_completed"] == 1
    assert report.analytics["erasures_pending"] == 1


def test_an_erasure_settles_a_full_day_after_it_was_asked_for() -> None:
    # Events of the erased user can still arrive for a day (Pub/Sub retries, redeliveries):
    # marked done a minute early, rows arriving later would never be deleted.
    early = PendingErasure("early", NOW - timedelta(hours=24) + timedelta(minutes=1))
    late = PendingErasure("late", NOW - timedelta(hours=24) - timedelta(minutes=1))
    store, analytics = Store(erasures=[early, late]), Analytics()

    run_cleanup(store=store, analytics=analytics, now=NOW)

    assert analytics.erased == ["early", "late"]  # rows go now, for both
    assert store.done == ["late"]


def test_rows_are_erased_up_to_when_the_users_documents_were_gone() -> None:
    # A rating that got in while the documents went is the old account's; rows after that are
    # a returning user's, who keeps the key (the lifecycle and diff reviews).
    asked = NOW - 2 * ERASURE_SETTLE
    done = PendingErasure("done", asked, firestore_done_at=asked + timedelta(minutes=3))
    running = PendingErasure("running", NOW - timedelta(minutes=5))
    analytics = Analytics()

    run_cleanup(store=Store(erasures=[done, running]), analytics=analytics, now=NOW)

    assert analytics.until == {"done": asked + timedelta(minutes=3), "running": NOW}


class Records(Store):
    """Keeps each erasure's last statement, as erasures/{user_key}.analytics_last_run_at."""

    def record_erasures(self, erasures, *, now, done):
        for e in erasures:
            self.erasures[e.user_key] = replace(e, last_run_at=now)
        return super().record_erasures(erasures, now=now, done=done)


def test_new_erasures_wait_to_go_in_one_statement_a_day() -> None:
    # Each DELETE rewrites every day partition an erased user has rows in (~1.6 TB at load C):
    # run on every hourly run with a new erasure pending, ~720 a month (the retention review).
    # A new erasure every hour for two days; the job runs hourly.
    store, analytics = Records(), Analytics()
    erased_at: dict[str, datetime] = {}
    for hour in range(73):
        now = NOW + timedelta(hours=hour)
        if hour < 48:
            store.erasures[f"u{hour}"] = PendingErasure(f"u{hour}", now - timedelta(minutes=5))
        before = set(analytics.erased)
        run_cleanup(
            store=store, analytics=analytics, now=now, erasure_batch_every=timedelta(hours=24)
        )
        erased_at |= {k: now for k in set(analytics.erased) - before}

    assert analytics.statements == 3  # at hours 24, 48 and 72, not 72 times
    assert sorted(store.done) == sorted(store.erasures)  # every one done...
    for key, e in store.erasures.items():  # ...its rows gone within ~25 h
        assert erased_at[key] - e.requested_at <= timedelta(hours=25)


def test_a_refused_delete_leaves_the_erasure_pending_and_retention_still_runs() -> None:
    old = PendingErasure("old", NOW - 2 * ERASURE_SETTLE)
    store, analytics = Store(erasures=[old]), Analytics(fail=True)

    report = run_cleanup(store=store, analytics=analytics, now=NOW)

    assert report.analytics["status"] == "deferred"
    assert store.done == [] and report.analytics["erasures_pending"] == 1
    assert analytics.retention_runs == 1  # one stuck erasure does not stop retention


def _operator_errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if getattr(r, "needs_operator", False)]


def test_a_refusal_for_want_of_permission_needs_an_operator(caplog) -> None:
    # A removed grant used to be a WARNING every hour, forever: erasures and retention undone,
    # the job green (the except-clause review, 2026-12-05).
    store = Store(erasures=[PendingErasure("k", NOW - 2 * ERASURE_SETTLE)])
    with caplog.at_level(logging.WARNING, logger="common.cleanup"):
        report = run_cleanup(store=store, analytics=Analytics(refused=True), now=NOW)
    assert report.analytics["status"] == "deferred" and store.done == []
    assert [m.split(":")[0] for m in _operator_errors(caplog)] == [
        "analytics erasure of 1 users refused",
        "analytics retention refused",
    ]


def test_an_erasure_stuck_past_its_deadline_needs_an_operator(caplog) -> None:
    # Whatever BigQuery says each run (here: "down", which alone is the next run's), an erasure
    # not done three days after it was asked for is stuck.
    late = PendingErasure("late", NOW - ERASURE_OVERDUE - timedelta(minutes=1))
    recent = PendingErasure("recent", NOW - ERASURE_OVERDUE + timedelta(hours=1))
    with caplog.at_level(logging.WARNING, logger="common.cleanup"):
        run_cleanup(store=Store(erasures=[recent]), analytics=Analytics(fail=True), now=NOW)
        assert _operator_errors(caplog) == []
        run_cleanup(store=Store(erasures=[late]), analytics=Analytics(), now=NOW)
        assert _operator_errors(caplog) == []  # done in this run: not stuck
        run_cleanup(store=Store(erasures=[late, recent]), analytics=Analytics(fail=True), now=NOW)
    (stuck,) = _operator_errors(caplog)
    assert stuck.startswith("1 analytics erasures asked for over 72 h ago are still not done")


def _gone(user_key: str, at: datetime) -> PendingErasure:
    """An erasure asked for at `at`, whose user's documents were gone then too."""
    return PendingErasure(user_key, at, firestore_done_at=at)


def test_one_users_buffered_rows_do_not_hold_back_the_others_erasures() -> None:
    # "busy"'s rows, though erased long ago, are in the buffer (an event redelivered late):
    # after the statement for all, and the same for all but the recent ones (none here), each
    # user goes alone.
    settled = NOW - 2 * ERASURE_SETTLE
    erasures = [_gone(k, settled) for k in ("a", "busy", "c")]
    store, analytics = Store(erasures=erasures), Analytics(buffered=("busy",))

    report = run_cleanup(store=store, analytics=analytics, now=NOW)

    assert analytics.erased == ["a", "c"] and store.done == ["a", "c"]
    assert analytics.statements == 1 + 3
    assert report.analytics["erasures_completed"] == 2
    assert report.analytics["erasures_pending"] == 1 and report.analytics["status"] == "deferred"


def test_a_recent_erasures_buffered_rows_cost_one_more_statement_not_one_per_user() -> None:
    # The abuse review: one user who wrote minutes before their erasure turned the hourly run's
    # one statement for the day's 100 pending erasures into 101, each a scan of the table.
    # The erasures whose rows run up to the last 90 minutes (the one that wrote, and one whose
    # documents are still being deleted: its rows run up to now) wait; the rest go together.
    older = [_gone(f"u{i:02d}", NOW - timedelta(hours=2 + i % 20)) for i in range(98)]
    wrote = _gone("wrote", NOW - timedelta(minutes=10))
    deleting = PendingErasure("deleting", NOW - timedelta(hours=3))  # no firestore_done_at
    store = Store(erasures=[*older, wrote, deleting])
    analytics = Analytics(buffered=("wrote",))

    report = run_cleanup(store=store, analytics=analytics, now=NOW)

    assert analytics.statements == 2
    assert analytics.erased == [e.user_key for e in older]
    assert sorted(store.runs) == sorted(e.user_key for e in older)  # noted; settled tomorrow
    assert report.analytics["status"] == "deferred"
    assert report.analytics["erasures_pending"] == 100
    later = NOW + timedelta(minutes=91)  # past the buffer: everyone in one statement again
    analytics.buffered.clear()
    run_cleanup(store=Store(erasures=[*older, wrote]), analytics=analytics, now=later)
    assert analytics.statements == 3 and "wrote" in analytics.erased


def test_when_the_older_erasures_are_refused_too_each_of_them_is_tried_alone() -> None:
    older = [_gone(k, NOW - timedelta(hours=5)) for k in ("a", "late", "c")]
    recent = [_gone(k, NOW - timedelta(minutes=5)) for k in ("recent", "quiet")]
    store = Store(erasures=[*older, *recent])
    analytics = Analytics(buffered=("late", "recent"))

    report = run_cleanup(store=store, analytics=analytics, now=NOW)

    # All, the older ones, each older one alone; the recent ones wait (even the one whose rows
    # are out of the buffer already: it cannot be told apart without a statement of its own).
    assert analytics.statements == 1 + 1 + 3
    assert analytics.erased == ["a", "c"] and report.analytics["status"] == "deferred"


def test_when_only_recent_erasures_are_pending_a_refusal_waits_for_a_later_run() -> None:
    recent = [_gone(k, NOW - timedelta(minutes=30)) for k in ("a", "b", "c")]
    store, analytics = Store(erasures=recent), Analytics(buffered=("b",))

    report = run_cleanup(store=store, analytics=analytics, now=NOW)

    assert analytics.statements == 1 and analytics.erased == []
    assert report.analytics["status"] == "deferred" and report.analytics["erasures_pending"] == 3


def test_when_bigquery_itself_fails_the_users_are_not_tried_one_by_one() -> None:
    erasures = [PendingErasure(k, NOW - 2 * ERASURE_SETTLE) for k in ("a", "b", "c")]
    store, analytics = Store(erasures=erasures), Analytics(fail=True)

    report = run_cleanup(store=store, analytics=analytics, now=NOW)

    assert analytics.statements == 1 and store.done == []
    assert report.analytics["erasures_pending"] == 3 and report.analytics["status"] == "deferred"


def test_retention_follows_each_owners_choice() -> None:
    last = NOW - timedelta(days=45)
    sessions = [
        SessionRef("a", "short", last),
        SessionRef("b", "long", last),
        SessionRef("c", "x", last),
    ]
    store = Store(sessions=sessions, retention={"short": 30, "long": 365})

    report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert store.deleted == ["a"]  # 45 days: past 30, within 365 and the default 90
    assert report.retention_sessions_deleted == 1


def test_a_learned_profile_goes_once_its_owner_wrote_nothing_for_their_retention() -> None:
    """A user who wrote once and never came back kept preferences/{user_key} for good: only an
    erasure deleted it. Now it goes once the profile updater has not written it for longer than
    its owner's retention, known by user key (the default 90 days for a key that chose none)."""
    profiles = [
        ProfileRef("short-45", NOW - timedelta(days=45)),  # chose 30
        ProfileRef("default-45", NOW - timedelta(days=45)),
        ProfileRef("default-91", NOW - timedelta(days=91)),
        ProfileRef("long-200", NOW - timedelta(days=200)),  # chose 365
        ProfileRef("long-366", NOW - timedelta(days=366)),  # chose 365
        ProfileRef("recent", NOW - timedelta(days=2)),
    ]
    kept = {30: ["short-45"], 365: ["long-200", "long-366"]}
    store = Store(profiles=profiles, kept=kept)

    report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert sorted(store.deleted) == ["default-91", "long-366", "short-45"]
    assert sorted(store.profiles) == ["default-45", "long-200", "recent"]
    assert report.retention_profiles_deleted == 3 and report.deleted == 3
    assert store.choices_read == 1  # read once: analytics retention and this phase share it
    again = run_cleanup(store=store, analytics=Analytics(), now=NOW)
    assert again.retention_profiles_deleted == 0 and len(store.deleted) == 3


def test_a_learned_profile_exactly_its_retention_old_is_kept() -> None:
    # README: it goes once not written "for longer than" the owner's retention
    store = Store(profiles=[ProfileRef("default-90", NOW - timedelta(days=90))])

    report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert report.retention_profiles_deleted == 0 and "default-90" in store.profiles


def test_a_learned_profile_an_event_updated_since_it_was_read_is_kept() -> None:
    class Updated(Store):
        def delete_profiles(self, profiles):
            for p in profiles:  # the user came back: the profile updater writes as it runs
                self.profiles[p.user_key] = replace(p, updated_at=NOW, version="v2")
            return super().delete_profiles(profiles)

    store = Updated(profiles=[ProfileRef("back", NOW - timedelta(days=100), version="v1")])

    report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert report.retention_profiles_deleted == 0 and "back" in store.profiles


def test_the_learned_profile_scan_goes_on_where_the_last_run_stopped() -> None:
    # A 365-day user's old profiles fill a run's one batch of 3: started over each run, the
    # default user's behind them would never be reached.
    oldest = NOW - timedelta(days=200)
    profiles = [ProfileRef(f"long-{i}", oldest + timedelta(hours=i)) for i in range(4)]
    profiles += [ProfileRef(f"default-{i}", oldest + timedelta(days=1, hours=i)) for i in (0, 1)]
    store = Store(profiles=profiles, kept={365: [f"long-{i}" for i in range(4)]})

    runs = [
        run_cleanup(store=store, analytics=Analytics(), now=NOW, batch_size=3, max_batches=1)
        for _ in range(3)
    ]

    assert store.deleted == ["default-0", "default-1"]
    assert [r.retention_profiles_deleted for r in runs] == [0, 1, 1]
    assert store.scans[RETENTION_PROFILES_SCAN] is None  # a lap is done: the next starts over


def test_profiles_not_yet_due_are_read_again_once_a_day_not_on_every_run() -> None:
    """Profiles of users who left in the last year, passed over while within their retention,
    are many: read again every hourly run they would cost a read each an hour."""

    class Counting(Store):
        read = 0

        def profiles_updated_before(self, **kw):
            page, cursor = super().profiles_updated_before(**kw)
            self.read += len(page)
            return page, cursor

    due_soon = ProfileRef("due-soon", NOW - timedelta(days=89, hours=12))
    store = Counting(profiles=[due_soon, ProfileRef("recent-ish", NOW - timedelta(days=60))])
    reads, deleted = [], []
    for hours in (0, 1, 13, 25, 26):  # hourly runs; due-soon is due from hour 12
        before = store.read
        report = run_cleanup(store=store, analytics=Analytics(), now=NOW + timedelta(hours=hours))
        reads.append(store.read - before)
        deleted.append(report.retention_profiles_deleted)

    # The first run starts a full pass; in between they read from where the scan reached (the
    # newest profile passed over), and the next full pass, a day on, finds due-soon.
    assert reads == [2, 2, 1, 1, 2]
    assert deleted == [0, 0, 0, 0, 1]


def _notice(uid: str, days: int, retention: int, kind: str = REENGAGEMENT, **kw) -> NoticeRef:
    return NoticeRef(uid, kind, NOW - timedelta(days=days), retention, **kw)


def test_a_producers_notice_goes_once_it_is_older_than_its_owners_retention() -> None:
    """users/{uid}.notices ({period, notification_id, enqueued_at} of the last weekly insight
    and nudge) outlived every retention setting: nothing in the cleanup touched them."""
    notices = [
        _notice("short-31", 31, 30),
        _notice("short-31", 31, 30, WEEKLY_INSIGHT),
        _notice("default-45", 45, 90),
        _notice("default-91", 91, 90, WEEKLY_INSIGHT),
        _notice("long-200", 200, 365),
        _notice("long-366", 366, 365),
        _notice("recent", 2, 30),
    ]
    store = Store(notices=notices)

    report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert sorted(store.notices) == [
        ("default-45", REENGAGEMENT), ("long-200", REENGAGEMENT), ("recent", REENGAGEMENT),
    ]  # fmt: skip
    assert report.retention_notices_deleted == 4 and report.complete
    again = run_cleanup(store=store, analytics=Analytics(), now=NOW)
    assert again.retention_notices_deleted == 0 and len(store.notices) == 3


def test_a_notice_a_producer_enqueued_again_since_it_was_read_is_kept() -> None:
    class Enqueued(Store):
        def delete_notices(self, notices):
            for n in notices:  # the weekly run enqueued a new one for the user meanwhile
                self.notices[(n.uid, n.kind)] = replace(n, enqueued_at=NOW, version="v2")
            return super().delete_notices(notices)

    store = Enqueued(notices=[_notice("back", 100, 90, version="v1")])

    report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert report.retention_notices_deleted == 0 and ("back", REENGAGEMENT) in store.notices


def test_the_notices_scan_goes_on_where_the_last_run_stopped() -> None:
    # 365-day users' notices fill a run's one batch of 3 ahead of a due one: started over each
    # run, the 30-day user's notice behind them would never be reached.
    kept = [_notice(f"long-{i}", 40 + i, 365) for i in range(4)]
    store = Store(notices=[*kept, _notice("short", 35, 30)])

    runs = [
        run_cleanup(store=store, analytics=Analytics(), now=NOW, batch_size=3, max_batches=1)
        for _ in range(2)
    ]

    assert [r.retention_notices_deleted for r in runs] == [0, 1]
    assert ("short", REENGAGEMENT) not in store.notices and len(store.notices) == 4


def test_a_timed_run_goes_round_again_while_it_deletes_notices() -> None:
    # A lap that deleted only notices is no idle lap: the backlog goes in one run, not in
    # MAX_LAPS laps of it (2 a lap here) and the rest left to the next runs.
    store = Store(notices=[_notice(f"u{i}", 40, 30) for i in range(100)])

    report = run_cleanup(
        store=store,
        analytics=Analytics(),
        now=NOW,
        batch_size=2,
        max_batches=1,
        budget_seconds=300,
        clock=FakeClock(),
    )

    assert report.retention_notices_deleted == 100 and store.notices == {} and report.complete


def test_no_notice_a_nudge_cool_down_counts_from_outlives_the_shortest_retention() -> None:
    # The nudge's cool-down is counted from users/{uid}.notices.reengagement.enqueued_at: the
    # longest one Settings takes is the shortest retention, so deleting a notice past its
    # owner's retention never lets a nudge come sooner than the cool-down says.
    shortest = min(RETENTION_CHOICES)
    assert Settings().reengagement_cooldown_days < shortest
    assert Settings(reengagement_cooldown_days=str(shortest)).reengagement_cooldown_days == shortest
    with pytest.raises(ValidationError):
        Settings(reengagement_cooldown_days=str(shortest + 1))


def test_a_session_a_turn_changed_since_it_was_read_is_counted_and_kept() -> None:
    class Changed(Store):
        def delete_sessions(self, due):
            return 0, 0, len(due)  # a turn came since the scan read them: none deleted

    last = NOW - timedelta(days=45)
    store = Changed(sessions=[SessionRef("a", "short", last)], retention={"short": 30})
    report = run_cleanup(store=store, analytics=Analytics(), now=NOW)
    assert report.retention_sessions_changed == 1 and report.retention_sessions_deleted == 0


class SlowUserList(Store):
    """The read of every user with a retention choice times out (a large user base)."""

    def user_keys_by_retention(self, *, in_time):
        raise Unavailable("deadline exceeded")


class ExpiryDown(Store):
    def delete_expired_sessions(self, *, now, limit):
        raise Unavailable("deadline exceeded")


def test_a_phase_firestore_fails_is_reported_and_the_others_still_run() -> None:
    last = NOW - timedelta(days=45)
    erasure = PendingErasure("k", NOW - 2 * ERASURE_SETTLE)
    for store in (SlowUserList(erasures=[erasure]), ExpiryDown(erasures=[erasure])):
        store.sessions = {"a": SessionRef("a", "short", last)}
        store.retention = {"short": 30}

        report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

        assert store.done == ["k"] and store.deleted == ["a"]  # erasure and retention ran
        if isinstance(store, SlowUserList):  # analytics retention only: its erasures count
            assert report.analytics["status"] == "deferred" and report.failed == []
            assert report.analytics["erasures_completed"] == 1
        else:
            assert report.failed == ["expired_sessions"] and not report.complete


class MissingIndex(Store):
    """Production refuses a query the emulator ran (FailedPrecondition: the index is missing)."""

    def delete_expired_sessions(self, *, now, limit):
        from google.api_core import exceptions

        raise exceptions.FailedPrecondition("The query requires an index.")


def test_a_phase_firestore_refuses_is_reported_as_an_error_and_the_others_still_run(
    caplog,
) -> None:
    store = MissingIndex(erasures=[PendingErasure("k", NOW - 2 * ERASURE_SETTLE)])
    store.sessions = {"a": SessionRef("a", "short", NOW - timedelta(days=45))}
    store.retention = {"short": 30}
    with caplog.at_level("ERROR", logger="common.cleanup"):
        report = run_cleanup(store=store, analytics=Analytics(), now=NOW)
    assert store.done == ["k"] and store.deleted == ["a"]
    assert report.failed == ["expired_sessions"] and not report.complete
    (error,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "needs an operator" in error.getMessage() and error.exc_info
    assert error.needs_operator is True  # what the monitoring alert matches


class SlowBigQuery(Analytics):
    """Each statement takes 30 s of a fake clock."""

    def __init__(self, clock, **kw) -> None:
        super().__init__(**kw)
        self.clock = clock

    def delete_user_rows(self, user_keys):
        self.clock.now += 30
        return super().delete_user_rows(user_keys)


def test_erasing_analytics_rows_one_user_at_a_time_stops_at_the_time_budget() -> None:
    # 200 erasures, one of whose rows are still in the streaming buffer: each user alone, up
    # to 200 statements, would outlast the function's timeout and leave the rest undone.
    clock = FakeClock()
    erasures = [_gone(f"u{i:03d}", NOW - 2 * ERASURE_SETTLE) for i in range(200)]
    store = Store(erasures=erasures)
    analytics = SlowBigQuery(clock, buffered=("u000",))  # its rows streamed late

    report = run_cleanup(store=store, analytics=analytics, now=NOW, budget_seconds=300, clock=clock)

    # The first at 0 s, then users alone until the analytics phase's ANALYTICS_SECONDS (120 s)
    assert analytics.statements == 4
    assert len(store.done) == 2 and report.analytics["status"] == "deferred"
    assert analytics.retention_runs == 0  # out of time: the next run goes on
    assert report.analytics["erasures_pending"] == 100 - 2  # the second hundred never began
    assert not report.complete


class SlowStatements(SlowBigQuery):
    """Both statements take `seconds` of a fake clock (the retention review: 90 s each)."""

    def __init__(self, clock, seconds) -> None:
        super().__init__(clock)
        self.seconds = seconds

    def delete_user_rows(self, user_keys):
        self.clock.now += self.seconds - 30
        return super().delete_user_rows(user_keys)

    def delete_past_retention(self, **kw):
        self.clock.now += self.seconds
        return super().delete_past_retention(**kw)


def test_slow_analytics_statements_do_not_eat_the_firestore_phases_time() -> None:
    # An erasure and the retention DELETE of 90 s each took 180 s of the run's 360: the expiry
    # got the other 180 (the review: 68,000 of load C's hour of 87,750 expired). Past its
    # ANALYTICS_SECONDS the analytics phase's time is given back: the Firestore phases keep 240.
    clock = FakeClock()
    store = Finite(clock, sessions=200 * 200)  # 200 batches of 1 s, and 3 of expired documents
    store.erasures = {"k": PendingErasure("k", NOW - timedelta(hours=3))}
    analytics = SlowStatements(clock, 90)

    report = run_cleanup(store=store, analytics=analytics, now=NOW, budget_seconds=360, clock=clock)

    assert analytics.erased == ["k"] and analytics.retention_runs == 1  # both began by 120 s
    assert store.left == 0 and report.complete
    assert clock.now <= 360 + 2 * 120  # the run's end: the budget and at most a share more


class Backlog(Store):
    """Expired sessions without end, each batch taking 10 s of a fake clock."""

    def __init__(self, clock) -> None:
        super().__init__()
        self.clock = clock

    def delete_expired_sessions(self, *, now, limit):
        self.clock.now += 10
        return limit, 0


def test_a_backlog_stops_at_the_time_budget_after_the_erasures() -> None:
    clock = FakeClock()
    store = Backlog(clock)
    store.erasures = {"k": PendingErasure("k", NOW - timedelta(minutes=5))}
    analytics = Analytics()

    report = run_cleanup(
        store=store, analytics=analytics, now=NOW, max_batches=100, budget_seconds=45, clock=clock
    )

    assert analytics.erased == ["k"]  # erasures come first, whatever the backlog
    assert report.sessions_deleted == 5 * 200  # batches started before 45 s: 0, 10, ..., 40
    assert not report.complete
    assert report.expired_deleted == {"turn_keys": 0, "feedback": 0, "activity": 0}


class Finite(Store):
    """`sessions` expired sessions and `documents` expired feedback documents, each batch taking
    1 s of a fake clock."""

    def __init__(self, clock, *, sessions: int, documents: int = 0) -> None:
        super().__init__()
        self.clock, self.left, self.documents = clock, sessions, documents

    def delete_expired_sessions(self, *, now, limit):
        self.clock.now += 1
        deleted = min(limit, self.left)
        self.left -= deleted
        return deleted, 0

    def delete_expired(self, collection, *, now, limit):
        self.clock.now += 1
        if collection != "feedback":
            return 0, 0
        deleted = min(limit, self.documents)
        self.documents -= deleted
        return deleted, deleted


def test_a_timed_run_goes_round_its_phases_again_until_the_backlog_is_gone() -> None:
    # 12,000 expired sessions and 6,000 feedback documents: one lap (25 batches of 200 each)
    # takes 5,000 of each, and the run goes on while its budget lasts.
    clock = FakeClock()
    store = Finite(clock, sessions=12_000, documents=6_000)

    report = run_cleanup(
        store=store, analytics=Analytics(), now=NOW, budget_seconds=300, clock=clock
    )

    assert store.left == 0 and store.documents == 0
    assert report.sessions_deleted == 12_000 and report.expired_deleted["feedback"] == 6_000
    assert report.laps == 3 and report.complete


def test_laps_stop_at_the_budget_and_leave_the_rest_to_the_next_run() -> None:
    clock = FakeClock()
    store = Finite(clock, sessions=1_000_000)

    report = run_cleanup(
        store=store, analytics=Analytics(), now=NOW, budget_seconds=60, clock=clock
    )

    # A batch a second for 60 s, 3 of them the expired documents' (one per collection, in the
    # first lap only: they had nothing left).
    assert report.sessions_deleted == 200 * (60 - 3)
    assert report.laps == 3 and not report.complete


def _run_logs(caplog) -> list[tuple[str, bool]]:
    return [(r.levelname, r.report["complete"]) for r in caplog.records if hasattr(r, "report")]


def test_a_run_that_leaves_work_says_so_at_warning(caplog) -> None:
    # A backlog the job does not get through shows only as `complete: false`: at INFO, an
    # alert on the job's warnings never saw the cleanup falling behind hour after hour.
    clock = FakeClock()
    with caplog.at_level(logging.INFO, logger="common.cleanup"):
        run_cleanup(store=Finite(clock, sessions=400), analytics=Analytics(), now=NOW)
        run_cleanup(
            store=Finite(clock, sessions=400), analytics=Analytics(), now=NOW, max_batches=1
        )
    assert _run_logs(caplog) == [("INFO", True), ("WARNING", False)]


def test_without_a_budget_a_run_is_one_lap_and_laps_are_bounded() -> None:
    clock = FakeClock()
    assert (
        run_cleanup(store=Finite(clock, sessions=6_000), analytics=Analytics(), now=NOW).laps == 1
    )

    class Stuck(Store):  # full pages whose documents all changed since read: nothing deleted
        def delete_expired(self, collection, *, now, limit):
            clock.now += 1
            return limit, 0

    stuck = run_cleanup(
        store=Stuck(), analytics=Analytics(), now=NOW, budget_seconds=10**6, clock=clock
    )
    assert stuck.laps == 1 + MAX_LAPS and not stuck.complete  # the first, then MAX_LAPS idle


def test_laps_that_delete_go_on_while_time_lasts() -> None:
    # After an outage: MAX_LAPS of 25 batches held a run to 100,000 sessions (~12,250 an hour
    # net at load C's 87,750 new ones), while TTL purged the rest without session.ended and
    # left their turns to the orphan scan (the retention review). 10 s a batch, a day's budget.
    clock = FakeClock()
    endless = run_cleanup(
        store=Backlog(clock), analytics=Analytics(), now=NOW, budget_seconds=10**6, clock=clock
    )
    assert endless.laps == 10**6 // (25 * 10) and endless.sessions_deleted == 10**5 * 200
    assert not endless.complete


def test_one_long_conversation_that_fails_does_not_stop_retention_for_the_others(caplog) -> None:
    trimmed: list[str] = []

    class OneFails(Store):
        def sessions_started_before(self, *, before, limit, cursor, since=None):
            recent, started = NOW - timedelta(hours=1), NOW - timedelta(days=40)
            return [SessionRef(f"s{i}", "short", recent, at=started) for i in range(3)], None

        def forget_before(self, session_id, before, *, grace):
            if session_id == "s0":  # a year of turns, over the read's deadline
                raise Unavailable("Firestore is unavailable")
            if session_id == "s1":  # a document this version cannot decode
                raise KeyError("context_window")
            trimmed.append(session_id)
            return True

    store = OneFails(retention={"short": 30})
    with caplog.at_level(logging.ERROR):
        report = run_cleanup(store=store, analytics=Analytics(), now=NOW)
    assert trimmed == ["s2"] and report.retention_sessions_trimmed == 1
    assert not report.complete and report.failed == []
    (told,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert told.needs_operator is True and "s1" in told.getMessage()


def test_sessions_started_within_their_owners_retention_are_not_trimmed_every_run() -> None:
    # Sessions started 31-89 days ago, still in use, of owners who keep the default 90 days:
    # the scan (everything started before 30 days) finds them every hour, and nothing in them
    # can be due. Each cost two round trips an hour (the retention review: 1,000 sessions, 1,000
    # delete_turns_before and 1,000 forget_before a run, nothing deleted).
    calls: list[str] = []
    recent = NOW - timedelta(hours=2)

    class LongLived(Store):
        def sessions_started_before(self, *, before, limit, cursor, since=None):
            ages = (31, 60, 89, 91)  # days since each started
            return [
                SessionRef(f"{a}d", "u", recent, at=NOW - timedelta(days=a)) for a in ages
            ], None

        def delete_turns_before(self, session_id, before):
            calls.append(session_id)
            return 0

        def forget_before(self, session_id, before, *, grace):
            calls.append(session_id)
            return False

    run_cleanup(store=LongLived(), analytics=Analytics(), now=NOW)

    assert calls == ["91d", "91d"]  # only the one started before its owner's cutoff


class Conversation(Store):
    """One conversation its owner (default retention) has written in every 20 minutes since
    before their retention began: its stored turns and its session document as the Firestore
    adapter keeps them, and how many turns each fold of the summary read."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self.turns: list[WindowTurn] = []
        self.state = new_session(session_id="s", owner_uid="u", now=start, ttl=timedelta(days=1))
        self.next_at = start
        self.refolds: list[tuple[datetime, int]] = []  # (cutoff, turns read)

    def write_until(self, at: datetime) -> None:
        while self.next_at <= at:
            i = self.state.turn_count
            turn = WindowTurn(f"t{i}", i, f"I tried step {i}", "a reply", "lua", self.next_at)
            self.state = append_turn(
                self.state,
                turn,
                now=turn.created_at,
                ttl=timedelta(days=1),
                window_size=5,
                persona_scores={},
            )
            self.turns.append(turn)
            self.next_at += timedelta(minutes=20)

    def sessions_started_before(self, *, before, limit, cursor, since=None):
        s = self.state
        return [SessionRef(s.session_id, s.owner_uid, s.last_interaction_at, at=s.created_at)], None

    def delete_turns_before(self, session_id, before):
        kept = [t for t in self.turns if t.created_at >= before]
        deleted, self.turns = len(self.turns) - len(kept), kept
        return deleted

    def forget_before(self, session_id, before, *, grace=timedelta(0)):
        if not holds_before(self.state, before, summary_grace=grace):
            return False
        first = self.state.window[0].turn_index
        folded = [t for t in self.turns if t.turn_index < first]
        self.refolds.append((before, len(folded)))
        self.state = forget_before(self.state, before, folded)
        return True


def test_a_conversation_in_daily_use_has_its_summary_folded_again_once_a_day_not_hourly() -> None:
    # The review's finding: a turn passed the cutoff every hour, so every hourly run read all
    # of the conversation's stored turns again (at one every 8 minutes, 16,000 a run).
    days = timedelta(days=DEFAULT_RETENTION_DAYS)
    store = Conversation(NOW - days - timedelta(days=2))
    for hour in range(26):
        now = NOW + timedelta(hours=hour)
        store.write_until(now - timedelta(minutes=5))
        run_cleanup(store=store, analytics=Analytics(), now=now)
        # The turns past retention go on every run; their words in the summary within a day.
        assert min(t.created_at for t in store.turns) >= now - days
        assert not holds_before(store.state, now - days - timedelta(days=1))
    # Folded again from all it had kept (90 days at 3 an hour), then only a day later.
    assert [(at - (NOW - days), read > 6000) for at, read in store.refolds] == [
        (timedelta(0), True),
        (timedelta(hours=25), True),
    ]


def test_the_retention_scan_goes_on_where_the_last_run_stopped() -> None:
    # Four sessions of a 365-day user, older than any of a 30-day user's two, fill a run's one
    # batch of 3: started over from the oldest each run, the 30-day user's would never be reached.
    last = NOW - timedelta(days=45)
    sessions = [SessionRef(f"long-{i}", "long", last + timedelta(hours=i)) for i in range(4)]
    sessions += [
        SessionRef(f"short-{i}", "short", last + timedelta(days=1, hours=i)) for i in (0, 1)
    ]
    store = Store(sessions=sessions, retention={"short": 30, "long": 365})

    runs = [
        run_cleanup(store=store, analytics=Analytics(), now=NOW, batch_size=3, max_batches=1)
        for _ in range(3)
    ]

    assert store.deleted == ["short-0", "short-1"]
    assert [r.retention_sessions_deleted for r in runs] == [0, 1, 1]
    assert store.scans[RETENTION_SESSIONS_SCAN] is None  # a lap is done: the next starts over


def test_the_orphan_scan_starts_over_from_the_oldest_at_most_once_a_day() -> None:
    # 1,000 old turns of conversations still in use (skipped), then the newly expired ones
    kept = [NOW - timedelta(days=30) + timedelta(minutes=i) for i in range(1000)]

    class LiveTurns(Store):
        def __init__(self) -> None:
            super().__init__()
            self.read: list[int] = []

        def delete_orphan_turns(self, *, now, limit, cursor, since):
            due = [t for t in kept if t <= now and (since is None or t >= since)]
            start = cursor or 0
            page = due[start : start + limit]
            self.read.append(len(page))
            more = start + limit if len(page) == limit else None
            return OrphanScan(0, more, page[-1] if page else None)

    store = LiveTurns()

    def run(at: datetime) -> int:
        store.read = []
        run_cleanup(store=store, analytics=Analytics(), now=at, batch_size=200)
        return sum(store.read)

    assert run(NOW) == 1000 and store.passes[ORPHAN_SCAN] == NOW
    assert store.scans[ORPHAN_SCAN] is None  # the first pass ended: the next one begins
    assert run(NOW + timedelta(hours=1)) == 1000 and store.passes[ORPHAN_SCAN] == NOW
    # within a day of that pass's start, a finished pass keeps the place it reached
    assert store.scans[ORPHAN_SCAN] == kept[-1]
    kept.append(NOW + timedelta(minutes=90))  # one more turn expires
    assert run(NOW + timedelta(hours=2)) == 2  # the last one read again (since is inclusive)
    assert store.scans[ORPHAN_SCAN] == kept[-1]
    # a day after the last full pass began, the next starts over from the oldest
    later = NOW + timedelta(hours=24)
    assert run(later) == 1 and store.scans[ORPHAN_SCAN] is None
    assert store.passes[ORPHAN_SCAN] == later
    assert run(later + timedelta(hours=1)) == 1001


def test_a_run_out_of_time_before_the_orphan_scan_keeps_its_saved_place() -> None:
    saved: list = []

    class Resuming(Store):
        def scan_start(self, scan):
            return NOW - timedelta(days=3)

        def save_scan_start(self, scan, value):
            saved.append(value)

    clock = FakeClock()
    report = run_cleanup(
        store=Resuming(), analytics=Analytics(), now=NOW, budget_seconds=0, clock=clock
    )
    assert saved == [] and not report.complete


def test_an_erasure_cut_off_half_way_is_finished_once_its_request_is_surely_over() -> None:
    cut_off = UnfinishedErasure("k-cut", "u-cut", NOW - ERASURE_RESUME_AFTER - timedelta(minutes=1))
    running = UnfinishedErasure("k-now", "u-now", NOW - timedelta(minutes=2))
    store = Store(unfinished=[cut_off, running])

    report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert store.finished == ["k-cut"]  # the other request may still be deleting: left to it
    assert report.erasures_finished == 1 and report.complete


def test_an_erasure_a_request_began_again_since_it_was_listed_is_left_to_that_request():
    # erase_user refuses a second erasure while one may still be deleting (ErasureInProgress):
    # a DELETE /v2/profile sent between the listing and this run's turn finishes it.
    cut_off = UnfinishedErasure("k-cut", "u-cut", NOW - ERASURE_RESUME_AFTER - timedelta(minutes=1))

    class BegunAgain(Store):
        def finish_erasure(self, *, uid, user_key, requested_at, now, in_time):
            raise ErasureInProgress()

    report = run_cleanup(store=BegunAgain(unfinished=[cut_off]), analytics=Analytics(), now=NOW)

    assert report.erasures_finished == 0 and report.complete
    assert "unfinished_erasures" not in report.failed


def test_an_erasure_a_request_finished_since_it_was_listed_is_neither_finished_nor_failed():
    # finish_erasure is given the erasure as listed, and leaves it (False) once its record
    # says otherwise: a DELETE /v2/profile sent again since finished it.
    cut_off = UnfinishedErasure("k-cut", "u-cut", NOW - ERASURE_RESUME_AFTER - timedelta(minutes=1))
    asked: list = []

    class FinishedMeanwhile(Store):
        def finish_erasure(self, *, uid, user_key, requested_at, now, in_time):
            asked.append(requested_at)
            return False

    store = FinishedMeanwhile(unfinished=[cut_off])
    report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert asked == [cut_off.requested_at]
    assert report.erasures_finished == 0 and report.complete
    assert "unfinished_erasures" not in report.failed


def test_an_unfinished_erasure_without_its_uid_is_set_aside_not_guessed(caplog) -> None:
    old = UnfinishedErasure("k-old", None, NOW - timedelta(days=3))  # from before uids were kept
    store = Store(unfinished=[old])

    with caplog.at_level(logging.WARNING, logger="common.cleanup"):
        report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert store.finished == [] and report.erasures_finished == 0
    assert store.held == ["k-old"]
    (said,) = [r for r in caplog.records if "without a uid set aside" in r.getMessage()]
    assert said.getMessage().startswith("1 unfinished erasures")
    # logged once (the next run does not list it): what the operator alert matches, or nothing
    assert said.levelname == "ERROR" and getattr(said, NEEDS_OPERATOR, False) is True


def test_erasures_without_a_uid_stop_hiding_real_ones_behind_the_querys_limit() -> None:
    long_ago = NOW - timedelta(days=3)
    old = [UnfinishedErasure(f"k-old{i}", None, long_ago) for i in range(2)]
    real = UnfinishedErasure("k-cut", "u-cut", NOW - timedelta(hours=1))
    store = Store(unfinished=[*old, real])

    first = run_cleanup(store=store, analytics=Analytics(), now=NOW, batch_size=2)
    second = run_cleanup(
        store=store, analytics=Analytics(), now=NOW + timedelta(hours=1), batch_size=2
    )

    assert first.erasures_finished == 0  # the query's limit held only the old ones
    assert store.held == ["k-old0", "k-old1"]  # once: the query returns them no more
    assert second.erasures_finished == 1 and store.finished == ["k-cut"]


def test_an_erasure_that_fails_leaves_the_rest_of_the_run_going(caplog) -> None:
    class Failing(Store):
        def finish_erasure(self, *, uid, user_key, requested_at, now, in_time):
            if user_key == "k-heavy":
                raise Unavailable("Conversation storage is unavailable; try again shortly.")
            return super().finish_erasure(
                uid=uid, user_key=user_key, requested_at=requested_at, now=now, in_time=in_time
            )

        def delete_expired(self, collection, *, now, limit):
            self.deleted.append(collection)
            return 0, 0

    long_ago = NOW - timedelta(hours=1)
    unfinished = [UnfinishedErasure(k, f"u-{k}", long_ago) for k in ("k-heavy", "k-light")]
    pending = PendingErasure("k-pending", NOW - ERASURE_SETTLE - timedelta(hours=1))
    store = Failing(unfinished=unfinished, erasures=[pending])

    with caplog.at_level(logging.WARNING, logger="common.cleanup"):
        report = run_cleanup(store=store, analytics=Analytics(), now=NOW)

    assert store.finished == ["k-light"] and report.erasures_finished == 1
    assert not report.complete  # k-heavy is tried again by the next run
    assert "unfinished erasure left to the next run" in caplog.text
    assert store.done == ["k-pending"]  # analytics erasures, expiry... ran all the same
    assert store.deleted == ["turn_keys", "feedback", "activity"]


def test_finishing_erasures_stops_at_the_time_budget() -> None:
    clock = FakeClock()

    class Slow(Store):
        def finish_erasure(self, *, uid, user_key, requested_at, now, in_time):
            clock.now += 30
            return super().finish_erasure(
                uid=uid, user_key=user_key, requested_at=requested_at, now=now, in_time=in_time
            )

    long_ago = NOW - timedelta(hours=1)
    store = Slow(unfinished=[UnfinishedErasure(f"k{i}", f"u{i}", long_ago) for i in range(4)])

    report = run_cleanup(
        store=store, analytics=Analytics(), now=NOW, budget_seconds=45, clock=clock
    )

    assert store.finished == ["k0", "k1"]  # started at 0 s and 30 s; the next run goes on
    assert not report.complete


def test_an_erasure_under_way_is_told_when_the_time_budget_runs_out() -> None:
    clock = FakeClock()
    seen: list[bool] = []

    class Heavy(Store):
        def finish_erasure(self, *, uid, user_key, requested_at, now, in_time):
            seen.append(in_time())
            clock.now += 50  # its batches take the rest of the budget
            seen.append(in_time())
            raise Unavailable("erasure stopped after 500 of 2000 documents")

    long_ago = NOW - timedelta(hours=1)
    store = Heavy(unfinished=[UnfinishedErasure("k-heavy", "u-heavy", long_ago)])

    report = run_cleanup(
        store=store, analytics=Analytics(), now=NOW, budget_seconds=45, clock=clock
    )

    assert seen == [True, False]
    assert report.erasures_finished == 0 and not report.complete


def test_an_erasure_is_finished_only_after_the_profile_functions_timeout() -> None:
    """Else the job could erase alongside a DELETE /v2/profile that is still running."""
    tf = hcl2.load(FUNCTIONS_TF.open())
    specs = next(block["function_specs"] for block in tf["locals"] if "function_specs" in block)
    assert ERASURE_RESUME_AFTER.total_seconds() > specs["profile"]["timeout_seconds"]


class ChangedMeanwhile(Store):
    """Five expired activity records, one of which is changed between read and delete each
    time it is read; and two settled erasures, one of them reset by a new erasure meanwhile."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.expired = [f"a{i}" for i in range(5)]

    def delete_expired(self, collection, *, now, limit):
        if collection != "activity":
            return 0, 0
        page = self.expired[:limit]
        kept = [d for d in page if d == "a0"]  # the erasure's mark: it stays
        self.expired = kept + self.expired[limit:]
        return len(page), len(page) - len(kept)

    def record_erasures(self, erasures, *, now, done):
        return super().record_erasures(
            [e for e in erasures if e.user_key != "reset"], now=now, done=done
        )


def test_a_document_changed_meanwhile_neither_ends_the_phase_nor_counts() -> None:
    settled = NOW - 2 * ERASURE_SETTLE
    store = ChangedMeanwhile(erasures=[PendingErasure(k, settled) for k in ("ok", "reset")])
    report = run_cleanup(store=store, analytics=Analytics(), now=NOW, batch_size=2)
    # a full page with one kept is not the last page: the phase goes on to the other four
    assert report.expired_deleted["activity"] == 4 and store.expired == ["a0"]
    assert (report.analytics["erasures_completed"], report.analytics["erasures_pending"]) == (1, 1)
