"""FirestorePushStore over the FirestoreRpc fake (the real client library, RPCs counted)."""

from __future__ import annotations

from datetime import UTC, datetime

from common.adapters.firestore_push import FirestorePushStore
from common.adapters.firestore_sessions import FirestoreSessionStore
from common.chat.limits import activity_doc
from common.config import Settings
from tests.fakes.firestore_rpc import FirestoreRpc

NOW = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def test_read_user_brings_the_activity_record_in_the_same_round_trip():
    # A re-engagement nudge is judged by it as it goes (common/push/service.py).
    crisis = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)
    rpc = FirestoreRpc(
        {
            "users/u1": {"settings": {"timezone": "Asia/Seoul"}},
            "activity/u1": activity_doc([(crisis, "h")], limited_until=None, crisis_at=crisis),
        }
    )
    store = FirestorePushStore(rpc.client, FirestoreSessionStore(rpc.client, settings=Settings()))

    user = store.read_user("u1", "k1")

    assert user.activity is not None and user.activity["crisis_at"] == crisis
    assert user.doc == {"settings": {"timezone": "Asia/Seoul"}}
    assert rpc.api.batch_get_documents.call_count == 1  # users, erasures and activity at once
    assert store.read_user("u2", "k2").activity is None  # no record: no turn for a day or more
