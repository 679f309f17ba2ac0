"""What travels on the `notifications` topic, and what a send to one device returned.

A producer publishes one `notification.requested` event per user (the usual envelope of
common/events.py, so it can go through the outbox): `event_id` is the notification id, the
idempotency key, and `data` is a `Notification`. Build it with `notification_event`. Cloud
Scheduler publishes `{"type": "notification.release_due"}` to release deferred notifications."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from common.events import Event

REQUESTED = "notification.requested"
RELEASE_DUE = "notification.release_due"

# Collapse keys go on the wire as Android's collapse_key and tag, APNs' apns-collapse-id (at most
# 64 bytes) and Web Push's Topic header (at most 32 URL-safe base64 characters).
CollapseKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
NotificationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
# FCM refuses these data keys, and a message over 4 KB, with INVALID_ARGUMENT for every token:
# caught here, before anything is sent. (The sender still deletes a token only when FCM's
# answer names the token.)
RESERVED_DATA_KEYS = frozenset({"from", "notification", "message_type", "collapse_key"})
RESERVED_DATA_PREFIXES = ("google", "gcm")
# FCM's limit is 4096 bytes of the message as sent: JSON, where a quote or a newline takes two
# bytes. The rest is kept for the platform parts (collapse key, tag, APNs' "aps" wrapper).
MAX_PAYLOAD_BYTES = 3500


class Notification(BaseModel):
    """One message for one user. Messages with the same collapse key replace each other: on the
    device, and while they wait out the user's quiet hours."""

    model_config = ConfigDict(extra="forbid")

    notification_id: NotificationId
    uid: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    kind: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    data: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], str] = Field(
        default_factory=dict, max_length=20
    )
    collapse_key: CollapseKey | None = None
    created_at: AwareDatetime

    @field_validator("data")
    @classmethod
    def _no_reserved_keys(cls, data: dict[str, str]) -> dict[str, str]:
        for key in data:
            if key in RESERVED_DATA_KEYS or key.lower().startswith(RESERVED_DATA_PREFIXES):
                raise ValueError(f"'{key}' is reserved by FCM")
        return data

    @model_validator(mode="after")
    def _fits_fcm(self) -> Notification:
        if self.payload_bytes() > MAX_PAYLOAD_BYTES:
            raise ValueError(f"title, body and data exceed {MAX_PAYLOAD_BYTES} bytes as sent")
        return self

    @property
    def fcm_data(self) -> dict[str, str]:
        """The data the message carries: the producer's, and what the app routes a tap by."""
        return {**self.data, "notification_id": self.notification_id, "kind": self.kind}

    def payload_bytes(self) -> int:
        """The size of title, body and data as they go on the wire (UTF-8 JSON, escapes and
        the keys the sender adds included)."""
        payload = {"notification": {"title": self.title, "body": self.body}, "data": self.fcm_data}
        return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())

    @property
    def tag(self) -> str:
        """What replaces a shown notification on the device: the collapse key, else the id
        itself, so that a message sent twice (a crash after FCM took it) shows once."""
        return self.collapse_key or self.notification_id


def notification_event(note: Notification, *, subject: str | None = None) -> Event:
    """The event a producer publishes (or puts in its outbox) on the notifications topic.
    `subject` is the user's key, so that erasing the user also drops it from the outbox."""
    return Event(
        type=REQUESTED,
        occurred_at=note.created_at,
        user_key=None,
        data=note.model_dump(mode="json", exclude={"notification_id"}),
        event_id=note.notification_id,
        topic="notifications",
        subject=subject,
    )


def notification_from_envelope(envelope: dict) -> Notification:
    """The notification in a `notification.requested` envelope (ValueError when it is not one)."""
    if envelope.get("type") != REQUESTED:
        raise ValueError(f"not a notification: {envelope.get('type')!r}")
    return Notification.model_validate(
        {**(envelope.get("data") or {}), "notification_id": envelope.get("event_id")}
    )


@dataclass(frozen=True)
class Device:
    device_id: str
    token: str
    platform: str


@dataclass(frozen=True)
class SendResult:
    """FCM's answer for one device. `error` is a snake_case FCM error code (`unregistered`,
    `invalid_argument`, `quota_exceeded`, `unavailable`, `internal`, ...), except
    `invalid_token`: an INVALID_ARGUMENT whose answer names the registration token."""

    device_id: str
    ok: bool
    error: str | None = None
    http_status: int | None = None  # None: no answer at all (connection failed, timeout)
    retry_after: float | None = None
