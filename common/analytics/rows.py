"""From an event envelope to a row of the BigQuery `events` table (pure), and why an event is
refused. Typed columns hold what the views read; everything else in `data` lands in `payload`.

A refused event (`MalformedEvent`) goes to the dead-letter topic: retrying cannot fix it."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timedelta
from typing import Any

from common.analytics.schema import column_names
from common.events import occurred_at_of

MAX_ID_CHARS = 128
MAX_PAYLOAD_BYTES = 64 * 1024
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# BigQuery streams into partitions from 5 years back to 1 year ahead; anything outside that
# (or a clock far in the future) is a broken producer, not an event to keep.
OLDEST = timedelta(days=5 * 365 - 1)
NEWEST = timedelta(days=1)

NOT_ANALYTICS = ("notification.",)  # the notifications topic's own messages
# Columns filled from `data` by the mapping below (row_from_message fills the envelope's own).
STRINGS = (
    "turn_id",
    "persona",
    "persona_source",
    "policy",
    "tone",
    "pace",
    "intent",
    "analysis_source",
    "generator",
    "client",
    "experiment",
    "variant",
    "locale",
)
INTS = ("turn_index", "message_chars", "local_hour")
FLOATS = ("propensity", "sentiment", "latency_ms")
BOOLS = ("crisis",)
DATES = ("local_date",)  # ISO dates, "2026-01-16"
STRING_LISTS = ("alternatives", "degraded")
# data key -> column, where the event's name differs from the column's
RENAMED = {"reward": "satisfaction", "previous_reward": "previous_satisfaction"}
TYPED = frozenset((*STRINGS, *INTS, *FLOATS, *BOOLS, *DATES, *STRING_LISTS, *RENAMED, "rating"))


class MalformedEvent(ValueError):
    """An event the table cannot take; `reason` is a short snake_case code for the dead letter."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def decode(data: bytes) -> dict[str, Any]:
    """The envelope in a Pub/Sub message's data."""
    try:
        envelope = json.loads(data)
    # ValueError: also an integer of over 4300 digits; RecursionError: nesting too deep
    except (ValueError, RecursionError) as e:
        raise MalformedEvent("not_json", type(e).__name__) from e
    if not isinstance(envelope, dict):
        raise MalformedEvent("not_an_object")
    return envelope


def _id(envelope: dict, name: str, *, required: bool) -> str | None:
    value = envelope.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS:
        raise MalformedEvent(f"bad_{name}")
    return value


def _timestamp(value: Any, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise MalformedEvent("bad_occurred_at")
    try:  # the profile updater's rule: an aware time, in datetime's range in UTC
        when = occurred_at_of(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise MalformedEvent("bad_occurred_at", value[:40]) from e
    if not now - OLDEST <= when <= now + NEWEST:
        raise MalformedEvent("occurred_at_out_of_range", when.isoformat())
    return when


def _typed(name: str, value: Any) -> Any:
    """The value as its column's type; a wrong type refuses the event (a producer bug)."""
    if value is None:
        return [] if name in STRING_LISTS else None
    ok = (
        (name in STRINGS and isinstance(value, str) and len(value) <= MAX_ID_CHARS)
        or (name in INTS and isinstance(value, int) and not isinstance(value, bool))
        or (name in FLOATS and _finite(value))
        or (name in BOOLS and isinstance(value, bool))
        or (name in DATES and _iso_date(value))
        or (
            name in STRING_LISTS
            and isinstance(value, list)
            and all(isinstance(v, str) and len(v) <= MAX_ID_CHARS for v in value)
        )
    )
    if not ok:
        raise MalformedEvent(f"bad_{name}", type(value).__name__)
    return float(value) if name in FLOATS else value


def _iso_date(value: Any) -> bool:
    """A calendar date as a DATE column takes it: YYYY-MM-DD, nothing more."""
    if not isinstance(value, str):
        return False
    try:  # fromisoformat also reads "20260116" and "2026-W03-5", which BigQuery refuses
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _finite(value: Any) -> bool:
    """A number a FLOAT64 column takes. NaN and the infinities have no JSON form: BigQuery
    refuses the whole insertAll request that holds one, with every event written with it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        return False


def _rating(value: Any) -> str | None:
    """A rating as given ('up', 'down' or 1..5), kept as text in one column."""
    if value is None:
        return None
    if value in ("up", "down"):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return str(value)
    raise MalformedEvent("bad_rating")


def _satisfaction(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if not _finite(value) or not 0 <= value <= 1:
        raise MalformedEvent(f"bad_{name}")
    return float(value)


def to_row(envelope: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """The `events` row for an envelope (JSON-ready for insert_rows_json), or MalformedEvent."""
    data = envelope.get("data") or {}
    if not isinstance(data, dict):
        raise MalformedEvent("bad_data")
    event_type = envelope.get("type")
    if not isinstance(event_type, str) or not EVENT_TYPE.match(event_type):
        raise MalformedEvent("bad_type")
    if event_type.startswith(NOT_ANALYTICS):
        # A notification carries the raw uid and the push text, under no user key: stored, it
        # would be a row no erasure or retention deletes (one replayed on the wrong topic).
        raise MalformedEvent("not_an_analytics_event")
    version = envelope.get("schema_version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise MalformedEvent("bad_schema_version")
    row: dict[str, Any] = {
        "event_id": _id(envelope, "event_id", required=True),
        "type": event_type,
        "schema_version": version,
        "occurred_at": _timestamp(envelope.get("occurred_at"), now).isoformat(),
        "user_key": _id(envelope, "user_key", required=False),
        "session_id": _id(envelope, "session_id", required=False),
    }
    for name in (*STRINGS, *INTS, *FLOATS, *BOOLS, *DATES, *STRING_LISTS):
        row[name] = _typed(name, data.get(name))
    row["rating"] = _rating(data.get("rating"))
    for key, column in RENAMED.items():
        row[column] = _satisfaction(key, data.get(key))
    row["model_fallback"] = (
        "persona_model" in row["degraded"] if event_type == "chat.turn.completed" else None
    )
    rest = {k: v for k, v in data.items() if k not in TYPED}
    try:  # NaN or an infinity anywhere in the rest: no valid JSON for the payload column
        payload = json.dumps(
            rest, separators=(",", ":"), sort_keys=True, default=str, allow_nan=False
        )
    except ValueError as e:
        raise MalformedEvent("bad_payload", "a number that is not finite") from e
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise MalformedEvent("payload_too_large")
    row["payload"] = payload
    row["ingested_at"] = now.isoformat()
    unknown = set(row) - column_names()
    assert not unknown, f"mapping fills columns the schema lacks: {unknown}"
    return row


def row_from_message(data: bytes, *, now: datetime) -> dict[str, Any]:
    return to_row(decode(data), now=now)
