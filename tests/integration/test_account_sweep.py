"""The account sweep against the Auth and Firestore emulators, through firebase-admin and the
cleanup job's Firestore store: a user whose account was deleted in Firebase Auth (as an app's own
account deletion does, without DELETE /v2/profile) is erased everywhere, and a user Auth still
has, disabled or not, keeps everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common import clients
from common.account_sweep import sweep_accounts
from common.adapters.firebase_accounts import FirebaseAccountDirectory
from common.adapters.firestore_cleanup import FirestoreCleanupStore
from common.adapters.firestore_profiles import erase_user
from common.config import get_settings
from common.events import user_key
from common.profile.erasure import BY_ACCOUNT_SWEEP
from scripts.auth_emulator import sign_up
from scripts.function_client import function_client
from tests.stack_fixtures import own_database

NOW = datetime.now(UTC).replace(microsecond=0)


def _own_database():
    """A database of its own: the default one holds other tests' users under uids Firebase Auth
    never had, which the sweep would rightly take for deleted accounts."""
    return own_database("sweep")


def _ukey(uid: str) -> str:
    return user_key(uid, get_settings().analytics_hmac_key())


def _seed(db, uid: str, *, settings: bool = True, device: bool = True, active: bool = True):
    """What the backend keeps about a user: settings, a device, their activity record (each
    unless told otherwise), a session with a turn, and their learned preferences."""
    if settings:
        db.document(f"users/{uid}").set({"settings": {"timezone": "Europe/Berlin"}})
    if device:  # registering a device makes no users/{uid} document
        db.document(f"users/{uid}/devices/d1").set({"owner_uid": uid, "token": "t" * 40})
    if active:
        db.document(f"activity/{uid}").set({"turns": [], "expires_at": NOW + timedelta(days=1)})
    session = f"s-{uid}"
    db.document(f"sessions/{session}").set(
        {"owner_uid": uid, "expires_at": NOW + timedelta(days=1)}
    )
    db.document(f"sessions/{session}/turns/t0").set({"owner_uid": uid, "turn_index": 0})
    db.document(f"preferences/{_ukey(uid)}").set({"turns": 3})


def _left(db, uid: str) -> set[str]:
    paths = {
        f"users/{uid}",
        f"users/{uid}/devices/d1",
        f"sessions/s-{uid}",
        f"sessions/s-{uid}/turns/t0",
        f"preferences/{_ukey(uid)}",
    }
    return {p for p in paths if db.document(p).get().exists}


def _sweep(db, at: datetime = NOW):
    return sweep_accounts(
        known=FirestoreCleanupStore(db),
        directory=FirebaseAccountDirectory(clients.firebase_app()),
        erase=lambda uid: erase_user(
            db, uid=uid, ukey=_ukey(uid), now=NOW, requested_by=BY_ACCOUNT_SWEEP
        ),
        now=at,
    )


def test_a_deleted_account_is_erased_everywhere_and_the_others_keep_everything():
    from firebase_admin import auth

    db = _own_database()
    kept, disabled, deleted, chatted, phoned = (sign_up().uid for _ in range(5))
    for uid in (kept, disabled, deleted):
        _seed(db, uid)
    _seed(db, chatted, settings=False, device=False)  # known by its activity record only
    _seed(db, phoned, settings=False, active=False)  # known by its device only
    auth.update_user(disabled, disabled=True, app=clients.firebase_app())
    for uid in (deleted, chatted, phoned):
        auth.delete_user(uid, app=clients.firebase_app())

    report = _sweep(db)

    # users: 3; devices: 4 owners; activity: 4
    assert (report.checked, report.gone, report.erased, report.held) == (11, 3, 3, False)
    assert _left(db, deleted) == _left(db, chatted) == _left(db, phoned) == set()
    erasure = db.document(f"erasures/{_ukey(deleted)}").get().to_dict()
    assert erasure["analytics"] == "pending"  # the cleanup job deletes their analytics rows
    for uid in (kept, disabled):
        assert _left(db, uid) == {
            f"users/{uid}",
            f"users/{uid}/devices/d1",
            f"sessions/s-{uid}",
            f"sessions/s-{uid}/turns/t0",
            f"preferences/{_ukey(uid)}",
        }
    # The activity records of the erasures are tombstones now: the next pass, a day later,
    # does not erase them again (nothing is gone any more).
    again = _sweep(db, at=NOW + timedelta(days=1))
    assert (again.checked, again.gone, again.erased) == (2 + 2 + 2, 0, 0)


def test_a_firestore_of_users_auth_never_had_is_left_alone():
    # Another project's users (the wrong GOOGLE_CLOUD_PROJECT for Firebase Auth, say).
    db = _own_database()
    strangers = [f"stranger-{i:02d}" for i in range(25)]
    for uid in strangers:
        db.document(f"users/{uid}").set({"settings": {}})

    report = _sweep(db)

    assert report.held and report.erased == 0 and report.gone == 25
    assert all(db.document(f"users/{uid}").get().exists for uid in strangers)
    held = db.document("jobs/session_cleanup").get().to_dict()["account_sweep_held"]
    assert held == strangers  # for an operator to look into


@pytest.fixture
def sweep_on(monkeypatch):
    """The cleanup function as deployed (the local stack turns its sweep off), on a database of
    its own."""
    db = _own_database()
    monkeypatch.setattr(clients, "firestore_client", lambda: db)
    monkeypatch.setenv("ACCOUNT_SWEEP", "true")
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_the_cleanup_function_erases_deleted_accounts_and_reports_them(sweep_on):
    from firebase_admin import auth

    kept, deleted = sign_up().uid, sign_up().uid
    for uid in (kept, deleted):
        _seed(sweep_on, uid)
    auth.delete_user(deleted, app=clients.firebase_app())
    r = function_client("session_cleanup").post("/")

    assert r.status_code == 200, r.text
    assert r.json["deleted_accounts"] == {
        "checked": 6,
        "gone": 1,
        "erased": 1,
        "held": False,
        "failed": 0,
    }
    assert _left(sweep_on, deleted) == set() and len(_left(sweep_on, kept)) == 5


def test_the_sweep_pages_on_to_the_end_and_the_next_run_comes_round():
    from firebase_admin import auth

    db = _own_database()
    uids = sorted(sign_up().uid for _ in range(5))
    for uid in uids:
        _seed(db, uid)
    gone = {uids[1], uids[4]}  # one on the first page, one on the last
    for uid in gone:
        auth.delete_user(uid, app=clients.firebase_app())

    def run(per_collection: int = 2, at: datetime = NOW):
        return sweep_accounts(
            known=FirestoreCleanupStore(db),
            directory=FirebaseAccountDirectory(clients.firebase_app()),
            erase=lambda uid: erase_user(
                db, uid=uid, ukey=_ukey(uid), now=NOW, requested_by=BY_ACCOUNT_SWEEP
            ),
            now=at,
            per_collection=per_collection,
        )

    report = run()  # pages of 2, 2 and 1 in each collection, in one run
    assert (report.checked, report.gone, report.erased) == (3 * 5, 2, 2)
    assert all(_left(db, uid) == set() for uid in gone)
    assert all(len(_left(db, uid)) == 5 for uid in set(uids) - gone)
    store = FirestoreCleanupStore(db)
    assert [store.sweep_cursor(c) for c in ("users", "devices", "activity")] == [None] * 3
    # an hour later: the activity records only (read on every run); users and devices wait a day
    assert run(per_collection=10, at=NOW + timedelta(hours=1)).checked == 3
    # round again a day after the pass began: the 3 kept, in each
    assert run(per_collection=10, at=NOW + timedelta(days=1)).checked == 3 * 3
