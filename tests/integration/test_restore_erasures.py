"""scripts/restore_erasures.py against the Firestore emulator, whose queries filter (the unit
tests' fake answers every query with the whole collection): in a restored copy with users who
were erased after its restore point and one who was not, only the erased users' documents go.

Each test works in its own Firestore database, as tests/integration/test_erasure.py does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.events import user_key
from scripts.restore_erasures import reapply
from tests.stack_fixtures import drop_database, own_database

KEY = "k" * 64
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


@pytest.fixture
def db():
    client = own_database("restore")
    yield client
    drop_database(client)


def _user(uid: str) -> dict[str, dict]:
    """What a user who chatted, set a setting and registered a device has."""
    ukey, session = user_key(uid, KEY), f"s-{uid}"
    return {
        f"users/{uid}": {"settings": {"retention_days": 30}},
        f"users/{uid}/devices/d-{uid}": {"token": f"t-{uid}", "last_seen_at": NOW},
        f"sessions/{session}": {"owner_uid": uid, "summary": "about my week"},
        f"sessions/{session}/turns/t1": {"owner_uid": uid, "text": "hello"},
        f"feedback/f-{uid}": {"owner_uid": uid, "rating": 5},
        f"activity/{uid}": {"recent": "[]"},
        f"preferences/{ukey}": {"persona": "lua"},
        f"outbox/o-{uid}": {"subject": ukey, "next_attempt_at": NOW},
    }


def test_only_the_listed_users_are_erased_again(db) -> None:
    kept = _user("dave")
    erin = user_key("erin", KEY)  # only her learned profile and an event were left
    docs = {
        **_user("alice"),
        **_user("bob"),  # found by a device only: no users/bob document
        **kept,
        f"preferences/{erin}": {"persona": "sol"},
        "outbox/o-erin": {"subject": erin, "next_attempt_at": NOW},
    }
    del docs["users/bob"]
    for path, fields in docs.items():
        db.document(path).set(fields)
    keys = {user_key("alice", KEY), user_key("bob", KEY), erin}

    counts = reapply(db, keys, hmac_keys=[KEY], now=NOW + timedelta(days=1), say=lambda _: None)

    assert counts == {"by_uid": 2, "by_key": 1}
    left = {
        d.reference.path
        for collection in ("users", "sessions", "feedback", "preferences", "outbox")
        for d in db.collection(collection).stream()
    } | {d.reference.path for d in db.collection_group("devices").stream()}
    left |= {d.reference.path for d in db.collection_group("turns").stream()}
    assert left == {p for p in kept if not p.startswith("activity/")}
    for key in keys:
        record = db.document(f"erasures/{key}").get().to_dict()
        assert (record["firestore"], record["analytics"]) == ("done", "pending")
        assert "uid" not in record and record["documents_gone_at"] is not None
