"""scripts/reopen_analytics_erasures.py over Firestore's RPCs: after the events table is copied
back from time travel, the erasures completed since are pending again, so that the cleanup job
deletes again the rows the copy brought back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.adapters.firestore_cleanup import FirestoreCleanupStore
from common.config import get_settings
from scripts.reopen_analytics_erasures import reopen
from tests.fakes.firestore_rpc import FirestoreRpc

COPIED_AS_OF = datetime(2026, 12, 6, 10, tzinfo=UTC)
LATER = COPIED_AS_OF + timedelta(hours=5)


def _record(analytics: str) -> dict:
    asked = COPIED_AS_OF - timedelta(days=2)
    return {
        "requested_at": asked,
        "documents_gone_at": asked,
        "firestore": "done",
        "analytics": analytics,
        "analytics_completed_at": LATER,
        "analytics_last_run_at": LATER,
    }


def test_erasures_completed_since_the_copy_are_pending_again() -> None:
    # The fake answers every query with the whole collection: these are what the query matches.
    records = {"erasures/k1": _record("done"), "erasures/k2": _record("pending")}
    rpc = FirestoreRpc(records, queries=True)
    assert reopen(rpc.client, COPIED_AS_OF, say=lambda _: None) == 1
    (query,) = rpc.sent
    condition = query.where.field_filter
    assert condition.field.field_path == "analytics_completed_at"
    assert condition.op.name == "GREATER_THAN"
    assert rpc.docs["erasures/k1"]["analytics"] == "pending"
    pending = FirestoreCleanupStore(rpc.client).pending_erasures(limit=10)
    # the cleanup job's next run deletes k1's rows again, up to documents_gone_at
    assert {(e.user_key, e.rows_until(LATER)) for e in pending} >= {
        ("k1", COPIED_AS_OF - timedelta(days=2))
    }
    # its last statement long past: due at once, not held for the next batch of new erasures
    assert {e.last_run_at for e in pending} == {LATER}


def test_a_dry_run_writes_nothing() -> None:
    rpc = FirestoreRpc({"erasures/k1": _record("done")}, queries=True)
    said: list[str] = []
    assert reopen(rpc.client, COPIED_AS_OF, dry_run=True, say=said.append) == 1
    assert rpc.commits == [] and "would reopen k1" in said


@pytest.mark.parametrize(
    ("argv", "database"), [([], "(default)"), (["--database", "restored"], "restored")]
)
def test_the_records_are_reopened_in_the_database_the_functions_use(
    monkeypatch, capsys, argv, database
) -> None:
    # After "Restore Firestore" the functions serve the copy: reopened in the old database, the
    # records would change nothing the cleanup job reads, and the copied-back rows would stay.
    from unittest import mock

    from google.cloud import firestore

    from scripts import reopen_analytics_erasures

    client = mock.Mock()
    monkeypatch.setattr(firestore, "Client", client)
    monkeypatch.setattr(reopen_analytics_erasures, "reopen", mock.Mock(return_value=0))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    get_settings.cache_clear()
    try:
        assert reopen_analytics_erasures.main(["--since", COPIED_AS_OF.isoformat(), *argv]) == 0
    finally:
        get_settings.cache_clear()
    client.assert_called_once_with(project="p", database=database)
    assert f"project p, database {database}" in capsys.readouterr().out


def test_a_google_error_is_one_line_and_exit_status_2(monkeypatch, capsys) -> None:
    from unittest import mock

    from google.api_core.exceptions import PermissionDenied
    from google.cloud import firestore

    from scripts import reopen_analytics_erasures

    monkeypatch.setattr(firestore, "Client", mock.Mock())
    denied = mock.Mock(side_effect=PermissionDenied("the caller lacks datastore.entities.list"))
    monkeypatch.setattr(reopen_analytics_erasures, "reopen", denied)
    assert reopen_analytics_erasures.main(["--since", COPIED_AS_OF.isoformat()]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PermissionDenied" in err
