"""Devices across users, against the Firestore emulator: pruning those unused for 30 days
(every user at once), a token changing hands, and the notification producers' walk over them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from common import clients
from common.adapters.firestore_audience import FirestoreAudienceStore
from common.adapters.firestore_devices import prune_stale_devices
from common.devices.models import device_id
from tests.stack_fixtures import drop_database, own_database


def _register(uid: str, token: str, seen: datetime) -> None:
    clients.device_store().upsert(
        uid=uid, token=token, platform="android", now=seen, previous_token=None
    )


def _own_database():
    """A database of its own: the stack's cleanup job (every 60 s) prunes the default one, and
    other tests' stale devices are there too."""
    from common.adapters.firestore_devices import FirestoreDeviceStore

    db = own_database("prune")
    return db, FirestoreDeviceStore(db)


def test_devices_unseen_for_30_days_are_pruned_and_the_rest_stay():
    db, devices = _own_database()
    now = datetime.now(UTC)

    def register(uid: str, token: str, seen: datetime) -> None:
        devices.upsert(uid=uid, token=token, platform="android", now=seen, previous_token=None)

    uid_a, uid_b = f"prune-{uuid.uuid4().hex[:8]}", f"prune-{uuid.uuid4().hex[:8]}"
    stale = [f"stale-{uuid.uuid4().hex}" for _ in range(5)]
    register(uid_a, stale[0], now - timedelta(days=31))
    register(uid_a, stale[1], now - timedelta(days=90))
    for token in stale[2:]:
        register(uid_b, token, now - timedelta(days=30, minutes=1))
    fresh = f"fresh-{uuid.uuid4().hex}"
    register(uid_a, fresh, now - timedelta(days=29))
    try:
        assert prune_stale_devices(db, now=now, max_age_days=30, batch=2) == 5
        left_a = {d.id for d in db.collection(f"users/{uid_a}/devices").stream()}
        left_b = list(db.collection(f"users/{uid_b}/devices").stream())
        assert left_a == {device_id(fresh)} and left_b == []
        assert prune_stale_devices(db, now=now, max_age_days=30) == 0  # nothing more
    finally:
        drop_database(db)


def test_a_device_registered_again_is_not_stale(firestore_db):
    now = datetime.now(UTC)
    uid, token = f"prune-{uuid.uuid4().hex[:8]}", f"tok-{uuid.uuid4().hex}"
    _register(uid, token, now - timedelta(days=45))
    _register(uid, token, now)  # the app started again: last seen now

    prune_stale_devices(firestore_db, now=now)

    assert [d.id for d in firestore_db.collection(f"users/{uid}/devices").stream()] == [
        device_id(token)
    ]


def _tokens_of(firestore_db, uid: str) -> set[str]:
    return {d.get("token") for d in firestore_db.collection(f"users/{uid}/devices").stream()}


def test_a_token_goes_from_users_who_registered_it_earlier_and_stays_with_a_later_one(
    firestore_db,
):
    store, now = clients.device_store(), datetime.now(UTC)
    earlier, later, us = (f"hands-{uuid.uuid4().hex[:8]}" for _ in range(3))
    token = f"tok-{uuid.uuid4().hex}"
    _register(earlier, token, now - timedelta(days=3))
    _register(later, token, now + timedelta(seconds=1))  # raced us, and was stamped after us
    _register(us, token, now)

    assert store.release_elsewhere(uid=us, token=token, before=now) == 1
    assert store.release_elsewhere(uid=us, token=token, before=now) == 0  # idempotent

    assert _tokens_of(firestore_db, earlier) == set()
    assert _tokens_of(firestore_db, later) == {token}  # its own clean-up takes ours
    assert _tokens_of(firestore_db, us) == {token}


def test_the_producers_walk_resumes_from_a_stored_cursor_even_after_its_device_went(
    firestore_db,
):
    audience, now = FirestoreAudienceStore(firestore_db), datetime.now(UTC)
    prefix = f"walk-{uuid.uuid4().hex[:8]}"
    mine = [f"{prefix}-{i}" for i in range(4)]
    for uid in mine:
        for n in range(2):
            _register(uid, f"tok-{uuid.uuid4().hex}-{n}", now)

    def walk(cursor: str | None, limit: int = 3) -> list[str]:
        """Our users, in the order a walk from `cursor` meets their devices (others' ignored:
        other tests add and prune devices meanwhile)."""
        seen: list[str] = []
        while True:
            uids, cursor = audience.device_users(limit=limit, cursor=cursor)
            seen += [u for u in uids if u.startswith(prefix)]
            if cursor is None:
                return seen

    assert walk(None) == [u for u in mine for _ in range(2)]  # pages chain in document order

    # A run stopped at the first device of our first user and stored where; that device went.
    first = min(
        firestore_db.collection(f"users/{mine[0]}/devices").list_documents(), key=lambda r: r.id
    )
    audience.save_cursor("walk-test", first.path, now=now)
    first.delete()
    rest = [mine[0]] + [u for u in mine[1:] for _ in range(2)]  # its other device, and on
    assert walk(audience.load_cursor("walk-test")) == rest
    audience.save_cursor("walk-test", None, now=now)
    assert audience.load_cursor("walk-test") is None
    firestore_db.document("producer_cursors/walk-test").delete()


def test_pruning_out_of_time_stops_after_its_batch_and_the_next_run_goes_on():
    db, devices = _own_database()
    now, uid = datetime.now(UTC), "prune-budget"
    for _ in range(3):
        devices.upsert(uid=uid, token=f"stale-{uuid.uuid4().hex}",
            platform="ios", now=now - timedelta(days=60), previous_token=None)  # fmt: skip
    calls = iter([True, False])  # time for one batch (the cleanup's budget is nearly spent)
    try:
        first = prune_stale_devices(db, now=now, batch=1, in_time=lambda: next(calls))

        assert first == 1 and len(list(db.collection(f"users/{uid}/devices").stream())) == 2
        assert prune_stale_devices(db, now=now) == 2  # the next run
    finally:
        drop_database(db)


def _sign_in(devices, uid: str, token: str, at: datetime) -> None:
    """POST /v2/devices of the token, made at `at`."""
    devices.upsert(uid=uid, token=token, platform="ios", now=at, previous_token=None)


def test_a_registration_that_lands_after_a_sign_out_does_not_bring_the_device_back():
    # POST /v2/devices whose transaction its deadline abandoned (a 503) still commits, after the
    # sign-out's DELETE: the removal's time, kept in the activity record, keeps it out.
    db, devices = _own_database()
    uid, token, now = f"u-{uuid.uuid4().hex}", f"t-{uuid.uuid4().hex}", datetime.now(UTC)
    try:
        _sign_in(devices, uid, token, now)
        assert devices.delete(uid=uid, token=token, now=now + timedelta(seconds=10))
        late = now + timedelta(seconds=2)
        _sign_in(devices, uid, token, late)
        device = db.document(f"users/{uid}/devices/{device_id(token)}")
        assert not device.get().exists
        removed = db.document(f"activity/{uid}").get().to_dict()["devices_removed"]
        assert removed == {device_id(token): now + timedelta(seconds=10)}
        again = now + timedelta(seconds=20)  # signed in again
        _sign_in(devices, uid, token, again)
        assert device.get().exists
    finally:
        drop_database(db)


def test_a_sign_out_that_lands_after_a_later_registration_does_not_remove_the_device():
    # The sign-out's DELETE whose transaction its deadline abandoned (a 503) still commits,
    # after the user signed in again: the later registration stands.
    db, devices = _own_database()
    uid, token, now = f"u-{uuid.uuid4().hex}", f"t-{uuid.uuid4().hex}", datetime.now(UTC)
    try:
        _sign_in(devices, uid, token, now)
        again = now + timedelta(seconds=20)  # signed in again
        _sign_in(devices, uid, token, again)
        assert devices.delete(uid=uid, token=token, now=now + timedelta(seconds=10))
        device = db.document(f"users/{uid}/devices/{device_id(token)}").get()
        assert device.exists and device.to_dict()["last_seen_at"] == again
    finally:
        drop_database(db)
