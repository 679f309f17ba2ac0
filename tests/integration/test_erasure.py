"""Erasure (DELETE /v2/profile's store call) against the Firestore emulator: a user with more
documents than one batch holds, and an erasure cut off after its first batch, which the cleanup
job finishes.

Each test works in its own Firestore database, so the sweep of every document is exact and the
stack's own scheduled cleanup (which sees the default database) never races it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from common import clients
from common.adapters.bigquery_erasure import BigQueryAnalyticsEraser
from common.adapters.firestore_cleanup import JOB_STATE, NEEDS_OPERATOR, FirestoreCleanupStore
from common.adapters.firestore_profiles import (
    BATCH,
    ERASURE_TOMBSTONE,
    FirestoreProfileStore,
    erase_user,
)
from common.adapters.firestore_push import FirestorePushStore
from common.adapters.firestore_sessions import FirestoreSessionStore
from common.cleanup import ERASURE_RESUME_AFTER, run_cleanup
from common.config import get_settings
from common.errors import Unavailable
from common.events import user_key
from common.json_stream import iter_json
from common.profile.erasure import BY_USER
from common.profile.service import export_profile
from tests.stack_fixtures import drop_database, events_table, own_database

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
SUBCOLLECTIONS = ("turns", "devices", "applied_events")  # as the e2e erasure test sweeps them


@pytest.fixture
def db():
    client = own_database("erasure")
    yield client
    drop_database(client)


@pytest.fixture
def analytics():
    """A BigQuery dataset without an events table: no rows to erase, the erasure still runs."""
    client = clients.bigquery_client()
    dataset = f"erasure_{uuid.uuid4().hex[:8]}"
    client.create_dataset(dataset)
    yield BigQueryAnalyticsEraser(client, dataset=dataset)
    client.delete_dataset(dataset, delete_contents=True, not_found_ok=True)


def _ids() -> tuple[str, str]:
    return f"u-{uuid.uuid4().hex}", f"k-{uuid.uuid4().hex}"


def _profiles(db) -> FirestoreProfileStore:
    return FirestoreProfileStore(db, FirestoreSessionStore(db, settings=get_settings()))


def _write(db, docs: dict[str, dict]) -> None:
    paths = list(docs)
    for i in range(0, len(paths), BATCH):
        batch = db.batch()
        for path in paths[i : i + BATCH]:
            batch.set(db.document(path), docs[path])
        batch.commit()


def _seed_user(db, uid: str, ukey: str, *, sessions: int, turns: int) -> set[str]:
    """Everything the app stores about one user, in every collection erasure deletes from; the
    paths written."""
    live = {"created_at": NOW - 2 * HOUR, "expires_at": NOW + DAY}
    docs: dict[str, dict] = {
        f"users/{uid}": {"user_key": ukey, "settings": {"retention_days": 90}},
        f"preferences/{ukey}": {"turns": sessions * turns, "updated_at": NOW},
        f"activity/{uid}": {"recent": "[]", "expires_at": NOW + DAY},
    }
    for s in range(sessions):
        session = f"sessions/{uid}-s{s}"
        docs[session] = {"owner_uid": uid, "last_interaction_at": NOW - HOUR, **live}
        for t in range(turns):
            docs[f"{session}/turns/t{t}"] = {"owner_uid": uid, "turn_index": t, **live}
        docs[f"turn_keys/{uid}-s{s}"] = {"owner_uid": uid, **live}
        docs[f"feedback/{uid}-s{s}"] = {"owner_uid": uid, "rating": 4, **live}
    for i in range(3):
        docs[f"users/{uid}/devices/d{i}"] = {"token": f"{uid}-token-{i}", "last_seen_at": NOW}
        docs[f"preferences/{ukey}/applied_events/e{i}"] = {"applied_at": NOW, **live}
        docs[f"outbox/{ukey}-{i}"] = {"subject": ukey, "topic": "events", "attempts": 0}
        docs[f"deferred_notifications/{uid}-{i}"] = {"owner_uid": uid, "due_at": NOW + HOUR}
        docs[f"push_notifications/{uid}-{i}"] = {
            "owner_uid": uid,
            "notification_id": f"n-{uid}-{i}",
            "status": "sent",
            "sent": [f"d{i}"],
            **live,
        }
    _write(db, docs)
    return set(docs)


def _documents(db) -> dict[str, dict]:
    """Every document of the database with its content: the top-level collections and the
    subcollections the code writes."""
    snaps = [d for c in db.collections() for d in c.stream()]
    for group in SUBCOLLECTIONS:
        snaps += list(db.collection_group(group).stream())
    return {s.reference.path: s.to_dict() for s in snaps}


TOMBSTONE = {"erasure_done_at", "expires_at"}  # what a finished erasure leaves of activity/{uid}


def _about(docs: dict[str, dict], *ids: str) -> set[str]:
    """The paths whose path or content holds any of `ids`, but for the erasure's tombstone
    (no data, gone in ERASURE_TOMBSTONE: it makes a turn in flight fail)."""
    return {
        path
        for path, doc in docs.items()
        if any(i in path + " " + json.dumps(doc, default=str) for i in ids)
        and set(doc) != TOMBSTONE
    }


def _walk(db, uid: str) -> str:
    """A notification producer's walk that stopped at this user's device."""
    path = "producer_cursors/weekly_insight"
    db.document(path).set({"cursor": f"users/{uid}/devices/d0"})
    return path


def test_a_user_with_more_documents_than_a_batch_is_erased_completely(db) -> None:
    uid, ukey = _ids()
    mine = _seed_user(db, uid, ukey, sessions=60, turns=8)
    other_uid, other_key = _ids()
    kept = _seed_user(db, other_uid, other_key, sessions=2, turns=2)
    walk = _walk(db, uid)
    assert len(mine) > BATCH  # more than one batch: the loop's later batches run

    counts = _profiles(db).erase_user(uid=uid, ukey=ukey, now=NOW)

    assert counts == {
        "turns": 480,
        "sessions": 60,
        "turn_keys": 60,
        "feedback": 60,
        "deferred_notifications": 3,
        "push_notifications": 3,
        "outbox": 3,
        "devices": 3,
    }
    left = _documents(db)
    # Only the erasure record keeps the key (the cleanup job needs it for the analytics rows),
    # and no longer the uid; the other user lost nothing.
    assert _about(left, uid, ukey) == {f"erasures/{ukey}"}
    assert set(left) == kept | {walk, f"erasures/{ukey}", f"activity/{uid}"}
    assert left[f"activity/{uid}"] == {
        "erasure_done_at": NOW,
        "expires_at": NOW + ERASURE_TOMBSTONE,
    }
    assert left[walk]["cursor"] is None  # the walk starts over
    record = left[f"erasures/{ukey}"]
    assert record.pop("documents_gone_at") > NOW  # the server's clock at its last batch
    assert record == {
        "requested_at": NOW,
        "requested_by": "user",  # DELETE /v2/profile
        "analytics": "pending",
        "firestore": "done",
        "completed_at": NOW,
    }


class InstanceStopped(Exception):
    """What an erasure request sees of a crash or of the function's timeout: nothing after."""


class StopsAtSecondCommit:
    """The Firestore client, except that the second batch of deletions never commits: the
    erasure request stops there, after its first (its first commit records the erasure)."""

    def __init__(self, db) -> None:
        self._db, self.commits = db, 0

    def __getattr__(self, name: str):
        return getattr(self._db, name)

    def batch(self):
        batch = self._db.batch()
        commit = batch.commit

        def commit_or_stop(**kwargs):
            self.commits += 1
            if self.commits == 3:
                raise InstanceStopped
            return commit(**kwargs)

        batch.commit = commit_or_stop
        return batch


def _written(export: dict) -> dict:
    """The export as its answer writes it: its sessions, turns and feedback are read meanwhile."""
    return json.loads("".join(iter_json(export)))


def _cut_off_erasure(db, uid: str, ukey: str) -> None:
    """An erasure request that stops after its first batch; what it leaves is checked here."""
    with pytest.raises(InstanceStopped):
        _profiles(StopsAtSecondCommit(db)).erase_user(uid=uid, ukey=ukey, now=NOW)
    erasure = db.document(f"erasures/{ukey}").get().to_dict()
    assert erasure["firestore"] == "in_progress" and erasure["uid"] == uid


def test_turns_whose_session_is_already_gone_are_exported_and_erased(db) -> None:
    # TTL deletes a session at purge_at without its turns subcollection, and a cleanup run cut
    # off between a session and its turns leaves them too: they still hold the user's words.
    uid, ukey = _ids()
    gone = {"owner_uid": uid, "session_id": f"{uid}-gone", "message": "an old message",
            "response": "{}", "created_at": NOW - DAY}  # fmt: skip
    _write(db, {f"sessions/{uid}-gone/turns/t{i}": {**gone, "turn_index": i} for i in range(2)})
    profiles = _profiles(db)

    export = _written(profiles.export_user(uid=uid, ukey=ukey))
    assert export["sessions"] == []
    assert [t["turn_index"] for t in export["turns_without_session"]] == [0, 1]

    _seed_user(db, uid, ukey, sessions=1, turns=2)  # and a session with its turns
    counts = profiles.erase_user(uid=uid, ukey=ukey, now=NOW)
    assert (counts["sessions"], counts["turns"]) == (1, 4)
    assert _about(_documents(db), uid, ukey) == {f"erasures/{ukey}"}
    # The analytics erasure deletes rows up to when the documents were gone, by the server's
    # clock, not up to when the erasure began (a rating may get in meanwhile: the diff review).
    record = db.document(f"erasures/{ukey}").get().to_dict()
    assert record["requested_at"] == NOW and record["documents_gone_at"] > NOW
    (pending,) = FirestoreCleanupStore(db).pending_erasures(limit=10)
    assert pending.rows_until(NOW) == record["documents_gone_at"]


def _rotated(db, uid: str, older: str) -> None:
    """The user's settings last changed before an analytics-key rotation: users/{uid} keeps
    the key of then, under which what was learned before the rotation still is."""
    db.document(f"users/{uid}").update({"user_key": older})
    _write(
        db,
        {
            f"preferences/{older}": {"turns": 5, "updated_at": NOW - 30 * DAY},
            f"preferences/{older}/applied_events/e0": {"applied_at": NOW, "expires_at": NOW + DAY},
            f"outbox/{older}-0": {"subject": older, "topic": "events", "attempts": 0},
        },
    )


def test_the_export_and_the_erasure_reach_a_rotated_key_and_the_push_records(db) -> None:
    uid = _ids()[0]
    ukey, older = user_key(uid, get_settings().analytics_hmac_key()), _ids()[1]
    _seed_user(db, uid, ukey, sessions=0, turns=0)  # seeded sessions are not decodable
    _rotated(db, uid, older)
    # A push the push sender's store recorded: the record names its owner.
    push = FirestorePushStore(db, FirestoreSessionStore(db, settings=get_settings()))
    assert push.begin("n-rotated", uid=uid, release=False, now=NOW, lease=60).state == "claimed"
    push.finish("n-rotated", status="sent", reason=None, now=NOW, events=[])
    profiles = _profiles(db)

    export = _written(export_profile(uid=uid, store=profiles, settings=get_settings()))

    assert export["analytics"]["user_key"] == ukey
    assert export["analytics"]["previous_user_key"] == older
    assert export["learned_preferences"]["turns"] == 0
    assert export["previous_learned_preferences"]["turns"] == 5
    records = {p["notification_id"]: p for p in export["push_notifications"]}
    assert set(records) == {"n-rotated"} | {f"n-{uid}-{i}" for i in range(3)}
    assert records["n-rotated"]["status"] == "sent" and "lease_until" not in records["n-rotated"]

    counts = profiles.erase_user(uid=uid, ukey=ukey, now=NOW)

    assert counts["push_notifications"] == 4 and counts["outbox"] == 4
    docs = _documents(db)
    # Each key keeps only its erasure record: the cleanup job erases the rows under both.
    assert _about(docs, uid, ukey, older) == {f"erasures/{ukey}", f"erasures/{older}"}
    assert "previous_user_key" not in docs[f"erasures/{ukey}"]  # only while unfinished
    previous = docs[f"erasures/{older}"]
    assert previous.pop("documents_gone_at") > NOW
    assert previous == {
        "requested_at": NOW,
        "requested_by": "user",
        "analytics": "pending",
        "firestore": "done",
        "completed_at": NOW,
    }
    pending = FirestoreCleanupStore(db).pending_erasures(limit=10)
    assert {e.user_key for e in pending} == {ukey, older}


def test_a_settings_change_after_a_rotation_keeps_the_older_key(db) -> None:
    # The stored key is what retention, erasure and export reach the pre-rotation rows and
    # preferences by: a later PATCH must not replace it with the current key.
    (uid, older), fresh, profiles = _ids(), _ids()[0], _profiles(db)
    db.document(f"users/{uid}").set({"user_key": older, "settings": {"timezone": "UTC"}})
    for who in (uid, fresh):
        ukey = user_key(who, get_settings().analytics_hmac_key())
        settings = {"timezone": "Europe/Berlin"}
        profiles.write_settings(uid=who, ukey=ukey, settings=settings, now=NOW)
    assert db.document(f"users/{uid}").get().to_dict()["user_key"] == older
    assert db.document(f"users/{fresh}").get().to_dict()["user_key"] == ukey


def test_a_resumed_erasure_finds_the_rotated_key_once_users_doc_is_gone(db, analytics) -> None:
    uid, ukey = _ids()
    older = _ids()[1]
    _seed_user(db, uid, ukey, sessions=1, turns=2)
    _rotated(db, uid, older)
    _cut_off_erasure(db, uid, ukey)
    # The erasure record keeps the older key until the end: the cut-off run could have gone
    # as far as deleting users/{uid} (done here by hand), which held it.
    assert db.document(f"erasures/{ukey}").get().get("previous_user_key") == older
    db.document(f"users/{uid}").delete()

    later = NOW + ERASURE_RESUME_AFTER + timedelta(minutes=1)
    report = run_cleanup(store=FirestoreCleanupStore(db), analytics=analytics, now=later)

    assert report.erasures_finished == 1
    docs = _documents(db)
    assert _about(docs, uid, ukey, older) == {f"erasures/{ukey}", f"erasures/{older}"}
    previous = docs[f"erasures/{older}"]
    assert previous["firestore"] == "done" and previous["requested_at"] == later
    # Its analytics part goes on as the current key's does.
    assert previous["analytics"] == "pending" and previous["analytics_last_run_at"] == later


def test_an_erasure_cut_off_after_its_first_batch_is_finished_by_the_cleanup_job(
    db, analytics
) -> None:
    uid, ukey = _ids()
    mine = _seed_user(db, uid, ukey, sessions=60, turns=8)
    other_uid, other_key = _ids()
    kept = _seed_user(db, other_uid, other_key, sessions=2, turns=2)
    walk = _walk(db, uid)

    _cut_off_erasure(db, uid, ukey)
    erasure = f"erasures/{ukey}"
    left = _about(_documents(db), uid, ukey) - {erasure, walk}
    assert len(left) == len(mine) - BATCH  # one batch went, the rest is still there
    store = FirestoreCleanupStore(db)

    # A run within minutes of the request leaves it alone: the request may still be erasing.
    early = run_cleanup(store=store, analytics=analytics, now=NOW + ERASURE_RESUME_AFTER / 2)
    assert early.erasures_finished == 0
    assert db.document(erasure).get().get("firestore") == "in_progress"
    assert _about(_documents(db), uid, ukey) - {erasure, walk} == left

    later = NOW + ERASURE_RESUME_AFTER + timedelta(minutes=1)
    report = run_cleanup(store=store, analytics=analytics, now=later)

    assert report.erasures_finished == 1 and report.complete
    docs = _documents(db)
    assert _about(docs, uid, ukey) == {erasure}
    # and where the orphan scan stopped, and the activity record's tombstone
    assert set(docs) == kept | {walk, erasure, JOB_STATE, f"activity/{uid}"}
    assert set(docs[f"activity/{uid}"]) == TOMBSTONE
    assert docs[walk]["cursor"] is None
    record = docs[erasure]
    assert record["firestore"] == "done" and record["completed_at"] == later
    assert "uid" not in record
    # Its analytics part goes on as for any erasure: rows deleted on every run until settled.
    assert record["analytics"] == "pending" and record["analytics_last_run_at"] == later
    again = run_cleanup(store=store, analytics=analytics, now=later + HOUR)
    assert again.erasures_finished == 0
    assert again.deleted == again.expired_deleted["activity"] == 1  # the tombstone, expired
    assert f"activity/{uid}" not in _documents(db)


def test_the_analytics_erasure_keeps_what_a_returning_user_did_after_asking(analytics) -> None:
    # The same uid signing in again has the same user key: the runs that finish the old
    # request (hourly, for a day) must not erase the new account's rows as well.
    client, dataset = analytics._client, analytics._table_id.split(".")[1]
    table = f"{client.project}.{dataset}.{events_table(client, dataset)}"
    rows = [(key, NOW + h * HOUR) for key in ("k-back", "k-gone", "k-other") for h in (-2, 1, 3)]
    events = [{"event_id": uuid.uuid4().hex, "type": "chat.turn.completed", "user_key": k,
               "occurred_at": t.isoformat()} for k, t in rows]  # fmt: skip
    assert client.insert_rows_json(table, events) == []
    eraser = analytics

    deleted = eraser.delete_user_rows({"k-back": NOW, "k-gone": NOW + 4 * HOUR})

    left = {(r["user_key"], r["occurred_at"]) for r in client.list_rows(table)}
    assert deleted == 4
    assert left == {("k-back", NOW + HOUR), ("k-back", NOW + 3 * HOUR)} | {
        (k, t) for k, t in rows if k == "k-other"
    }


def test_a_repeated_delete_finishes_an_erasure_cut_off_half_way(db) -> None:
    uid, ukey = _ids()
    mine = _seed_user(db, uid, ukey, sessions=60, turns=8)
    _cut_off_erasure(db, uid, ukey)

    counts = _profiles(db).erase_user(uid=uid, ukey=ukey, now=NOW + HOUR)

    # The first batch held turns only (they go first): the rest of them and the sessions now.
    assert counts["sessions"] + counts["turns"] == 60 + 480 - BATCH
    assert counts["turn_keys"] == counts["feedback"] == 60
    docs = _documents(db)
    assert _about(docs, uid, ukey) == {f"erasures/{ukey}"}
    assert docs[f"erasures/{ukey}"]["firestore"] == "done"
    assert mine & set(docs) == {f"activity/{uid}"} and set(docs[f"activity/{uid}"]) == TOMBSTONE


def test_a_delete_sent_again_while_the_erasure_may_still_run_is_refused(db) -> None:
    # Two runs at once would each end by writing the tombstone and `done` while the other
    # still deletes. Within ERASURE_RESUME_AFTER the first may still be running; past it, it
    # was cut off, and the DELETE sent again finishes it (the test above).
    from common.errors import ErasureInProgress

    uid, ukey = _ids()
    _seed_user(db, uid, ukey, sessions=2, turns=2)
    _cut_off_erasure(db, uid, ukey)
    before = _documents(db)
    with pytest.raises(ErasureInProgress):
        _profiles(db).erase_user(uid=uid, ukey=ukey, now=NOW + timedelta(seconds=40))
    assert _documents(db) == before


class DeleteSentAgainAfterListing(FirestoreCleanupStore):
    """Just after the job lists the unfinished erasures, a DELETE /v2/profile sent again (the
    mark being old enough) finishes the cut-off one, and the user then changes a setting."""

    def __init__(self, db, *, uid: str, ukey: str, at: datetime) -> None:
        super().__init__(db)
        self.uid, self.ukey, self.at = uid, ukey, at

    def unfinished_erasures(self, *, limit):
        listed = super().unfinished_erasures(limit=limit)
        profiles = _profiles(self._db)
        profiles.erase_user(uid=self.uid, ukey=self.ukey, now=self.at)
        later = self.at + timedelta(seconds=30)
        settings = {"timezone": "Asia/Seoul"}
        profiles.write_settings(uid=self.uid, ukey=self.ukey, settings=settings, now=later)
        return listed


def test_the_cleanup_job_leaves_an_erasure_a_delete_finished_since_it_was_listed(
    db, analytics
) -> None:
    # Run again, it deleted the setting and dated the erasure and its tombstone back.
    uid, ukey = _ids()
    _seed_user(db, uid, ukey, sessions=2, turns=2)
    _cut_off_erasure(db, uid, ukey)
    listed_at = NOW + ERASURE_RESUME_AFTER + timedelta(minutes=5)
    again = listed_at + timedelta(minutes=1)
    store = DeleteSentAgainAfterListing(db, uid=uid, ukey=ukey, at=again)

    report = run_cleanup(store=store, analytics=analytics, now=listed_at)

    assert report.erasures_finished == 0 and report.complete
    docs = _documents(db)
    assert docs[f"users/{uid}"]["settings"]["timezone"] == "Asia/Seoul"
    assert docs[f"erasures/{ukey}"]["requested_at"] == again
    assert docs[f"activity/{uid}"]["erasure_done_at"] == again


def test_an_erasure_out_of_time_stops_after_a_batch_and_is_finished_later(db) -> None:
    uid, ukey = _ids()
    mine = _seed_user(db, uid, ukey, sessions=60, turns=8)
    profiles = _profiles(db)

    with pytest.raises(Unavailable):
        erase_user(db, uid=uid, ukey=ukey, now=NOW, requested_by=BY_USER, in_time=lambda: False)

    erasure = f"erasures/{ukey}"
    record = db.document(erasure).get().to_dict()
    assert record["firestore"] == "in_progress" and record["uid"] == uid
    assert len(_about(_documents(db), uid, ukey) - {erasure}) == len(mine) - BATCH
    profiles.erase_user(uid=uid, ukey=ukey, now=NOW + HOUR)
    assert _about(_documents(db), uid, ukey) == {erasure}


def test_an_erasure_recorded_without_its_uid_is_set_aside_for_an_operator(db, analytics) -> None:
    _, old_key = _ids()  # recorded before erasures kept the uid
    uid, new_key = _ids()  # begun again by a request since the job read it: left alone
    before = {"requested_at": NOW - DAY, "analytics": "done", "firestore": "in_progress"}
    again = before | {"requested_at": NOW, "uid": uid}  # its request may still be erasing
    _write(db, {f"erasures/{old_key}": before, f"erasures/{new_key}": again})
    store = FirestoreCleanupStore(db)

    store.hold_for_operator([new_key], now=NOW)
    report = run_cleanup(store=store, analytics=analytics, now=NOW)

    assert report.erasures_finished == 0
    assert db.document(f"erasures/{old_key}").get().to_dict() == before | {
        "firestore": NEEDS_OPERATOR,
        "needs_operator_at": NOW,
    }
    assert db.document(f"erasures/{new_key}").get().to_dict() == again
    assert [e.user_key for e in store.unfinished_erasures(limit=10)] == [new_key]


def test_the_notification_producers_skip_a_user_only_while_their_erasure_runs(db) -> None:
    # The account lives on after DELETE /v2/profile: once the erasure is done, a user who came
    # back (a device registered again) is notified like anyone.
    from common.adapters.firestore_audience import FirestoreAudienceStore

    states = {
        "k-running": {"firestore": "in_progress", "analytics": "pending"},
        "k-rows-left": {"firestore": "done", "analytics": "pending"},
        "k-done": {"firestore": "done", "analytics": "done"},
    }
    _write(db, {f"erasures/{k}": {"requested_at": NOW, **v} for k, v in states.items()})
    users = [("u1", "k-running"), ("u2", "k-rows-left"), ("u3", "k-done"), ("u4", "k-never")]
    erased = {r.user_key: r.erased for r in FirestoreAudienceStore(db).recipients(users)}
    assert erased == {"k-running": True, "k-rows-left": True, "k-done": False, "k-never": False}


def _outgoing(uid: str, ukey: str):
    from common.notifications.models import notice
    from common.notifications.service import Outgoing
    from common.push.models import Notification, notification_event

    note = Notification(notification_id=f"n-{uuid.uuid4().hex}", uid=uid, kind="weekly_insight",
                        title="Your week", body="Three conversations.", created_at=NOW)  # fmt: skip
    event = notification_event(note, subject=ukey)
    return Outgoing(note, event, notice("2026-W22", note.notification_id, NOW))


def test_nothing_written_for_a_user_while_their_erasure_runs_is_left_behind(db) -> None:
    # Each write below read the user's documents before (or while) the erasure began and would
    # land after it listed what to delete: a rating, a device, a setting, a notification, a
    # rate limit.
    from common.adapters.firestore_audience import FirestoreAudienceStore
    from common.adapters.firestore_devices import FirestoreDeviceStore
    from common.errors import ErasureInProgress
    from common.feedback.service import FeedbackContext
    from common.ports import WriteConflict

    uid, ukey = _ids()
    _seed_user(db, uid, ukey, sessions=1, turns=2)
    sessions, devices = FirestoreSessionStore(db, settings=get_settings()), FirestoreDeviceStore(db)
    audience = FirestoreAudienceStore(db)
    # What a rating read of its turn before the erasure (no earlier rating of it).
    rating = FeedbackContext(turn={"owner_uid": uid}, session=None, existing=None, version=None)
    [recipient] = audience.recipients([(uid, ukey)])
    assert not recipient.erased
    register = dict(uid=uid, token="t" * 40, platform="ios", previous_token=None)
    read = db.document(f"activity/{uid}").get().update_time  # as a turn being limited read it

    _cut_off_erasure(db, uid, ukey)  # its turns went first; the rest waits for the next run
    left = _about(_documents(db), uid, ukey)
    mark = db.document(f"activity/{uid}").get().to_dict()  # what the writes below check
    assert mark["erased_at"] == NOW and "expires_at" not in mark  # no expiry deletes it early

    doc = {"owner_uid": uid, "session_id": f"{uid}-s0", "turn_id": "t0", "rating": 5,
           "reward": 1.0, "comment": None, "created_at": NOW, "updated_at": NOW,
           "keyed": True}  # fmt: skip
    with pytest.raises(WriteConflict):  # its turn is gone: the service answers 404
        sessions.write_feedback(key=f"{uid}-t0", doc=doc, events=[], context=rating)
    # A rating read now sees the mark, which the service refuses (409 erasure_in_progress).
    # (Of a session the seed did not write: its documents are not whole sessions.)
    again = sessions.read_feedback_context(
        key=f"{uid}-t0", uid=uid, session_id=f"{uid}-none", turn_id="t0"
    )
    assert again.activity == mark
    with pytest.raises(ErasureInProgress):
        devices.upsert(**register, now=NOW)
    with pytest.raises(ErasureInProgress):  # a settings change: it would bring users/{uid} back
        _profiles(db).write_settings(uid=uid, ukey=ukey, settings={"notifications": False}, now=NOW)
    assert audience.enqueue([_outgoing(uid, ukey)], due=NOW, now=NOW - HOUR) == []
    assert _about(_documents(db), uid, ukey) == left

    _profiles(db).erase_user(uid=uid, ukey=ukey, now=NOW + HOUR)
    assert _about(_documents(db), uid, ukey) == {f"erasures/{ukey}"}
    # Done: a rate limit judged on the activity read before cannot bring the record back, and
    # a producer's run that began before the erasure still skips the user...
    limit = {"limited_until": NOW + HOUR, "expires_at": NOW + DAY}
    assert sessions.record_anomaly(uid=uid, activity=limit, events=[], version=read) is False
    db.document(f"erasures/{ukey}").update({"analytics": "done"})  # as the cleanup job does
    assert audience.enqueue([_outgoing(uid, ukey)], due=NOW, now=NOW) == []
    assert _about(_documents(db), uid, ukey) == {f"erasures/{ukey}"}
    # ...and the account lives on: a device registered now, or a later run, is served.
    doc, created = devices.upsert(**register, now=NOW + 2 * HOUR)
    assert created and db.document(f"users/{uid}/devices/{doc['device_id']}").get().exists
    assert len(audience.enqueue([_outgoing(uid, ukey)], due=NOW, now=NOW + 2 * HOUR)) == 1
