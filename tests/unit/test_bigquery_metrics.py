"""The dashboard's BigQuery reader: a cost cap on every query, and a query the dashboard gave up
on is cancelled, not left running."""

from datetime import date

import pytest

from common.adapters.bigquery_calls import LONG_POLL_SECONDS
from common.adapters.bigquery_metrics import (
    CANCEL_TIMEOUT,
    FAILURE_ANSWERED_BY,
    QUERY_TIMEOUT,
    BigQueryMetricReader,
)
from common.errors import Unavailable
from scripts.openapi_endpoints import BACKEND_DEADLINE


class Job:
    def __init__(self, rows=None) -> None:
        self.rows = rows
        self.cancelled = False

    def result(self, **kwargs):
        self.result_kwargs = kwargs
        if self.rows is None:
            raise TimeoutError
        return self.rows

    def cancel(self, **kwargs) -> None:
        self.cancelled, self.cancel_kwargs = True, kwargs


class Client:
    def __init__(self, job: Job) -> None:
        self.job = job
        self.configs = []

    def query(self, sql, job_config, **kwargs):
        self.configs.append(job_config)
        self.kwargs = kwargs
        return self.job


def test_every_query_carries_the_cost_cap_and_a_bounded_start():
    client = Client(Job(rows=[]))
    reader = BigQueryMetricReader(client, max_bytes_billed=10 * 2**30)
    assert reader.rows("SELECT 1", {"start": date(2026, 12, 1)}) == []
    assert client.configs[0].maximum_bytes_billed == 10 * 2**30
    # the client's default retries a refused start for 600 s; the gateway waits 60 s
    assert client.kwargs["retry"].timeout == client.kwargs["timeout"] == 3.0
    assert client.kwargs["job_retry"] is None


def test_the_wait_for_the_query_ends_by_the_gateways_deadline():
    # QUERY_TIMEOUT is checked between status calls: the getQueryResults under way when it runs
    # out is held up to BigQuery's LONG_POLL_SECONDS more, and a failing status call is retried
    # (the client's default: 600 s; BigQuery answering 503 to every poll): the gateway's 504
    # came first. Then the query given up on is cancelled, with its own bound (the client's
    # default retry held a cancel to a failing BigQuery for 600 s).
    client = Client(Job(rows=None))
    with pytest.raises(Unavailable):
        BigQueryMetricReader(client).rows("SELECT 1", {})
    wait, cancel = client.job.result_kwargs, client.job.cancel_kwargs
    assert wait["timeout"] == QUERY_TIMEOUT
    assert cancel["timeout"] == cancel["retry"].timeout == CANCEL_TIMEOUT
    # A bounded start or cancel retries for its seconds, and its last attempt may take as long.
    started = client.kwargs["retry"].timeout + client.kwargs["timeout"]
    cancelled = cancel["retry"].timeout + cancel["timeout"]
    latest = started + QUERY_TIMEOUT + LONG_POLL_SECONDS + wait["retry"].timeout + cancelled
    # the figure test_openapi holds the deadline to, with the token check before it
    assert latest == FAILURE_ANSWERED_BY <= BACKEND_DEADLINE["insights"]


def test_the_client_long_polls_for_the_results_without_a_timeout_of_its_own():
    """Why LONG_POLL_SECONDS is counted: QueryJob.result asks getQueryResults without
    timeoutMs, so BigQuery holds each call up to its default 10 s. If a version of
    google-cloud-bigquery sends one, the long poll may be bounded and this arithmetic redone."""
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    job = {
        "jobReference": {"projectId": "p", "jobId": "j1", "location": "US"},
        "configuration": {"query": {"query": "SELECT 1"}},
        "status": {"state": "RUNNING"},
    }
    polls = []

    def api_request(method, path, query_params=None, **kwargs):
        if "/queries/" in path:  # getQueryResults: seen, then refused so that the wait ends
            polls.append(query_params or {})
            raise exceptions.BadRequest("seen")
        return job  # the query's start and its jobs.get: running

    client = bigquery.Client(project="p", credentials=AnonymousCredentials())
    client._connection.api_request = api_request
    with pytest.raises(Unavailable):
        BigQueryMetricReader(client).rows("SELECT 1", {})
    assert polls and "timeoutMs" not in polls[0]


def test_a_query_past_its_time_is_cancelled_and_answers_503():
    job = Job(rows=None)
    with pytest.raises(Unavailable) as raised:
        BigQueryMetricReader(Client(job)).rows("SELECT 1", {})
    assert job.cancelled and raised.value.code == "analytics_unavailable"


def test_credentials_that_cannot_be_refreshed_answer_503():
    # google.auth's RefreshError is no GoogleAPIError, and BigQuery's retries let it through.
    from google.auth.exceptions import RefreshError

    class Refusing(Client):
        def query(self, sql, job_config, **kwargs):
            raise RefreshError("metadata server timed out")

    with pytest.raises(Unavailable) as raised:
        BigQueryMetricReader(Refusing(Job())).rows("SELECT 1", {})
    assert raised.value.code == "analytics_unavailable"
