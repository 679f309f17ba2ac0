"""FirestoreCleanupStore against Firestore's RPCs (tests/fakes/firestore_rpc.py): the retention
phase deletes a session past its owner's retention only if no turn changed it since the scan
read it. With a long SESSION_TTL_HOURS such a session is still open, and a turn committed
between the scan and the delete was deleted with it (or left without its session). A learned
profile past its owner's retention goes on the same condition. Expired sessions go a page to a
commit, on the same condition, with their session.ended events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from common.adapters.firestore_cleanup import FirestoreCleanupStore
from common.adapters.firestore_sessions import encode_session
from common.cleanup import SessionRef
from common.sessions.state import new_session
from tests.fakes.firestore_rpc import FirestoreRpc

NOW = datetime(2026, 12, 6, 2, 17, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=30)  # the owner's retention
LAST = NOW - timedelta(days=45)
SESSION = "sessions/s1"
DAY = timedelta(days=1)


def _scanned(rpc: FirestoreRpc) -> SessionRef:
    """The session as the retention scan (inactive_sessions) read it."""
    return SessionRef("s1", "u1", LAST, at=LAST, version=rpc.versions[SESSION])


def test_a_session_past_retention_is_deleted_if_unchanged_since_read():
    rpc = FirestoreRpc({SESSION: {"owner_uid": "u1", "last_interaction_at": LAST}})
    store = FirestoreCleanupStore(rpc.client)

    assert store.delete_sessions([(_scanned(rpc), CUTOFF)]) == (1, 0, 0)

    assert SESSION not in rpc.docs
    (delete,) = rpc.written(SESSION)
    assert delete.current_document.update_time  # only as read


def test_a_session_a_turn_reached_after_the_scan_read_it_stays_with_that_turn():
    rpc = FirestoreRpc({SESSION: {"owner_uid": "u1", "last_interaction_at": LAST}})
    store = FirestoreCleanupStore(rpc.client)
    scanned = _scanned(rpc)
    # The user comes back to the conversation: the turn commits with the session's update.
    rpc.put(SESSION, {"owner_uid": "u1", "last_interaction_at": NOW})
    rpc.put(f"{SESSION}/turns/t9", {"created_at": NOW, "message": "I'm back"})

    assert store.delete_sessions([(scanned, CUTOFF)]) == (0, 0, 1)

    assert SESSION in rpc.docs and f"{SESSION}/turns/t9" in rpc.docs


def _expired(sessions: int, turns: int) -> dict[str, dict]:
    """Sessions that expired an hour ago (a day after their start), `turns` turns each."""
    docs = {}
    for i in range(sessions):
        started = NOW - timedelta(hours=25)
        state = new_session(session_id=f"s{i:03d}", owner_uid=f"u{i % 7}", now=started, ttl=DAY)
        docs[f"sessions/s{i:03d}"] = encode_session(state)
        for t in range(turns):
            docs[f"sessions/s{i:03d}/turns/t{t}"] = {"turn_index": t, "owner_uid": f"u{i % 7}"}
    return docs


def _ended(rpc: FirestoreRpc) -> list[str]:
    """The sessions a session.ended event in the outbox is about."""
    out = [json.loads(d["envelope"]) for p, d in rpc.docs.items() if p.startswith("outbox/")]
    return sorted(e["session_id"] for e in out if e["type"] == "session.ended")


def test_a_page_of_expired_sessions_ends_in_one_commit_and_its_turns_in_a_few():
    # One session at a time (its delete with its event, then a query and a commit for its
    # turns, each waited for in turn), 200 sessions took 600 round trips: a run's 360 s at
    # 14-31 ms each ended 4,000-8,600 sessions an hour, far below what 1 M events an hour need.
    rpc = FirestoreRpc(_expired(200, 8), queries=True)
    store = FirestoreCleanupStore(rpc.client)

    assert store.delete_expired_sessions(now=NOW, limit=200) == (200, 1600)

    assert not [p for p in rpc.docs if p.startswith("sessions/")]
    assert _ended(rpc) == [f"s{i:03d}" for i in range(200)]
    first = rpc.commits[0]  # each session's delete, only as read, with its event
    deletes = [w for w in first if w.delete]
    assert len(deletes) == 200 and all(w.current_document.update_time for w in deletes)
    assert len(first) == 400
    # the page's query and its owners' records, that commit, a query per session's turns
    # (16 at once), and the 1,600 turns' deletes in commits of 400
    assert rpc.calls == {"run_query": 201, "batch_get_documents": 1, "commit": 5}
    assert store.delete_expired_sessions(now=NOW, limit=200) == (0, 0)  # nothing left to do


def test_an_expired_session_a_turn_extended_since_the_query_stays_with_its_turns():
    rpc = FirestoreRpc(_expired(6, 2), queries=True)
    store = FirestoreCleanupStore(rpc.client)
    extended = {**rpc.docs["sessions/s000"], "expires_at": NOW + DAY}

    def a_turn_lands(writes):  # the user writes in s000 as the page's commit arrives
        rpc.before_commit = lambda writes: None
        rpc.put("sessions/s000", extended)

    rpc.before_commit = a_turn_lands

    # Limit 3: s000 stays, so the next page's first session makes three.
    assert store.delete_expired_sessions(now=NOW, limit=3) == (3, 6)

    assert _ended(rpc) == ["s001", "s002", "s003"]  # no session.ended for s000
    left = sorted(p for p in rpc.docs if p.startswith("sessions/"))
    assert left[:3] == ["sessions/s000", "sessions/s000/turns/t0", "sessions/s000/turns/t1"]
    assert [p for p in left if p.count("/") == 1] == [f"sessions/s00{i}" for i in (0, 4, 5)]


def test_the_roll_back_notes_re_arm_the_daily_until_pass_where_the_store_keeps_it():
    """After a roll-forward from code older than 7ec861d the operator deletes the one-time
    daily_until pass's flag (docs/OPERATIONS.md, "Not past these commits"): the command must
    name the document and field the store reads, or the pass stays done."""
    from pathlib import Path

    from common.adapters.firestore_cleanup import DAILY_BACKFILL, JOB_STATE

    operations = Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md"
    field = f"{DAILY_BACKFILL}_from"
    assert f"/documents/{JOB_STATE}?updateMask.fieldPaths={field}" in operations.read_text()
    rpc = FirestoreRpc({JOB_STATE: {field: True}})
    assert FirestoreCleanupStore(rpc.client).stamp_daily_until(now=NOW, limit=10) is True
    rpc.docs[JOB_STATE].pop(field)  # what the command does
    assert FirestoreCleanupStore(rpc.client).scan_start(DAILY_BACKFILL) is None


def test_full_pass_stamps_are_kept_in_the_job_state_beside_the_scan_cursors():
    from common.adapters.firestore_cleanup import JOB_STATE

    rpc = FirestoreRpc({JOB_STATE: {"orphan_scan_from": NOW}})
    store = FirestoreCleanupStore(rpc.client)
    assert store.pass_started("orphan_scan") is None and store.sweep_pass_started("users") is None
    store.save_pass_started("orphan_scan", NOW)
    store.save_sweep_pass_started("users", NOW)
    assert store.pass_started("orphan_scan") == NOW and store.sweep_pass_started("users") == NOW
    state = rpc.docs[JOB_STATE]
    assert state["orphan_scan_pass_at"] == state["account_sweep_users_pass_at"] == NOW
    assert state["orphan_scan_from"] == NOW  # merged: the cursors stay


def test_a_page_of_expired_sessions_whose_commit_answer_was_lost_is_still_ended_whole():
    # The commit went in but its answer was lost: the client's retry met the page's own deletes
    # (a changed precondition), and every session was taken for one another writer changed. The
    # run reported none ended and left their turns to the orphan scan, after a commit apiece.
    rpc = FirestoreRpc(_expired(20, 2), queries=True)
    lost = rpc.first_answer_lost()
    store = FirestoreCleanupStore(rpc.client)

    assert store.delete_expired_sessions(now=NOW, limit=200) == (20, 40)

    assert lost and not [p for p in rpc.docs if p.startswith("sessions/")]
    assert _ended(rpc) == [f"s{i:03d}" for i in range(20)]
    # the page's commit twice (the lost answer and the retry), one read of its documents to
    # judge, and the turns' commit: none sent again one at a time
    assert rpc.calls == {"run_query": 21, "batch_get_documents": 2, "commit": 3}


def test_a_learned_profile_past_retention_goes_only_if_no_event_was_applied_since_read():
    # The retention scan reads the stamp alone (a profile's counts can be large) and deletes
    # each profile only as read: one the profile updater wrote meanwhile (the user is back) stays.
    old = NOW - timedelta(days=100)
    rpc = FirestoreRpc(
        {
            "preferences/k1": {"turns": 1.0, "stats": {"nana": {"alpha": 0.2}}, "updated_at": old},
            "preferences/k1/applied_events/e1": {"applied_at": old, "expires_at": old + 39 * DAY},
            "preferences/k2": {"turns": 3.0, "updated_at": old},
        },
        queries=True,
    )
    store = FirestoreCleanupStore(rpc.client)

    profiles, cursor = store.profiles_updated_before(
        before=CUTOFF, limit=10, cursor=None, since=None
    )
    assert [(p.user_key, p.updated_at) for p in profiles] == [("k1", old), ("k2", old)]
    assert cursor is None
    (query,) = rpc.sent
    assert [f.field_path for f in query.select.fields] == ["updated_at"]
    assert [o.field.field_path for o in query.order_by] == ["updated_at"]

    rpc.put("preferences/k2", {"turns": 4.0, "updated_at": NOW})  # an event applied meanwhile
    assert store.delete_profiles(profiles) == 1

    assert "preferences/k1" not in rpc.docs and rpc.docs["preferences/k2"]["turns"] == 4.0
    # its event markers stay to their TTL: a redelivered event is still not learned twice
    assert "preferences/k1/applied_events/e1" in rpc.docs


def test_the_profile_scan_since_a_time_asks_only_for_the_profiles_updated_from_then_on():
    # Between two full passes the retention scan reads only what is new since the last one. The
    # fake ignores filters, so the query as sent is what says which profiles it reads.
    since = NOW - timedelta(days=36)
    rpc = FirestoreRpc()

    FirestoreCleanupStore(rpc.client).profiles_updated_before(
        before=CUTOFF, limit=10, cursor=None, since=since
    )

    (query,) = rpc.sent
    conditions = [f.field_filter for f in query.where.composite_filter.filters]
    assert sorted((c.field.field_path, c.op.name, c.value.timestamp_value) for c in conditions) == [
        ("updated_at", "GREATER_THAN_OR_EQUAL", since),
        ("updated_at", "LESS_THAN", CUTOFF),
    ]


def test_a_summary_whose_words_passed_retention_within_the_grace_is_not_folded_again():
    # Folding the summary again reads every turn that left the window (16,000 for a turn every
    # 8 minutes at 90 days): a conversation in daily use has one more past the cutoff each
    # hour, and was folded again on every hourly run.
    from common.sessions.state import WindowTurn, append_turn

    state = new_session(session_id="s1", owner_uid="u1", now=CUTOFF - DAY, ttl=DAY)
    for i, at in enumerate([CUTOFF - timedelta(hours=2)] * 2 + [NOW] * 5):
        turn = WindowTurn(f"t{i}", i, "I tried the gym", "a reply", "lua", at)
        state = append_turn(state, turn, now=at, ttl=DAY, window_size=5, persona_scores={})
    rpc = FirestoreRpc({SESSION: encode_session(state)})
    store = FirestoreCleanupStore(rpc.client)

    assert store.forget_before("s1", CUTOFF, grace=DAY) is False
    assert rpc.calls == {"batch_get_documents": 1}  # the session document alone

    assert store.forget_before("s1", CUTOFF, grace=timedelta(hours=1)) is True
    assert rpc.calls["run_query"] == 1 and rpc.docs[SESSION]["summary"]["turns_folded"] == 0


def test_a_notice_past_retention_goes_alone_and_only_if_no_producer_wrote_since_read():
    # The notices scan reads each user's settings with their notices (the owner's retention is
    # in the same document) and deletes the one notice, only as read: a producer's run that
    # enqueued a new one meanwhile keeps it.
    old = NOW - timedelta(days=40)
    notice = {"period": "2026-W40", "notification_id": "reengagement.x", "enqueued_at": old}
    weekly = {"period": "2026-W48", "notification_id": "weekly_insight.y", "enqueued_at": NOW}
    rpc = FirestoreRpc(
        {
            "users/u1": {
                "settings": {"retention_days": 30, "timezone": "Asia/Tokyo"},
                "notices": {"reengagement": notice, "weekly_insight": weekly},
            },
            "users/u2": {"notices": {"reengagement": notice}},  # the default 90 days
            "users/u3": {"settings": {"retention_days": 30}, "notices": {"reengagement": notice}},
        },
        queries=True,
    )
    store = FirestoreCleanupStore(rpc.client)

    notices, cursor = store.notices_enqueued_before(
        "reengagement", before=CUTOFF, limit=10, cursor=None, since=None
    )

    assert [(n.uid, n.kind, n.enqueued_at, n.retention_days) for n in notices] == [
        ("u1", "reengagement", old, 30),
        ("u2", "reengagement", old, 90),
        ("u3", "reengagement", old, 30),
    ]
    assert cursor is None
    (query,) = rpc.sent
    assert [o.field.field_path for o in query.order_by] == ["notices.reengagement.enqueued_at"]
    newer = {**notice, "period": "2026-W49", "enqueued_at": NOW}
    rpc.put("users/u3", {"settings": {"retention_days": 30}, "notices": {"reengagement": newer}})
    assert store.delete_notices([notices[0], notices[2]]) == 1

    assert rpc.docs["users/u1"] == {
        "settings": {"retention_days": 30, "timezone": "Asia/Tokyo"},
        "notices": {"weekly_insight": weekly},
    }
    assert rpc.docs["users/u3"]["notices"]["reengagement"] == newer
