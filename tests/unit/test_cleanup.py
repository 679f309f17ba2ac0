"""The cleanup service's decisions, over in-memory ports: when an erasure is done, what a
BigQuery refusal defers, and that retention follows each owner's choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.cleanup import (
    ERASURE_SETTLE,
    AnalyticsUnavailable,
    OrphanScan,
    PendingErasure,
    SessionRef,
    run_cleanup,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


class Store:
    def __init__(self, *, erasures=(), sessions=(), retention=None) -> None:
        self.erasures = {e.user_key: e for e in erasures}
        self.done: list[str] = []
        self.runs: list[str] = []
        self.sessions = {s.session_id: s for s in sessions}
        self.retention = retention or {}
        self.deleted: list[str] = []

    def delete_expired_sessions(self, *, now, limit):
        return 0, 0

    def delete_orphan_turns(self, *, now, limit, cursor, since):
        return OrphanScan(0, None, None)

    def orphan_scan_start(self):
        return None

    def save_orphan_scan_start(self, value):
        pass

    def delete_expired(self, collection, *, now, limit):
        return 0

    def inactive_sessions(self, *, before, limit, cursor):
        found = [s for s in self.sessions.values() if s.last_interaction_at < before]
        return found, None

    def delete_sessions(self, session_ids):
        self.deleted += session_ids
        return len(session_ids), 0

    def sessions_started_before(self, *, before, limit, cursor):
        return [], None

    def delete_turns_before(self, session_id, before):
        return 0

    def retention_of(self, uids):
        return {u: d for u, d in self.retention.items() if u in uids}

    def user_keys_by_retention(self):
        return {}

    def pending_erasures(self, *, limit):
        return [e for k, e in self.erasures.items() if k not in self.done][:limit]

    def record_erasures(self, user_keys, *, now, done):
        self.runs += user_keys
        if done:
            self.done += user_keys


class Analytics:
    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.erased: list[str] = []
        self.retention_runs = 0

    def delete_user_rows(self, user_keys):
        if self.fail:
            raise AnalyticsUnavailable("rows in the streaming buffer")
        self.erased += user_keys
        return len(user_keys)

    def delete_past_retention(self, *, now, keys_by_retention, default_days):
        self.retention_runs += 1
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


def test_a_refused_delete_leaves_the_erasure_pending_and_retention_still_runs() -> None:
    old = PendingErasure("old", NOW - 2 * ERASURE_SETTLE)
    store, analytics = Store(erasures=[old]), Analytics(fail=True)

    report = run_cleanup(store=store, analytics=analytics, now=NOW)

    assert report.analytics["status"] == "deferred"
    assert store.done == [] and report.analytics["erasures_pending"] == 1
    assert analytics.retention_runs == 1  # one stuck erasure does not stop retention


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


class Backlog(Store):
    """Expired sessions without end, each batch taking 10 s of a fake clock."""

    def __init__(self, clock) -> None:
        super().__init__()
        self.clock = clock

    def delete_expired_sessions(self, *, now, limit):
        self.clock.now += 10
        return limit, 0


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_backlog_stops_at_the_time_budget_after_the_erasures() -> None:
    clock = Clock()
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


def test_a_run_out_of_time_before_the_orphan_scan_keeps_its_saved_place() -> None:
    saved: list = []

    class Resuming(Store):
        def orphan_scan_start(self):
            return NOW - timedelta(days=3)

        def save_orphan_scan_start(self, value):
            saved.append(value)

    clock = Clock()
    report = run_cleanup(
        store=Resuming(), analytics=Analytics(), now=NOW, budget_seconds=0, clock=clock
    )
    assert saved == [] and not report.complete
