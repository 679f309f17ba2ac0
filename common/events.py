"""The one event envelope every event travels in, and the keyed hashes that stand for a user
and, for a user who anonymised analytics, for the sessions and turns their events are about."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

SCHEMA_VERSION = 1

# How long after a consumer took a message the same message may still come back to it: it waits
# in a subscription up to SUBSCRIPTION_RETENTION (then it is dead-lettered, or expires), a dead
# letter may be replayed to every subscription of its topic (scripts/replay_dead_letters.py) for
# DEAD_LETTER_RETENTION more, and a day is left for the replayed copy to arrive. The retentions
# are terraform/stack/pubsub.tf's (test_terraform holds them equal). A consumer's
# once-per-message record (the profile updater's applied_events, the push sender's
# push_notifications) is kept as long: one gone before a replay lets the message apply twice.
SUBSCRIPTION_RETENTION = timedelta(days=7)
DEAD_LETTER_RETENTION = timedelta(days=31)
REDELIVERY_WINDOW = SUBSCRIPTION_RETENTION + DEAD_LETTER_RETENTION + timedelta(days=1)


def user_key(uid: str, key: str) -> str:
    """A stable pseudonym for a uid: HMAC-SHA256 with the analytics key, never the raw uid."""
    return hmac.new(key.encode(), uid.encode(), hashlib.sha256).hexdigest()[:32]


def older_user_key(user: dict | None, current: str) -> str | None:
    """The user key stored with the user's settings (users/{uid}.user_key, from their first
    settings change) when it is not the current one: after an analytics-key rotation it names
    their older analytics rows and preferences (docs/OPERATIONS.md)."""
    key = (user or {}).get("user_key")
    return key if key and key != current else None


def occurred_at_of(value: str) -> datetime:
    """An envelope's occurred_at in UTC. ValueError for one without a timezone (a consumer would
    compare it with the stored, aware times and fail with a TypeError on every delivery) and for
    one that is out of datetime's range in UTC ("0001-01-01T00:00:00+01:00")."""
    try:
        when = datetime.fromisoformat(value)
        if when.tzinfo is None:
            raise ValueError(f"no timezone: {value[:40]}")
        return when.astimezone(UTC)
    except OverflowError as e:  # valid ISO, a year outside 1..9999 once in UTC
        raise ValueError(f"out of range: {value[:40]}") from e


def anonymous_id(raw: str, key: str) -> str:
    """A session or turn id as an anonymised user's events carry it to analytics: a keyed hash
    (the analytics key, which analysts do not hold). Their keyless rows still group by session
    and join a rating to its turn, but none matches the raw id that their rows from before
    they anonymised carry, which would name them."""
    digest = hmac.new(key.encode(), f"id:{raw}".encode(), hashlib.sha256).hexdigest()
    return f"anon-{digest[:32]}"


@dataclass(frozen=True)
class Event:
    type: str
    occurred_at: datetime
    user_key: str | None
    session_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    topic: str = "events"
    # The user's key for internal consumers (the profile updater), sent as a message attribute
    # and never part of the envelope that analytics stores: set even when the user chose to
    # anonymise analytics (then user_key is None).
    subject: str | None = None
    # For internal consumers only: analytics does not store it (the `private` attribute). A
    # rating whose analytics row would count twice is one (common/feedback/service.py).
    private: bool = False

    def envelope(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "schema_version": SCHEMA_VERSION,
            "occurred_at": self.occurred_at.isoformat(),
            "user_key": self.user_key,
            "session_id": self.session_id,
            "data": self.data,
        }

    def encode(self) -> bytes:
        return json.dumps(self.envelope(), separators=(",", ":"), sort_keys=True).encode()

    def attributes(self) -> dict[str, str]:
        attrs = {"event_id": self.event_id, "type": self.type}
        if self.subject:
            attrs["subject"] = self.subject
        if self.private:
            attrs["private"] = "true"
        return attrs

    @classmethod
    def from_envelope(
        cls,
        envelope: dict[str, Any],
        *,
        topic: str = "events",
        subject: str | None = None,
        private: bool = False,
    ) -> Event:
        """The event an envelope carries; ValueError, KeyError or TypeError for a malformed one."""
        return cls(
            type=envelope["type"],
            occurred_at=occurred_at_of(envelope["occurred_at"]),
            user_key=envelope.get("user_key"),
            session_id=envelope.get("session_id"),
            data=envelope.get("data") or {},
            event_id=envelope["event_id"],
            topic=topic,
            subject=subject,
            private=private,
        )


def keyless(event: Event, key: str) -> Event:
    """The event as analytics may keep it: for a user who anonymised analytics (no user_key),
    the session and the turn it is about as anonymous_id()s; a keyed event as it is."""
    if event.user_key is not None:
        return event
    data = event.data
    if isinstance(data.get("turn_id"), str):
        data = {**data, "turn_id": anonymous_id(data["turn_id"], key)}
    session = anonymous_id(event.session_id, key) if event.session_id else None
    return replace(event, session_id=session, data=data)


class PublishError(Exception):
    """Pub/Sub did not take the events; they stay in the outbox for the relay."""


class EventPublisher(Protocol):
    def publish(self, events: list[Event]) -> None: ...
