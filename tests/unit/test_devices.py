"""Registering a device over an in-memory DeviceStore: the "phone changed hands" clean-up and the
per-user trim happen even when the first attempt failed after its write, and two users who
register one token at once never both lose it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.devices.models import DeviceCreate, device_id
from common.devices.service import MAX_DEVICES, register_device
from common.errors import Unavailable

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
TOKEN = "fcm-token-shared-by-a-phone:APA91b"


class Store:
    """users -> {token: device doc}; `fail` names a step that raises once (after the upsert)."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, dict]] = {}
        self.fail: set[str] = set()

    def _maybe_fail(self, step: str) -> None:
        if step in self.fail:
            self.fail.discard(step)
            raise Unavailable("Firestore is down.", code="storage_unavailable", retry_after=5)

    def upsert(self, *, uid, token, platform, now, previous_token):
        devices = self.users.setdefault(uid, {})
        old = devices.get(token)
        doc = {
            "device_id": device_id(token),
            "token": token,
            "platform": platform,
            "created_at": old["created_at"] if old else now,
            "last_seen_at": now,
        }
        devices[token] = doc
        if previous_token:
            devices.pop(previous_token, None)
        return doc, old is None

    def release_elsewhere(self, *, uid, token, before):
        self._maybe_fail("release_elsewhere")
        released = 0
        for owner, devices in self.users.items():
            if owner != uid and token in devices and devices[token]["last_seen_at"] < before:
                del devices[token]
                released += 1
        return released

    def trim(self, *, uid, keep):
        self._maybe_fail("trim")
        devices = self.users.get(uid, {})
        newest = sorted(devices.values(), key=lambda d: d["last_seen_at"], reverse=True)
        for doc in newest[keep:]:
            del devices[doc["token"]]
        return max(0, len(newest) - keep)

    def delete(self, *, uid, token, now):
        return self.users.get(uid, {}).pop(token, None) is not None


def _register(store: Store, uid: str, now: datetime, token: str = TOKEN):
    body = DeviceCreate(token=token, platform="android")
    return register_device(uid=uid, body=body, store=store, now=now)


@pytest.mark.parametrize("step", ["release_elsewhere", "trim"])
def test_a_retry_after_a_failure_behind_the_write_still_cleans_up(step: str) -> None:
    store = Store()
    _register(store, "previous-owner", T0)
    for i in range(MAX_DEVICES):  # the new owner's other devices fill the quota
        _register(store, "new-owner", T0 + timedelta(seconds=i), token=f"fcm-other-device-{i:03d}")
    store.fail.add(step)

    with pytest.raises(Unavailable):  # the upsert committed, then Firestore failed
        _register(store, "new-owner", T0 + timedelta(days=1))

    retry = _register(store, "new-owner", T0 + timedelta(days=1, seconds=5))
    assert retry.created is False  # the first attempt's write stood
    assert TOKEN not in store.users["previous-owner"]  # their pushes no longer reach this phone
    assert TOKEN in store.users["new-owner"] and len(store.users["new-owner"]) == MAX_DEVICES


def test_the_service_releases_only_copies_older_than_its_own_registration() -> None:
    store = Store()
    _register(store, "a", T0 + timedelta(seconds=10))  # registered after b's request was stamped
    _register(store, "b", T0)
    assert TOKEN in store.users["a"]  # never both lose it; the later one keeps it
    _register(store, "b", T0 + timedelta(seconds=20))  # b's app starts again: b is the latest
    assert TOKEN not in store.users["a"] and TOKEN in store.users["b"]
