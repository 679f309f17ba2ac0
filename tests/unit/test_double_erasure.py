"""Two erasures of one user at once (DELETE /v2/profile sent again while the first runs), against
Firestore's RPCs (tests/fakes/firestore_rpc.py): the first run's last write replaced the activity
record with its tombstone, taking away the second's mark, and set the erasure record `done`
while the second still deleted. Only one runs now: the other is a 409 erasure_in_progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.adapters.firestore_cleanup import FirestoreCleanupStore
from common.adapters.firestore_profiles import erase_user
from common.errors import ErasureInProgress
from common.profile.erasure import BY_USER, ERASING, ERASURE_DONE, ERASURE_RESUME_AFTER
from tests.fakes.firestore_rpc import FirestoreRpc

FIRST = datetime(2026, 12, 6, 12, tzinfo=UTC)
UID, UKEY = "u1", "k1"
ACTIVITY, RECORD = f"activity/{UID}", f"erasures/{UKEY}"


def _erase(rpc: FirestoreRpc, now: datetime) -> dict[str, int]:
    return erase_user(rpc.client, uid=UID, ukey=UKEY, now=now, requested_by=BY_USER)


def _running(began: datetime) -> dict[str, dict]:
    """What a run that began at `began` has written by the time it deletes."""
    record = {"requested_at": began, "analytics": "pending", "firestore": "in_progress", "uid": UID}
    return {ACTIVITY: {ERASING: began}, RECORD: record}


def test_a_delete_sent_again_while_the_erasure_runs_is_refused():
    rpc = FirestoreRpc(_running(FIRST))
    before = {path: dict(doc) for path, doc in rpc.docs.items()}
    with pytest.raises(ErasureInProgress) as refused:
        _erase(rpc, FIRST + timedelta(seconds=40))
    assert refused.value.status == 409 and refused.value.retry_after == 5
    assert rpc.commits == [] and rpc.docs == before  # the first run's mark and record stand


@pytest.mark.parametrize("had_activity", [False, True])
def test_of_two_erasures_begun_at_once_the_second_to_write_its_mark_is_refused(had_activity):
    # Both read before either wrote; the first's mark lands just before the second's.
    rpc = FirestoreRpc({ACTIVITY: {"recent": "[]"}} if had_activity else {})

    def first_lands(writes):
        rpc.before_commit = lambda writes: None
        for path, doc in _running(FIRST).items():
            rpc.put(path, doc)

    rpc.before_commit = first_lands
    with pytest.raises(ErasureInProgress):
        _erase(rpc, FIRST + timedelta(milliseconds=5))
    assert rpc.commits == []  # neither its record nor its mark was written
    assert rpc.docs[RECORD]["requested_at"] == FIRST and rpc.docs[ACTIVITY] == {ERASING: FIRST}


def test_an_erasure_cut_off_long_enough_ago_is_finished_by_a_delete_sent_again():
    # Past ERASURE_RESUME_AFTER no request can still be running it (the function's timeout),
    # as the cleanup job judges too.
    rpc = FirestoreRpc(_running(FIRST))
    later = FIRST + ERASURE_RESUME_AFTER + timedelta(seconds=1)
    _erase(rpc, later)
    assert rpc.docs[ACTIVITY][ERASURE_DONE] == later and ERASING not in rpc.docs[ACTIVITY]
    assert rpc.docs[RECORD]["firestore"] == "done" and rpc.docs[RECORD]["requested_at"] == later


def test_a_turn_that_changes_the_activity_record_meanwhile_only_makes_the_erasure_read_again():
    rpc = FirestoreRpc({ACTIVITY: {"recent": "[]"}})

    def a_turn_lands(writes):
        rpc.before_commit = lambda writes: None
        rpc.put(ACTIVITY, {"recent": '[["2026-12-06T12:00:00+00:00","h"]]'})

    rpc.before_commit = a_turn_lands
    _erase(rpc, FIRST)
    assert rpc.docs[ACTIVITY][ERASURE_DONE] == FIRST
    assert rpc.docs[RECORD]["firestore"] == "done"


@pytest.mark.parametrize("had_activity", [False, True])
def test_an_erasure_whose_mark_landed_but_whose_answer_was_lost_is_not_refused_by_its_own_mark(
    had_activity,
):
    # The retry is refused by the batch's own writes (the mark is created, or updated on the
    # record's update time), and the re-read finds this run's mark, which must not be taken
    # for another run's.
    rpc = FirestoreRpc({ACTIVITY: {"recent": "[]"}} if had_activity else {})
    lost = rpc.first_answer_lost()
    _erase(rpc, FIRST)
    assert lost and rpc.docs[ACTIVITY][ERASURE_DONE] == FIRST
    assert rpc.docs[RECORD]["firestore"] == "done"


# The cleanup job lists the erasures still in progress when its run begins, and finishes those
# cut off (common.cleanup), each with the requested_at it listed.
LISTED_AT = FIRST + ERASURE_RESUME_AFTER + timedelta(minutes=5)  # the job's run: its `now`


def _finish(rpc: FirestoreRpc, requested_at: datetime | None) -> bool:
    store = FirestoreCleanupStore(rpc.client)
    return store.finish_erasure(
        uid=UID, user_key=UKEY, requested_at=requested_at, now=LISTED_AT, in_time=lambda: True
    )


def test_the_cleanup_job_leaves_alone_an_erasure_a_delete_sent_again_finished_since_listed():
    # Run again, it deleted what the user stored after that DELETE, and dated the erasure and
    # its tombstone back to when the job's run began.
    rpc = FirestoreRpc(_running(FIRST))
    _erase(rpc, LISTED_AT + timedelta(minutes=1))  # the DELETE sent again: finishes it
    rpc.put(f"users/{UID}", {"settings": {"timezone": "Asia/Seoul"}})  # set afterwards
    before, commits = {path: dict(doc) for path, doc in rpc.docs.items()}, len(rpc.commits)
    assert _finish(rpc, FIRST) is False
    assert rpc.docs == before and len(rpc.commits) == commits


def test_the_cleanup_job_finishes_an_erasure_still_as_it_listed_it():
    rpc = FirestoreRpc(_running(FIRST) | {f"users/{UID}": {"settings": {}}})
    assert _finish(rpc, FIRST) is True
    assert f"users/{UID}" not in rpc.docs and rpc.docs[RECORD]["requested_at"] == LISTED_AT


def test_the_cleanup_jobs_own_mark_whose_answer_was_lost_is_not_taken_for_a_request():
    # Its retried commit is refused, and the record it re-reads carries its own requested_at,
    # no longer the one it listed.
    rpc = FirestoreRpc(_running(FIRST))
    lost = rpc.first_answer_lost()
    assert _finish(rpc, FIRST) is True
    assert lost and rpc.docs[RECORD]["firestore"] == "done"


def test_the_account_sweep_erases_a_deleted_account_whatever_its_erasure_record_says():
    # finish_erasure without requested_at: a user who came back after an erasure, then
    # deleted the account.
    erased = {"requested_at": FIRST, "analytics": "done", "firestore": "done"}
    rpc = FirestoreRpc({RECORD: erased, f"users/{UID}": {"settings": {}}})
    assert _finish(rpc, None) is True
    assert f"users/{UID}" not in rpc.docs and rpc.docs[RECORD]["firestore"] == "done"


def test_an_erasure_whose_mark_keeps_losing_to_turns_is_a_documented_503():
    # DELETE /v2/profile lists storage_unavailable, not Unavailable's own code.
    from common.http import as_api_error
    from scripts.openapi_endpoints import ENDPOINTS

    rpc = FirestoreRpc({ACTIVITY: {"recent": "[]"}})
    rpc.before_commit = lambda writes: rpc.put(ACTIVITY, {"recent": "[]"})  # a turn each time
    with pytest.raises(Exception) as refused:
        _erase(rpc, FIRST)
    error = as_api_error(refused.value)
    assert (error.status, error.headers()) == (503, {"Retry-After": "5"})
    (erase,) = (ep for ep in ENDPOINTS if (ep.method, ep.path) == ("delete", "/v2/profile"))
    assert error.code in erase.errors
    assert RECORD not in rpc.docs  # nothing began
