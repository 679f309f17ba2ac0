"""Every time the API answers is written one way: RFC 3339 in UTC with six fractional digits and
`Z`. The client review found isoformat()'s forms: no fraction when the microseconds were 0, and
`+00:00` or the user's own offset in the export."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from google.api_core.datetime_helpers import DatetimeWithNanoseconds

from common.chat import service
from common.devices.models import DeviceOut
from common.timestamps import rfc3339
from scripts import openapi
from tests.fakes import turns

FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
WHOLE_SECOND = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)  # isoformat() gave no fraction
BERLIN = timezone(timedelta(hours=1))


def test_one_form_whatever_the_microseconds_or_the_zone():
    assert rfc3339(WHOLE_SECOND) == "2026-12-02T12:00:00.000000Z"
    assert rfc3339(datetime(2026, 12, 2, 13, 0, 0, 500000, tzinfo=BERLIN)) == (
        "2026-12-02T12:00:00.500000Z"
    )
    firestore = DatetimeWithNanoseconds(2026, 12, 2, 12, 0, 0, 123456, tzinfo=UTC)
    assert rfc3339(firestore) == "2026-12-02T12:00:00.123456Z"


def test_a_naive_time_is_refused_not_guessed():
    with pytest.raises(ValueError, match="timezone-aware"):
        rfc3339(datetime(2026, 12, 2, 12))


def test_a_session_and_its_turns_are_written_in_the_one_form():
    store = turns.MemoryStore()
    turn = turns.take_turn(uid="u1", message="hello", analyze=turns.analyze_offline, store=store)
    store.get_session = store.sessions.get
    store.list_turns = lambda session_id, **_: [t for t, _ in store.keys.values()]
    sid = turn["session_id"]
    session = service.get_session(uid="u1", session_id=sid, store=store, now=turns.NOW)
    page = service.list_turns(
        uid="u1", session_id=sid, after=-1, limit=10, store=store, now=turns.NOW
    )
    assert turns.NOW == WHOLE_SECOND  # the case isoformat() wrote without a fraction
    shown = session.model_dump(mode="json")
    assert shown["expires_at"] == "2026-12-03T12:00:00.000000Z"
    assert shown["context_window"][0]["created_at"] == "2026-12-02T12:00:00.000000Z"
    assert page.model_dump(mode="json")["turns"][0]["created_at"] == "2026-12-02T12:00:00.000000Z"


def test_a_sessions_etag_changes_only_where_the_form_did():
    """GET /v2/sessions/{id}'s ETag hashes the JSON: a UTC time with microseconds is written as
    before, so its session keeps its ETag; one at a whole second is written with `.000000` now,
    and its session's ETag changes once (the app gets a 200 instead of a 304, once)."""
    had_fraction = datetime(2026, 12, 2, 12, 0, 0, 123456, tzinfo=UTC)
    assert rfc3339(had_fraction) == had_fraction.isoformat().replace("+00:00", "Z")
    assert rfc3339(WHOLE_SECOND) != WHOLE_SECOND.isoformat().replace("+00:00", "Z")


def test_a_device_is_written_in_the_one_form():
    device = DeviceOut(
        device_id="d",
        platform="ios",
        created_at=DatetimeWithNanoseconds(2026, 12, 2, 12, 0, 0, 0, tzinfo=UTC),
        last_seen_at=datetime(2026, 12, 2, 13, 0, 5, tzinfo=BERLIN),
        created=False,
    )
    shown = device.model_dump(mode="json")
    assert (shown["created_at"], shown["last_seen_at"]) == (
        "2026-12-02T12:00:00.000000Z",
        "2026-12-02T12:00:05.000000Z",
    )


def _times(value: Any, key: str = "") -> list[tuple[str, Any]]:
    """Each (key, value) of an example whose key names a time."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _times(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v, key)]
    return [(key, value)] if key.endswith("_at") else []


def test_the_spec_types_the_times_and_its_examples_show_the_one_form():
    doc = openapi.build()
    schemas = doc["components"]["schemas"]
    for model, field in (
        ("TurnOut", "created_at"),
        ("SessionOut", "expires_at"),
        ("DeviceOut", "created_at"),
        ("DeviceOut", "last_seen_at"),
    ):
        assert schemas[model]["properties"][field]["format"] == "date-time", (model, field)
    examples = [
        media.get("example")
        for path in doc["paths"].values()
        for op in path.values()
        for response in op["responses"].values()
        for media in response.get("content", {}).values()
    ]
    shown = _times(examples)
    assert len(shown) >= 6
    for key, value in shown:
        assert value is None or FORM.fullmatch(value), (key, value)
