"""The cleanup job's service and adapters against the real Firestore and BigQuery emulators.

Each test works in its own Firestore database and BigQuery dataset, so the counts are exact and
the stack's own scheduled cleanup (which sees the default database) never races it."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from common import clients
from common.adapters.bigquery_erasure import BigQueryAnalyticsEraser
from common.adapters.firestore_cleanup import FirestoreCleanupStore
from common.cleanup import ERASURE_SETTLE, EXPIRING_COLLECTIONS, run_cleanup
from common.config import get_settings
from common.events import user_key
from tests.stack_fixtures import events_table, own_database

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def db():
    client = own_database("cleanup")
    yield client
    client.recursive_delete(client.collection("sessions"))


@pytest.fixture
def bq():
    from google.cloud import bigquery

    client = clients.bigquery_client()
    dataset = f"cleanup_{uuid.uuid4().hex[:8]}"
    client.create_dataset(dataset)
    yield client, dataset
    client.delete_dataset(dataset, delete_contents=True, not_found_ok=True)
    del bigquery


def _session(db, sid: str, owner: str, *, last: datetime, expires: datetime, turns: list) -> None:
    ref = db.collection("sessions").document(sid)
    ref.set({"owner_uid": owner, "last_interaction_at": last, "expires_at": expires})
    for i, turn_expires in enumerate(turns):
        ref.collection("turns").document(f"t{i}").set(
            {"turn_index": i, "owner_uid": owner, "expires_at": turn_expires}
        )


def _turn_ids(db, sid: str) -> list[str]:
    return sorted(
        d.id for d in db.collection("sessions").document(sid).collection("turns").stream()
    )


def _exists(db, path: str) -> bool:
    return db.document(path).get().exists


def _seed_firestore(db) -> None:
    # Expired: the session and all its turns go.
    _session(
        db, "expired", "ada", last=NOW - 25 * HOUR, expires=NOW - HOUR, turns=[NOW - 2 * HOUR] * 3
    )
    # In use: kept, and so is its first turn although that turn's own expires_at has passed.
    _session(
        db,
        "live",
        "ada",
        last=NOW - HOUR,
        expires=NOW + 23 * HOUR,
        turns=[NOW - 2 * HOUR, NOW + 23 * HOUR],
    )
    # Turns whose session production TTL already deleted: orphans, deleted.
    db.document("sessions/gone/turns/t0").set({"turn_index": 0, "expires_at": NOW - 3 * HOUR})
    # Not expired (a long TTL) but past the owner's retention: ada keeps 30 days, bob 365.
    _session(
        db, "old-ada", "ada", last=NOW - 40 * DAY, expires=NOW + 10 * DAY, turns=[NOW + 10 * DAY]
    )
    _session(
        db, "old-bob", "bob", last=NOW - 40 * DAY, expires=NOW + 10 * DAY, turns=[NOW + 10 * DAY]
    )
    # In use every day for 40 days: ada's turns older than 30 days go, bob's stay.
    for owner in ("ada", "bob"):
        ref = db.document(f"sessions/long-{owner}")
        ref.set(
            {
                "owner_uid": owner,
                "created_at": NOW - 40 * DAY,
                "last_interaction_at": NOW - HOUR,
                "expires_at": NOW + 23 * HOUR,
            }
        )
        for i, age in enumerate([40 * DAY, HOUR]):
            turn = {"owner_uid": owner, "created_at": NOW - age, "expires_at": NOW - age + DAY}
            ref.collection("turns").document(f"t{i}").set(turn)
    # carl has no settings: the default 90 days.
    _session(db, "older-carl", "carl", last=NOW - 100 * DAY, expires=NOW + DAY, turns=[])
    _session(db, "old-carl", "carl", last=NOW - 40 * DAY, expires=NOW + DAY, turns=[])
    db.document("users/ada").set({"user_key": "k-ada", "settings": {"retention_days": 30}})
    db.document("users/bob").set({"user_key": "k-bob", "settings": {"retention_days": 365}})
    for collection in EXPIRING_COLLECTIONS:
        db.document(f"{collection}/expired").set({"expires_at": NOW - HOUR})
        db.document(f"{collection}/live").set({"expires_at": NOW + HOUR})
    # Erasures: one requested long enough ago to settle, one just now.
    asked = NOW - ERASURE_SETTLE - HOUR  # and the user's documents were gone a minute later
    db.document("erasures/k-erased").set(
        {
            "analytics": "pending",
            "firestore": "done",
            "requested_at": asked,
            "documents_gone_at": asked + timedelta(minutes=1),
        }
    )
    db.document("erasures/k-fresh").set(
        {"analytics": "pending", "firestore": "done", "requested_at": NOW - HOUR}
    )


def _seed_events(client, table_id: str) -> None:
    _insert_events(
        client,
        table_id,
        [
            ("k-ada", 10),
            ("k-ada", 40),  # 30 days: the second goes
            ("k-bob", 40),
            ("k-bob", 200),
            ("k-bob", 400),  # 365 days: the last goes
            ("k-carl", 40),
            ("k-carl", 100),  # default 90: the second goes
            (None, 400),  # anonymous: about nobody, kept
            ("k-erased", 2),
            ("k-erased", 3),
            ("k-fresh", 1),  # erasures: all go that happened before the request...
            ("k-erased", 0),  # ...and the user's rows since they signed in again stay
        ],
    )


def _insert_events(client, table_id: str, keys_and_ages: list[tuple[str | None, int]]) -> None:
    rows = [
        {
            "event_id": str(uuid.uuid4()),
            "type": "chat.turn.completed",
            "occurred_at": (NOW - age_days * DAY).isoformat(),
            "user_key": key,
        }
        for key, age_days in keys_and_ages
    ]
    assert client.insert_rows_json(table_id, rows) == []


def _rows(client, table_id: str) -> list[tuple]:
    query = f"SELECT user_key, occurred_at FROM `{table_id}` ORDER BY user_key, occurred_at"  # noqa: S608
    rows = client.query(query).result()
    return sorted((r["user_key"] or "", round((NOW - r["occurred_at"]) / DAY)) for r in rows)


def test_cleanup_deletes_expired_and_retained_data_and_a_second_run_nothing(
    db, bq, monkeypatch
) -> None:
    # The users who chose another retention are read a page at a time (1,000): pages of 1 here.
    monkeypatch.setattr("common.adapters.firestore_cleanup.USER_PAGE", 1)
    client, dataset = bq
    table_id = f"{client.project}.{dataset}.events"
    events_table(client, dataset)
    _seed_firestore(db)
    _seed_events(client, table_id)
    store = FirestoreCleanupStore(db)
    eraser = BigQueryAnalyticsEraser(client, dataset=dataset)

    report = run_cleanup(store=store, analytics=eraser, now=NOW, batch_size=2)

    assert report.sessions_deleted == 1 and report.turns_deleted == 3
    assert report.orphan_turns_deleted == 1
    assert report.expired_deleted == dict.fromkeys(EXPIRING_COLLECTIONS, 1)
    assert report.retention_sessions_deleted == 2  # old-ada (30 days), older-carl (90 days)
    assert report.retention_turns_deleted == 2  # old-ada's, and long-ada's 40-day-old turn
    assert report.complete
    sessions = sorted(d.id for d in db.collection("sessions").stream())
    assert sessions == ["live", "long-ada", "long-bob", "old-bob", "old-carl"]
    assert _turn_ids(db, "long-ada") == ["t1"] and _turn_ids(db, "long-bob") == ["t0", "t1"]
    assert _turn_ids(db, "live") == ["t0", "t1"]
    assert _turn_ids(db, "expired") == [] and _turn_ids(db, "gone") == []
    assert _turn_ids(db, "old-bob") == ["t0"]
    for collection in EXPIRING_COLLECTIONS:
        assert not _exists(db, f"{collection}/expired") and _exists(db, f"{collection}/live")

    assert report.analytics == {
        "status": "ok",
        "erasure_rows_deleted": 3,
        "erasures_completed": 1,
        "erasures_pending": 1,
        "retention_rows_deleted": 3,
    }
    assert _rows(client, table_id) == [
        ("", 400),
        ("k-ada", 10),
        ("k-bob", 40),
        ("k-bob", 200),
        ("k-carl", 40),
        ("k-erased", 0),
    ]
    erased = db.document("erasures/k-erased").get().to_dict()
    fresh = db.document("erasures/k-fresh").get().to_dict()
    assert erased["analytics"] == "done" and erased["analytics_completed_at"] == NOW
    # Events of a fresh erasure may still be in flight: rows are deleted, the erasure stays open.
    assert fresh["analytics"] == "pending" and fresh["analytics_last_run_at"] == NOW

    again = run_cleanup(store=store, analytics=eraser, now=NOW, batch_size=2)
    assert again.deleted == 0
    assert again.analytics["erasure_rows_deleted"] == 0
    assert again.analytics["retention_rows_deleted"] == 0
    assert again.analytics["erasures_pending"] == 1
    assert len(_rows(client, table_id)) == 6


def test_retention_reaches_the_rows_under_the_current_key_after_a_key_rotation(db, bq) -> None:
    # users/{uid}.user_key is written at a settings change, so after the analytics key is
    # rotated it names the rows from before the rotation, and the rows written since are under
    # the new key: the user's 30 days hold for both.
    client, dataset = bq
    table_id = f"{client.project}.{dataset}.events"
    events_table(client, dataset)
    current = user_key("dana", get_settings().analytics_hmac_key())
    db.document("users/dana").set({"user_key": "k-dana-old", "settings": {"retention_days": 30}})
    _insert_events(
        client, table_id, [(current, 10), (current, 40), ("k-dana-old", 10), ("k-dana-old", 40)]
    )

    report = run_cleanup(
        store=FirestoreCleanupStore(db),
        analytics=BigQueryAnalyticsEraser(client, dataset=dataset),
        now=NOW,
    )

    assert report.analytics["retention_rows_deleted"] == 2
    assert _rows(client, table_id) == sorted([(current, 10), ("k-dana-old", 10)])


def test_retention_for_many_users_sends_no_list_of_keys_in_the_statement(bq) -> None:
    # A request is at most 10 MB in production (some 200,000 keys as parameters): the users
    # who chose another retention go to the retention_choices table, which the DELETE reads.
    client, dataset = bq
    table_id = f"{client.project}.{dataset}.events"
    events_table(client, dataset)
    _insert_events(client, table_id, [("k-a", 10), ("k-a", 40), ("k-b", 200), ("k-c", 100)])
    sent: list = []

    class Spy:  # the real client, with the statements it sends noted
        project = client.project

        def __getattr__(self, name):
            return getattr(client, name)

        def query(self, sql, job_config=None, **kw):
            sent.append(job_config.query_parameters)
            return client.query(sql, job_config=job_config, **kw)

    many = [f"k-other-{i:05d}" for i in range(20_000)]
    deleted = BigQueryAnalyticsEraser(Spy(), dataset=dataset).delete_past_retention(
        now=NOW, keys_by_retention={30: ["k-a", *many], 365: ["k-b"]}, default_days=90
    )

    assert deleted == 2 and _rows(client, table_id) == [("k-a", 10), ("k-b", 200)]
    (params,) = sent
    assert all(p.__class__.__name__ == "ScalarQueryParameter" for p in params)
    choices = client.query(f"SELECT COUNT(*) AS n FROM `{dataset}.retention_choices`").result()  # noqa: S608
    assert next(iter(choices))["n"] == 20_002


def test_retention_out_of_time_deletes_nothing_and_is_the_next_runs(
    db, bq, monkeypatch, caplog
) -> None:
    # Past the run's budget the list of choices stops between pages, and a statement is not
    # begun after a load that took the time: the function's timeout must not cut the run.
    from common.cleanup import AnalyticsUnavailable
    from common.errors import Unavailable

    monkeypatch.setattr("common.adapters.firestore_cleanup.USER_PAGE", 1)
    client, dataset = bq
    table_id = f"{client.project}.{dataset}.events"
    events_table(client, dataset)
    _insert_events(client, table_id, [("k-a", 40), ("k-c", 100)])
    for uid, days in (("ada", 30), ("bob", 365)):
        db.document(f"users/{uid}").set({"settings": {"retention_days": days}})

    with pytest.raises(Unavailable), caplog.at_level(logging.ERROR):
        FirestoreCleanupStore(db).user_keys_by_retention(in_time=lambda: False)
    (told,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert told.needs_operator is True  # read from page one each run, it may never fit
    with pytest.raises(AnalyticsUnavailable):
        BigQueryAnalyticsEraser(client, dataset=dataset).delete_past_retention(
            now=NOW, keys_by_retention={30: ["k-a"]}, default_days=90, in_time=lambda: False
        )
    assert _rows(client, table_id) == [("k-a", 40), ("k-c", 100)]
    db.recursive_delete(db.collection("users"))


def test_a_run_stopped_at_its_bound_is_finished_by_the_next(db, bq) -> None:
    client, dataset = bq
    for i in range(5):
        _session(db, f"s{i}", "ada", last=NOW - 2 * DAY, expires=NOW - DAY, turns=[NOW - DAY])
    store = FirestoreCleanupStore(db)
    eraser = BigQueryAnalyticsEraser(client, dataset=dataset)

    first = run_cleanup(store=store, analytics=eraser, now=NOW, batch_size=2, max_batches=1)
    assert (first.sessions_deleted, first.complete) == (2, False)
    second = run_cleanup(store=store, analytics=eraser, now=NOW, batch_size=2, max_batches=5)
    assert (second.sessions_deleted, second.complete) == (3, True)
    turns = [r.turns_deleted + r.orphan_turns_deleted for r in (first, second)]
    assert sum(turns) == 5  # with their session, or as orphans of an expired session
    assert list(db.collection("sessions").stream()) == []
    assert list(db.collection_group("turns").stream()) == []
    assert run_cleanup(store=store, analytics=eraser, now=NOW, batch_size=2).deleted == 0


def test_a_missing_events_table_still_settles_erasures(db, bq) -> None:
    client, dataset = bq  # no events table in this dataset
    db.document("erasures/k-old").set(
        {"analytics": "pending", "requested_at": NOW - ERASURE_SETTLE - HOUR}
    )
    report = run_cleanup(
        store=FirestoreCleanupStore(db),
        analytics=BigQueryAnalyticsEraser(client, dataset=dataset),
        now=NOW,
    )
    assert report.analytics["status"] == "table_missing"
    assert report.analytics["erasures_completed"] == 1
    assert db.document("erasures/k-old").get().get("analytics") == "done"


def test_the_orphan_scan_goes_on_where_the_last_run_stopped(db, bq) -> None:
    client, dataset = bq
    # Old turns of a session still in use match the orphan query and stay; an orphan after them
    # is reached by the second run instead of never (each run used to start from the oldest).
    old = [NOW - (10 - i) * HOUR for i in range(4)]
    _session(db, "busy", "ada", last=NOW - HOUR, expires=NOW + 23 * HOUR, turns=old)
    db.document("sessions/gone/turns/t0").set({"turn_index": 0, "expires_at": NOW - HOUR})
    store = FirestoreCleanupStore(db)
    eraser = BigQueryAnalyticsEraser(client, dataset=dataset)

    first = run_cleanup(store=store, analytics=eraser, now=NOW, batch_size=2, max_batches=2)
    second = run_cleanup(store=store, analytics=eraser, now=NOW, batch_size=2, max_batches=2)

    assert (first.orphan_turns_deleted, first.complete) == (0, False)
    assert (second.orphan_turns_deleted, second.complete) == (1, True)
    assert _turn_ids(db, "busy") == ["t0", "t1", "t2", "t3"] and _turn_ids(db, "gone") == []
    assert db.document("jobs/session_cleanup").get().get("orphan_scan_from") is None


class TurnDuringCleanup(FirestoreCleanupStore):
    """A chat turn commits to the session between the cleanup's query and its delete."""

    def _endings(self, snaps, now):
        for snap in snaps:
            snap.reference.update({"expires_at": NOW + DAY, "turn_count": 2})
        return super()._endings(snaps, now)


def test_a_session_extended_while_it_is_expired_stays_with_its_turns(db, bq) -> None:
    client, dataset = bq
    _session(db, "racing", "ada", last=NOW - 25 * HOUR, expires=NOW - HOUR, turns=[NOW - HOUR])
    db.document("sessions/racing").update({"created_at": NOW - 26 * HOUR})  # a readable state
    store = TurnDuringCleanup(db)

    report = run_cleanup(
        store=store, analytics=BigQueryAnalyticsEraser(client, dataset=dataset), now=NOW
    )

    assert (report.sessions_deleted, report.turns_deleted) == (0, 0)
    assert _exists(db, "sessions/racing") and _turn_ids(db, "racing") == ["t0"]
    assert list(db.collection("outbox").stream()) == []  # no session.ended for it


class TurnDuringRetention(FirestoreCleanupStore):
    """With a long SESSION_TTL_HOURS a session past retention is still open: its user writes
    in it between the retention scan's query and its delete."""

    def delete_sessions(self, due):
        for session, _ in due:
            ref = self._db.collection("sessions").document(session.session_id)
            ref.collection("turns").document("t9").set({"turn_index": 9, "created_at": NOW})
            ref.update({"last_interaction_at": NOW, "expires_at": NOW + 30 * DAY})
        return super().delete_sessions(due)


def test_a_session_a_turn_reached_while_retention_deletes_it_stays_with_that_turn(db, bq) -> None:
    client, dataset = bq
    old = NOW - 45 * DAY
    _session(db, "back", "ada", last=old, expires=NOW + DAY, turns=[NOW + DAY])
    db.document("sessions/back/turns/t0").update({"created_at": old})
    db.collection("users").document("ada").set({"settings": {"retention_days": 30}})

    report = run_cleanup(
        store=TurnDuringRetention(db),
        analytics=BigQueryAnalyticsEraser(client, dataset=dataset),
        now=NOW,
    )

    assert report.retention_sessions_deleted == 0 and report.retention_sessions_changed == 1
    assert _exists(db, "sessions/back") and _turn_ids(db, "back") == ["t9"]  # t0: past 30 days


class ErasureDuringCleanup(FirestoreCleanupStore):
    """Between the cleanup's read and its write: a user's erasure marks their expired activity
    record (and drops its expiry), and a returning user's new erasure resets their record."""

    def _write_unchanged(self, writes):
        for ref, _, _ in writes:
            if ref.id == "ada":
                ref.set({"erased_at": NOW})  # as the erasure marks it: no expires_at
            if ref.id == "k-again":
                ref.set({"analytics": "pending", "requested_at": NOW})
        return super()._write_unchanged(writes)


def test_what_an_erasure_writes_while_the_cleanup_runs_is_not_undone(db, bq) -> None:
    client, dataset = bq
    for uid in ("ada", "bob"):
        db.document(f"activity/{uid}").set({"recent": "[]", "expires_at": NOW - HOUR})
    for key in ("k-again", "k-old"):
        db.document(f"erasures/{key}").set(
            {"analytics": "pending", "requested_at": NOW - ERASURE_SETTLE - HOUR}
        )
    report = run_cleanup(
        store=ErasureDuringCleanup(db),
        analytics=BigQueryAnalyticsEraser(client, dataset=dataset),  # no table: settles both
        now=NOW,
    )
    # the mark stays (a turn or device registration now would be refused), the idle user's goes
    assert db.document("activity/ada").get().to_dict() == {"erased_at": NOW}
    assert not _exists(db, "activity/bob")
    assert report.expired_deleted["activity"] == 1
    # the new erasure is not marked done by the run that settled the old one
    assert db.document("erasures/k-again").get().get("analytics") == "pending"
    assert db.document("erasures/k-old").get().get("analytics") == "done"


def test_retention_takes_older_words_out_of_a_session_still_in_use(db, bq, monkeypatch) -> None:
    # A 30-day user who has come back to one conversation for 40 days: the turns from before
    # the cutoff go, and so do their words in the session document (its window, and the
    # summary of the turns that left the window: what the user said they tried).
    from common.adapters.firestore_sessions import decode_session, encode_session
    from common.sessions.state import WindowTurn, append_turn, new_session

    # Turns are read and deleted a page at a time (300): pages of 1 here, so that the summary
    # folded again from the turns left is read across pages.
    monkeypatch.setattr("common.adapters.firestore_cleanup.TURN_PAGE", 1)
    client, dataset = bq
    ref = db.document("sessions/daily")
    state = new_session(session_id="daily", owner_uid="ada", now=NOW - 40 * DAY, ttl=2 * DAY)
    said = [(40, "I tried calling my landlord about the lease"), (39, "still nothing"),
            (2, "I tried the gym"), (1, "fine"), (0.5, "and now?"), (0.1, "thanks")]  # fmt: skip
    for i, (days, message) in enumerate(said):
        at = NOW - days * DAY
        turn = WindowTurn(f"t{i}", i, message, "a reply", "lua", at)
        state = append_turn(state, turn, now=at, ttl=2 * DAY, window_size=2, persona_scores={})
        ref.collection("turns").document(turn.turn_id).set(
            {**turn.to_dict(), "owner_uid": "ada", "expires_at": NOW + DAY}
        )
    ref.set(encode_session(state))
    assert "calling my landlord about the lease" in state.summary.tried
    db.document("users/ada").set({"user_key": "k-ada", "settings": {"retention_days": 30}})
    store = FirestoreCleanupStore(db)
    eraser = BigQueryAnalyticsEraser(client, dataset=dataset)

    report = run_cleanup(store=store, analytics=eraser, now=NOW)

    assert report.retention_turns_deleted == 2 and report.retention_sessions_trimmed == 1
    assert _turn_ids(db, "daily") == ["t2", "t3", "t4", "t5"]
    after = decode_session({**ref.get().to_dict(), "session_id": "daily"})
    assert after.summary.tried == ("the gym",) and after.summary.turns_folded == 2
    assert after.summary.since == NOW - 2 * DAY
    assert [t.turn_id for t in after.window] == ["t4", "t5"]
    assert (after.turn_count, after.last_interaction_at) == (6, state.last_interaction_at)
    again = run_cleanup(store=store, analytics=eraser, now=NOW)
    assert again.retention_sessions_trimmed == 0 and again.retention_turns_deleted == 0


def test_the_retention_scan_goes_on_where_the_last_run_stopped(db, bq) -> None:
    # A 365-day user's sessions, older than a 30-day user's, fill each run's one batch of 3:
    # started over from the oldest every run, the 30-day user's sessions were never reached.
    client, dataset = bq
    for i in range(4):
        _session(db, f"long-{i}", "bob", last=NOW - 50 * DAY + i * HOUR, expires=NOW + DAY,
                 turns=[])  # fmt: skip
    for i in range(2):
        _session(db, f"short-{i}", "ada", last=NOW - 40 * DAY + i * HOUR, expires=NOW + DAY,
                 turns=[NOW + DAY])  # fmt: skip
    db.document("users/ada").set({"user_key": "k-ada", "settings": {"retention_days": 30}})
    db.document("users/bob").set({"user_key": "k-bob", "settings": {"retention_days": 365}})
    store = FirestoreCleanupStore(db)
    eraser = BigQueryAnalyticsEraser(client, dataset=dataset)

    runs = [
        run_cleanup(store=store, analytics=eraser, now=NOW, batch_size=3, max_batches=1)
        for _ in range(3)
    ]

    assert [r.retention_sessions_deleted for r in runs] == [0, 1, 1]
    assert sorted(d.id for d in db.collection("sessions").stream()) == [
        f"long-{i}" for i in range(4)
    ]
    assert _turn_ids(db, "short-0") == _turn_ids(db, "short-1") == []
    assert db.document("jobs/session_cleanup").get().get("retention_sessions_from") is None


def test_a_session_of_a_user_being_erased_is_left_to_the_erasure(db, bq) -> None:
    # Ended by the cleanup, its session.ended (dated by the run, after the user asked to be
    # erased) could reach the profile updater after the erasure deleted the preferences, and
    # bring them back (the crash-consistency review, 2026-12-05).
    from common.adapters.firestore_sessions import encode_session
    from common.sessions.state import new_session

    client, dataset = bq
    # Eve's three expired first: a batch of 2 that skipped them used to end the phase there.
    for sid, owner, days in (("eve1", "eve", 3), ("eve2", "eve", 3), ("eve3", "eve", 3),
                             ("bob1", "bob", 2), ("bob2", "bob", 2)):  # fmt: skip
        state = new_session(session_id=sid, owner_uid=owner, now=NOW - days * DAY, ttl=DAY)
        db.document(f"sessions/{sid}").set(encode_session(state))
    db.document("activity/eve").set({"erased_at": NOW - timedelta(minutes=1)})  # running

    report = run_cleanup(
        store=FirestoreCleanupStore(db),
        analytics=BigQueryAnalyticsEraser(client, dataset=dataset),
        now=NOW,
        batch_size=2,
    )

    assert [_exists(db, f"sessions/eve{i}") for i in (1, 2, 3)] == [True] * 3
    assert not _exists(db, "sessions/bob1") and not _exists(db, "sessions/bob2")
    assert report.sessions_deleted == 2
    ended = sorted(d.to_dict()["session_id"] for d in db.collection("outbox").stream())
    assert ended == ["bob1", "bob2"]


def test_a_session_that_went_out_anonymous_ends_anonymous(db, bq) -> None:
    # Its user turned anonymise off before it expired: a keyed session.ended would carry the
    # raw session id and counts matching its anonymous rows (the lifecycle review).
    import json

    from common.adapters.firestore_sessions import encode_session
    from common.sessions.state import new_session

    client, dataset = bq
    db.document("users/cat").set({"user_key": "k-cat", "settings": {"anonymize_analytics": False}})
    for sid, anonymous in (("cat-anon", True), ("cat-keyed", False)):
        state = new_session(session_id=sid, owner_uid="cat", now=NOW - 2 * DAY, ttl=DAY)
        db.document(f"sessions/{sid}").set(encode_session(replace(state, anonymous=anonymous)))

    run_cleanup(
        store=FirestoreCleanupStore(db),
        analytics=BigQueryAnalyticsEraser(client, dataset=dataset),
        now=NOW,
    )

    ended = [json.loads(d.to_dict()["envelope"]) for d in db.collection("outbox").stream()]
    by_key = {e["user_key"] is None: e["session_id"] for e in ended}
    assert by_key[False] == "cat-keyed"
    assert by_key[True] not in ("cat-anon", "cat-keyed")  # its anonymous id


def test_the_day_counters_of_a_user_who_stopped_go_and_what_was_learned_stays(db, bq) -> None:
    # A profile is trimmed of days past 8 when its next event is applied; a user who stopped
    # sends none, so the cleanup drops the counters once every day in them is past.
    from common.adapters.firestore_profiles import FirestorePreferenceWriter
    from common.profile.updater import day_key

    client, dataset = bq
    writer = FirestorePreferenceWriter(db)
    for subject, at in (("gone", NOW - 9 * DAY), ("back", NOW - 2 * DAY)):
        day = day_key(at)
        increments = {f"daily.{day}.turns": 1.0, "stats.lua.alpha": 1.0}
        assert writer.apply(
            subject=subject, event_id=f"e-{subject}", increments=increments, occurred_at=at, now=at
        )
    store, eraser = FirestoreCleanupStore(db), BigQueryAnalyticsEraser(client, dataset=dataset)

    report = run_cleanup(store=store, analytics=eraser, now=NOW)

    gone, back = (db.document(f"preferences/{s}").get().to_dict() for s in ("gone", "back"))
    assert report.daily_counters_dropped == 1
    assert "daily" not in gone and "daily_until" not in gone
    assert gone["stats"]["lua"]["alpha"] == 1.0  # what was learned is kept
    assert set(back["daily"]) == {day_key(NOW - 2 * DAY)}
    assert run_cleanup(store=store, analytics=eraser, now=NOW).daily_counters_dropped == 0
    db.recursive_delete(db.collection("preferences"))


def test_day_counters_written_before_they_were_stamped_are_found_once(db, bq) -> None:
    # Profiles from before the writer stamped daily_until: a one-time pass stamps them from
    # their newest day, and those of users gone past 8 days lose their counters.
    from common.adapters.firestore_cleanup import DAILY_BACKFILL
    from common.profile.updater import day_key

    client, dataset = bq
    old, recent = day_key(NOW - 20 * DAY), day_key(NOW - 3 * DAY)
    db.document("preferences/gone").set({"daily": {old: {"turns": 2}}, "turns": 4})
    db.document("preferences/back").set({"daily": {old: {"turns": 1}, recent: {"turns": 1}}})
    db.document("preferences/none").set({"turns": 1})
    store, eraser = FirestoreCleanupStore(db), BigQueryAnalyticsEraser(client, dataset=dataset)

    report = run_cleanup(store=store, analytics=eraser, now=NOW, batch_size=2)

    gone, back, none = (
        db.document(f"preferences/{k}").get().to_dict() for k in ("gone", "back", "none")
    )
    assert report.daily_counters_dropped == 1 and gone == {"turns": 4}
    assert back["daily_until"] == datetime(2026, 6, 6, tzinfo=UTC)  # 3 days ago + 8 days
    assert back["daily"] == {recent: {"turns": 1}}  # the day past 8 is dropped at once
    assert none == {"turns": 1}
    assert store.scan_start(DAILY_BACKFILL) is True  # the pass is over: never read again
    db.recursive_delete(db.collection("preferences"))


def test_a_profile_not_updated_for_longer_than_its_owners_retention_goes(db, bq) -> None:
    # A user who wrote once and never came back kept what was learned about them for good: it
    # now goes once it is older than their retention (the default 90 days: no settings here).
    from common.adapters.firestore_profiles import FirestorePreferenceWriter

    client, dataset = bq
    writer = FirestorePreferenceWriter(db)
    for subject, at in (("left", NOW - 91 * DAY), ("stays", NOW - 89 * DAY)):
        increments = {"turns": 1.0, "stats.lua.alpha": 1.0}
        assert writer.apply(
            subject=subject, event_id=f"e-{subject}", increments=increments, occurred_at=at, now=at
        )
    store, eraser = FirestoreCleanupStore(db), BigQueryAnalyticsEraser(client, dataset=dataset)

    report = run_cleanup(store=store, analytics=eraser, now=NOW)

    assert report.retention_profiles_deleted == 1
    assert not db.document("preferences/left").get().exists
    assert db.document("preferences/stays").get().to_dict()["stats"]["lua"]["alpha"] == 1.0
    assert run_cleanup(store=store, analytics=eraser, now=NOW).retention_profiles_deleted == 0
    db.recursive_delete(db.collection("preferences"))


def test_a_notice_older_than_its_owners_retention_goes_and_the_rest_of_the_user_stays(
    db, bq
) -> None:
    # users/{uid}.notices (the last weekly insight and nudge enqueued for the user) outlived
    # every retention setting. Written as the producers write them (common.notifications.models
    # .notice, merged into the user's document by FirestoreAudienceStore.enqueue).
    from common.notifications.models import NOTICES, REENGAGEMENT, WEEKLY_INSIGHT, notice

    client, dataset = bq
    users = {
        "ada": ({"retention_days": 30}, 31, 2),  # the nudge 31 days ago goes, this week's stays
        "carl": ({}, 45, 2),  # the default 90 days: both stay
    }
    for uid, (settings, nudged, told) in users.items():
        db.document(f"users/{uid}").set({"settings": settings, "user_key": f"k-{uid}"})
        notices = {
            REENGAGEMENT: notice("2026-04-17", "reengagement.x", NOW - nudged * DAY),
            WEEKLY_INSIGHT: notice("2026-W22", "weekly_insight.y", NOW - told * DAY),
        }
        db.document(f"users/{uid}").set({NOTICES: notices}, merge=True)
    store, eraser = FirestoreCleanupStore(db), BigQueryAnalyticsEraser(client, dataset=dataset)

    report = run_cleanup(store=store, analytics=eraser, now=NOW)

    ada, carl = (db.document(f"users/{uid}").get().to_dict() for uid in ("ada", "carl"))
    assert report.retention_notices_deleted == 1
    assert set(ada[NOTICES]) == {WEEKLY_INSIGHT} and ada["settings"] == {"retention_days": 30}
    assert set(carl[NOTICES]) == {REENGAGEMENT, WEEKLY_INSIGHT}
    assert run_cleanup(store=store, analytics=eraser, now=NOW).retention_notices_deleted == 0
    db.recursive_delete(db.collection("users"))
