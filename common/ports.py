"""Ports: what services need from the outside world, as Protocols. Adapters implement them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from common.events import Event, EventPublisher
from common.sessions.state import SessionState

__all__ = [
    "CommitOutcome",
    "EventPublisher",
    "OutboxStore",
    "SessionStore",
    "TurnContext",
    "TurnWrite",
    "WriteConflict",
]


class WriteConflict(Exception):
    """Someone changed what this write was based on: read again and decide again."""


@dataclass(frozen=True)
class TurnWrite:
    """Everything one turn writes in one atomic batch, decided by the service from the state
    read before it (the batch's preconditions: that state is unchanged)."""

    state: SessionState
    turn_doc: dict
    events: list[Event] = field(default_factory=list)
    activity: dict | None = None  # the owner's activity document, stored with the turn


@dataclass(frozen=True)
class TurnContext:
    """What a turn reads first: its idempotency key's turn (if any) and the session."""

    keyed_turn: dict | None
    session: SessionState | None
    version: object = None  # the adapter's optimistic-concurrency token for the session
    user: dict | None = None  # users/{uid}: the user's settings
    preferences: dict | None = None  # what the profile updater learned about the user
    # activity/{uid}: recent turns, for the anomaly limits; an erasure's mark or tombstone
    activity: dict | None = None
    activity_version: object = None  # its token; None when it does not exist
    # The token of an idempotency key whose turn is gone (deleted with its session before the
    # key expired) or older than the read's `replay_after`: the key is taken over, not created.
    stale_key: object = None


@dataclass(frozen=True)
class CommitOutcome:
    turn_doc: dict
    events: list[Event]
    replayed: bool  # the idempotency key existed: this is the turn stored earlier


class SessionStore(Protocol):
    def get_session(self, session_id: str) -> SessionState | None: ...

    def read_turn_context(
        self,
        *,
        key: str,
        session_id: str | None,
        uid: str = "",
        ukey: str = "",
        replay_after: datetime | None = None,
    ) -> TurnContext:
        """With `replay_after`, a turn stored under the key at or before it is not the keyed
        turn: the key is stale (a key that names a retry only for a while)."""
        ...

    def commit_turn(
        self,
        *,
        key: str,
        key_doc: dict,
        session_id: str,
        is_new: bool,
        build: Callable[[TurnContext], TurnWrite],
        context: TurnContext,
        ukey: str,
        replay_after: datetime | None = None,
    ) -> CommitOutcome:
        """Write the turn atomically, with the activity record read in `context`; on a
        concurrent change of either (an erasure changes the latter) re-read, with the user's
        erasure record (`ukey`) and `replay_after` as `context` was read, and call `build`
        again. A concurrent request that stored a turn under the key first: that turn, replayed."""
        ...

    def list_turns(self, session_id: str, *, after: int, limit: int) -> list[dict]: ...

    def reserve_turn(self, *, uid: str, activity: dict, version: Any) -> object | None:
        """Set `activity`'s fields in the user's activity record (create it when `version` is
        None) if the record is still at `version` (as read): the record's new version; None,
        with nothing written, if not (the caller reads it again and judges again)."""
        ...

    def record_anomaly(
        self, *, uid: str, activity: dict, events: list[Event], version: Any
    ) -> bool:
        """Set `activity`'s fields in the user's activity record and write the events, if the
        record is still at `version` (as read); False, with nothing written, if not."""


class OutboxStore(Protocol):
    def mark_due(self, event_ids: list[str], now: datetime) -> None: ...

    def delete_outbox(self, event_ids: list[str]) -> None: ...

    def claim_due(self, *, now: datetime, limit: int, lease_seconds: int) -> list[Event]: ...
