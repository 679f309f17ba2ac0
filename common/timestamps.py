"""How the API writes a moment: RFC 3339 in UTC, always with microseconds and `Z`
(`2026-12-02T12:00:00.000000Z`). One fixed-width form, whatever the datetime's zone or its
microseconds (isoformat() drops them when they are 0), so an app parses it with one pattern."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def rfc3339(ts: datetime) -> str:
    """`ts` as the API writes it; only how it is rendered, never what is stored."""
    if ts.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


# A datetime field of an answer model: written by rfc3339 in JSON (`date-time` in the spec).
Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
