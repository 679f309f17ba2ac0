"""The analytics eraser turns every BigQuery failure into AnalyticsUnavailable (the cleanup run
reports it and goes on) and only a missing table into AnalyticsTableMissing: an exception of
another kind would fail the whole cleanup run with a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from google.api_core import exceptions
from google.auth.exceptions import RefreshError

from common.adapters.bigquery_erasure import QUERY_TIMEOUT, BigQueryAnalyticsEraser
from common.cleanup import (
    AnalyticsRefused,
    AnalyticsRowsBuffered,
    AnalyticsTableMissing,
    AnalyticsUnavailable,
)

ASKED = datetime(2026, 12, 1, tzinfo=UTC)  # when the user asked to be erased


class _Client:
    project = "demo-ion"

    def __init__(self, *, on_get=None, on_query=None) -> None:
        self._on_get, self._on_query = on_get, on_query
        self.calls: list[tuple[str, dict]] = []

    def get_table(self, table_id, **kwargs):
        self.calls.append(("get_table", kwargs))
        if self._on_get:
            raise self._on_get

    def query(self, sql, job_config=None, **kwargs):
        self.calls.append(("query", kwargs))
        if self._on_query:
            raise self._on_query
        return _Job(self.calls)

    def load_table_from_file(self, rows, table_id, job_config=None, **kwargs):
        self.calls.append(("load", kwargs))
        return _Job(self.calls)


class _Job:
    num_dml_affected_rows = 0

    def __init__(self, calls: list) -> None:
        self._calls = calls

    def result(self, **kwargs):
        self._calls.append(("result", kwargs))
        return self


FAILURES = [
    exceptions.RetryError("Deadline of 120.0s exceeded", cause=None),
    exceptions.BadRequest("rows in the streaming buffer"),
    exceptions.ServiceUnavailable("try later"),
    requests.ConnectionError("connection reset"),
    TimeoutError(),
    RefreshError("metadata server timed out"),  # the job's credentials, not BigQuery
]


@pytest.mark.parametrize("failure", FAILURES, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("where", ["on_get", "on_query"])
def test_a_bigquery_failure_is_analytics_unavailable(failure, where):
    eraser = BigQueryAnalyticsEraser(_Client(**{where: failure}))
    with pytest.raises(AnalyticsUnavailable):
        eraser.delete_user_rows({"k1": ASKED})


@pytest.mark.parametrize("where", ["on_get", "on_query"])
def test_a_missing_table_is_said_as_such(where):
    eraser = BigQueryAnalyticsEraser(_Client(**{where: exceptions.NotFound("no table")}))
    with pytest.raises(AnalyticsTableMissing):
        eraser.delete_user_rows({"k1": ASKED})


def test_rows_in_the_streaming_buffer_are_told_apart_from_bigquery_failing():
    buffered = exceptions.BadRequest(
        "UPDATE or DELETE statement over table demo-ion.analytics.events would affect rows in "
        "the streaming buffer, which is not supported"
    )
    with pytest.raises(AnalyticsRowsBuffered):
        BigQueryAnalyticsEraser(_Client(on_query=buffered)).delete_user_rows({"k1": ASKED})
    for other in (exceptions.BadRequest("syntax error"), exceptions.ServiceUnavailable("later")):
        with pytest.raises(AnalyticsUnavailable) as raised:
            BigQueryAnalyticsEraser(_Client(on_query=other)).delete_user_rows({"k1": ASKED})
        assert not isinstance(raised.value, AnalyticsRowsBuffered)


def _forbidden(reason: str) -> exceptions.Forbidden:
    return exceptions.Forbidden("403 forbidden", errors=[{"reason": reason, "message": "..."}])


@pytest.mark.parametrize("where", ["on_get", "on_query"])
def test_a_refusal_for_want_of_permission_is_told_apart(where):
    for refusal in (_forbidden("accessDenied"), exceptions.PermissionDenied("no")):
        with pytest.raises(AnalyticsRefused):
            BigQueryAnalyticsEraser(_Client(**{where: refusal})).delete_user_rows({"k1": ASKED})
    for passing in (_forbidden("quotaExceeded"), _forbidden("rateLimitExceeded")):
        with pytest.raises(AnalyticsUnavailable) as raised:
            BigQueryAnalyticsEraser(_Client(**{where: passing})).delete_user_rows({"k1": ASKED})
        assert not isinstance(raised.value, AnalyticsRefused)


def test_every_call_is_bounded_in_time():
    # The client's defaults retry a refused call for 600 s with no socket timeout, and waiting
    # for a job retries each failing status call as long: longer than the cleanup's whole run
    # (the timeout-chain review, 2026-12-05; a poll answered 503 held a wait 589 s).
    client = _Client()
    eraser = BigQueryAnalyticsEraser(client)
    eraser.delete_user_rows({"k1": ASKED})
    eraser.delete_past_retention(now=ASKED, keys_by_retention={90: ["k1"]}, default_days=30)
    assert [name for name, _ in client.calls] == [
        *("get_table", "query", "result"),  # the erasure
        *("load", "result"),  # the retention choices
        *("get_table", "query", "result"),  # the retention statement
    ]
    for name, kwargs in client.calls:
        assert kwargs["timeout"] <= (QUERY_TIMEOUT if name == "result" else 10)
        if name != "load":  # an upload, retried by its own count
            assert kwargs["retry"].timeout <= 10
    assert all(kw["job_retry"] is None for name, kw in client.calls if name == "query")
