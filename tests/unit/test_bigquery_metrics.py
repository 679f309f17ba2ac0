"""The dashboard's BigQuery reader: a cost cap on every query, and a query the dashboard gave up
on is cancelled, not left running."""

from datetime import date

import pytest

from common.adapters.bigquery_metrics import QUERY_TIMEOUT, BigQueryMetricReader
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

    def cancel(self) -> None:
        self.cancelled = True


class Client:
    def __init__(self, job: Job) -> None:
        self.job = job
        self.configs = []

    def query(self, sql, job_config, **kwargs):
        self.configs.append(job_config)
        self.kwargs = kwargs
        return self.job


def test_every_query_carries_the_cost_cap_and_starts_within_5_s():
    client = Client(Job(rows=[]))
    reader = BigQueryMetricReader(client, max_bytes_billed=10 * 2**30)
    assert reader.rows("SELECT 1", {"start": date(2026, 12, 1)}) == []
    assert client.configs[0].maximum_bytes_billed == 10 * 2**30
    # the client's default retries a refused start for 600 s; the gateway waits 40 s
    assert client.kwargs["retry"].timeout == client.kwargs["timeout"] == 5.0
    assert client.kwargs["job_retry"] is None


def test_the_wait_for_the_query_ends_by_the_gateways_deadline():
    # QUERY_TIMEOUT is checked between status calls, and the client's default retries a failing
    # one for 600 s (BigQuery answering 503 to every poll): the gateway's 504 came first.
    client = Client(Job(rows=[]))
    BigQueryMetricReader(client).rows("SELECT 1", {})
    wait = client.job.result_kwargs
    assert wait["timeout"] == QUERY_TIMEOUT
    started, polled = client.kwargs["timeout"], wait["retry"].timeout
    assert started + QUERY_TIMEOUT + polled <= BACKEND_DEADLINE["insights"]


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
