"""The devices API's request and response models."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import BaseModel

from common import formats
from common.chat.models import StrictBody
from common.timestamps import Timestamp

# FCM registration tokens (Android, iOS through APNs, Web Push) are URL-safe text, about 150-200
# characters today; the bounds leave room without letting anything else in.
Token = Annotated[
    str,
    formats.pattern(
        r"^[A-Za-z0-9_:.\-]{16,4096}$",
        "must be an FCM registration token: 16 to 4096 letters, digits, colons, periods, hyphens"
        " or underscores",
    ),
]
Platform = Literal["ios", "android", "web"]


def device_id(token: str) -> str:
    """The device's document id: a hash, so the token never appears in a path or a log."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class DeviceCreate(StrictBody):
    token: Token
    platform: Platform
    # The token this one replaces (FCM refreshed it): removed in the same write.
    previous_token: Token | None = None


class DeviceOut(BaseModel):
    device_id: str
    platform: Platform
    created_at: Timestamp
    last_seen_at: Timestamp
    created: bool  # false when the token was registered already (its last-seen time moved)
