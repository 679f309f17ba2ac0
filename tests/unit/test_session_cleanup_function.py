"""The session_cleanup function's run, in process (no stack): a failure after the cleanup
phases is reported in the answer, and what comes after it still runs."""

from __future__ import annotations

import logging
from types import ModuleType

import flask
import pytest
from google.api_core import exceptions

from common.cleanup import CleanupReport
from common.errors import Unavailable
from tests.fakes.functions import load_main

app = flask.Flask(__name__)


@pytest.fixture(scope="module")
def cleanup() -> ModuleType:
    return load_main("session_cleanup")


@pytest.fixture
def swept(cleanup: ModuleType, monkeypatch: pytest.MonkeyPatch) -> list:
    """The run's other parts, as fakes: 120 sessions deleted, and the sweeps that ran."""
    ran: list = []
    monkeypatch.setattr(cleanup, "run_cleanup", lambda **kw: CleanupReport(sessions_deleted=120))
    monkeypatch.setattr(cleanup.clients, "firestore_client", object)
    monkeypatch.setattr(cleanup, "_analytics", object)
    monkeypatch.setattr(
        cleanup, "_sweep_deleted_accounts", lambda now, until: ran.append(now) or {"checked": 3}
    )
    return ran


def _run(cleanup: ModuleType) -> flask.Response:
    with app.test_request_context("/", method="POST"):
        return cleanup.session_cleanup(flask.request)


@pytest.mark.parametrize(
    ("failure", "needs_operator"),
    [
        (Unavailable("Firestore is unavailable", code="storage_unavailable"), False),
        (exceptions.FailedPrecondition("The query requires an index."), True),
    ],
    ids=["outage", "refusal"],
)
def test_a_pruning_failure_is_reported_and_the_sweep_still_runs(
    cleanup, swept, monkeypatch, caplog, failure, needs_operator
):
    # It ended the run with a 503: the account sweep never ran and the run's report was lost.
    def prune(*args, **kwargs):
        raise failure

    monkeypatch.setattr(cleanup, "prune_stale_devices", prune)
    with caplog.at_level(logging.WARNING):
        r = _run(cleanup)
    assert r.status_code == 200
    body = r.get_json()
    assert body["sessions_deleted"] == 120
    assert body["stale_devices"] == {"error": type(failure).__name__}
    assert swept and body["deleted_accounts"] == {"checked": 3}
    (record,) = [r for r in caplog.records if "pruning stale devices failed" in r.getMessage()]
    assert getattr(record, "needs_operator", False) is needs_operator


def test_devices_pruned_are_counted(cleanup, swept, monkeypatch):
    monkeypatch.setattr(cleanup, "prune_stale_devices", lambda *a, **kw: 7)
    assert _run(cleanup).get_json()["stale_devices"] == 7


def test_a_bigquery_statement_begun_as_the_budget_runs_out_ends_before_the_timeout(cleanup):
    """The arithmetic of BUDGET_SECONDS' comment, with the bounds the eraser passes: its table
    check and its start, each a retried call and a last attempt's timeout; its wait, then the
    getQueryResults under way (BigQuery holds it LONG_POLL_SECONDS) and a failing status call's
    retries. 10 s of the function's 540 (terraform/stack/functions.tf) are left to report."""
    from common.adapters.bigquery_calls import LONG_POLL_SECONDS, bounded_start, bounded_wait
    from common.adapters.bigquery_erasure import QUERY_TIMEOUT

    start, wait = bounded_start(), bounded_wait(QUERY_TIMEOUT)
    call = start["retry"].timeout + start["timeout"]
    held = 2 * call + wait["timeout"] + LONG_POLL_SECONDS + wait["retry"].timeout
    assert cleanup.BUDGET_SECONDS + held <= 540 - 10
