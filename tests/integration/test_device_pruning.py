"""Pruning devices unused for 30 days, against the Firestore emulator (every user at once)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from common import clients
from common.adapters.firestore_devices import prune_stale_devices
from common.devices.models import device_id


def _register(uid: str, token: str, seen: datetime) -> None:
    clients.device_store().upsert(
        uid=uid, token=token, platform="android", now=seen, previous_token=None
    )


def test_devices_unseen_for_30_days_are_pruned_and_the_rest_stay(firestore_db):
    now = datetime.now(UTC)
    uid_a, uid_b = f"prune-{uuid.uuid4().hex[:8]}", f"prune-{uuid.uuid4().hex[:8]}"
    stale = [f"stale-{uuid.uuid4().hex}" for _ in range(5)]
    _register(uid_a, stale[0], now - timedelta(days=31))
    _register(uid_a, stale[1], now - timedelta(days=90))
    for token in stale[2:]:
        _register(uid_b, token, now - timedelta(days=30, minutes=1))
    fresh = f"fresh-{uuid.uuid4().hex}"
    _register(uid_a, fresh, now - timedelta(days=29))

    deleted = prune_stale_devices(firestore_db, now=now, max_age_days=30, batch=2)

    assert deleted >= 5  # other tests' old devices may go too
    left_a = {d.id for d in firestore_db.collection(f"users/{uid_a}/devices").stream()}
    left_b = list(firestore_db.collection(f"users/{uid_b}/devices").stream())
    assert left_a == {device_id(fresh)} and left_b == []
    assert prune_stale_devices(firestore_db, now=now, max_age_days=30) == 0  # nothing more


def test_a_device_registered_again_is_not_stale(firestore_db):
    now = datetime.now(UTC)
    uid, token = f"prune-{uuid.uuid4().hex[:8]}", f"tok-{uuid.uuid4().hex}"
    _register(uid, token, now - timedelta(days=45))
    _register(uid, token, now)  # the app started again: last seen now

    prune_stale_devices(firestore_db, now=now)

    assert [d.id for d in firestore_db.collection(f"users/{uid}/devices").stream()] == [
        device_id(token)
    ]
