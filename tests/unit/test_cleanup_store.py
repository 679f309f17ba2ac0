"""FirestoreCleanupStore against Firestore's RPCs (tests/fakes/firestore_rpc.py): the retention
phase deletes a session past its owner's retention only if no turn changed it since the scan
read it. With a long SESSION_TTL_HOURS such a session is still open, and a turn committed
between the scan and the delete was deleted with it (or left without its session)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.adapters.firestore_cleanup import FirestoreCleanupStore
from common.cleanup import SessionRef
from tests.fakes.firestore_rpc import FirestoreRpc

NOW = datetime(2026, 12, 6, 2, 17, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=30)  # the owner's retention
LAST = NOW - timedelta(days=45)
SESSION = "sessions/s1"


def _scanned(rpc: FirestoreRpc) -> SessionRef:
    """The session as the retention scan (inactive_sessions) read it."""
    return SessionRef("s1", "u1", LAST, at=LAST, version=rpc.versions[SESSION])


def test_a_session_past_retention_is_deleted_if_unchanged_since_read():
    rpc = FirestoreRpc({SESSION: {"owner_uid": "u1", "last_interaction_at": LAST}})
    store = FirestoreCleanupStore(rpc.client)

    assert store.delete_sessions([(_scanned(rpc), CUTOFF)]) == (1, 0, 0)

    assert SESSION not in rpc.docs
    (delete,) = rpc.written(SESSION)
    assert delete.current_document.update_time  # only as read


def test_a_session_a_turn_reached_after_the_scan_read_it_stays_with_that_turn():
    rpc = FirestoreRpc({SESSION: {"owner_uid": "u1", "last_interaction_at": LAST}})
    store = FirestoreCleanupStore(rpc.client)
    scanned = _scanned(rpc)
    # The user comes back to the conversation: the turn commits with the session's update.
    rpc.put(SESSION, {"owner_uid": "u1", "last_interaction_at": NOW})
    rpc.put(f"{SESSION}/turns/t9", {"created_at": NOW, "message": "I'm back"})

    assert store.delete_sessions([(scanned, CUTOFF)]) == (0, 0, 1)

    assert SESSION in rpc.docs and f"{SESSION}/turns/t9" in rpc.docs
