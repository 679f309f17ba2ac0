"""Registering and removing a user's devices (keyword-only services over a DeviceStore)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import TypeAdapter, ValidationError

from common.devices.models import DeviceCreate, DeviceOut, Token
from common.errors import InvalidInput, NotFound

MAX_DEVICES = 20  # per user: the least recently seen go first


class DeviceStore(Protocol):
    def upsert(
        self, *, uid: str, token: str, platform: str, now: datetime, previous_token: str | None
    ) -> tuple[dict, bool]:
        """Store the token (refreshing last_seen_at) and drop the previous one, in one write:
        (the device document, whether it is new). A device removed by a request made after
        `now` (delete, or the user's erasure), or registered by one, is not stored again."""

    def release_elsewhere(self, *, uid: str, token: str, before: datetime) -> int:
        """Remove the token from every other user who registered it before `before` (the phone
        changed hands): how many. A copy registered since is left alone: that user is newer. As
        with delete, their registration asked for before `before` does not bring it back."""

    def trim(self, *, uid: str, keep: int) -> int:
        """Keep the `keep` most recently seen devices: how many were removed."""

    def delete(self, *, uid: str, token: str, now: datetime) -> bool:
        """Remove the device; a registration asked for before `now` does not bring it back,
        and one asked for after it stays (True, as if the removal came first)."""


def register_device(
    *, uid: str, body: DeviceCreate, store: DeviceStore, now: datetime
) -> DeviceOut:
    doc, created = store.upsert(
        uid=uid,
        token=body.token,
        platform=body.platform,
        now=now,
        previous_token=body.previous_token if body.previous_token != body.token else None,
    )
    # On every registration, not only the first: if this fails after the upsert, the client's
    # retry (created: false) must still finish it. Both steps are idempotent.
    # A token reaches one app install; whoever registered it last is signed in there now, and
    # the previous user's notifications must not show on that phone. Only copies older than
    # this registration go, so two users registering at once never both lose the token.
    store.release_elsewhere(uid=uid, token=body.token, before=doc["last_seen_at"])
    store.trim(uid=uid, keep=MAX_DEVICES)
    return DeviceOut(
        device_id=doc["device_id"],
        platform=doc["platform"],
        created_at=doc["created_at"],
        last_seen_at=doc["last_seen_at"],
        created=created,
    )


def remove_device(*, uid: str, token: str, store: DeviceStore, now: datetime) -> None:
    """Only the caller's own token: another user's is as unknown as a token never registered."""
    try:
        TypeAdapter(Token).validate_python(token)
    except ValidationError:
        raise InvalidInput("This is not an FCM registration token.", field="token") from None
    if not store.delete(uid=uid, token=token, now=now):
        raise NotFound("This device is not registered.", code="device_not_found")
