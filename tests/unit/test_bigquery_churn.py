"""The churn-risk reader: BigQuery unable to answer is a 503 the producer's run reports, its
credentials failing to refresh included (google.auth's error is no API error); a query given up
on is cancelled, and every query carries a cost cap."""

import concurrent.futures
from datetime import UTC, datetime
from typing import Any

import pytest
from google.api_core import exceptions
from google.auth.exceptions import RefreshError

from common.adapters.bigquery_churn import QUERY_TIMEOUT, BigQueryRiskReader
from common.errors import Unavailable

SINCE = datetime(2026, 11, 6, tzinfo=UTC)


class Client:
    project = "demo-ion"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def query(self, sql, job_config=None, **kwargs):
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        RefreshError("metadata server timed out"),
        exceptions.ServiceUnavailable("later"),
        TimeoutError(),
        ConnectionError("reset"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_bigquery_unable_to_answer_is_unavailable(error):
    with pytest.raises(Unavailable) as raised:
        BigQueryRiskReader(Client(error)).at_risk(
            min_risk=0.5, min_idle_days=3, limit=10, crisis_since=SINCE
        )
    assert raised.value.code == "analytics_unavailable"


def test_the_query_and_the_wait_for_it_are_bounded_in_time():
    # Waiting for the job retried each failing status call for the client's 600 s.
    class Job:
        def result(self, **kwargs):
            self.kwargs = kwargs
            return []

    class Answering(Client):
        def query(self, sql, job_config=None, **kwargs):
            self.kwargs, self.job = kwargs, Job()
            return self.job

    client = Answering(RuntimeError("unused"))
    assert (
        BigQueryRiskReader(client).at_risk(
            min_risk=0.5, min_idle_days=3, limit=10, crisis_since=SINCE
        )
        == []
    )
    assert client.kwargs["retry"].timeout <= 10 and client.kwargs["job_retry"] is None
    assert client.job.kwargs["retry"].timeout <= 10
    assert client.job.kwargs["timeout"] == QUERY_TIMEOUT


class Running:
    """A job that outlasts the wait: QueryJob.result raises concurrent.futures.TimeoutError
    (an OSError, so also one of unavailable_errors())."""

    def __init__(self) -> None:
        self.cancelled: dict | None = None

    def result(self, **kwargs):
        raise concurrent.futures.TimeoutError

    def cancel(self, **kwargs) -> None:
        self.cancelled = kwargs


class Starting(Client):
    def __init__(self, job: Any) -> None:
        self.job, self.configs = job, []

    def query(self, sql, job_config=None, **kwargs):
        self.configs.append(job_config)
        return self.job


def test_a_query_past_its_time_is_cancelled_not_left_running():
    # The scheduler's retry of the run would otherwise start a second full query beside it.
    client = Starting(Running())
    with pytest.raises(Unavailable) as raised:
        BigQueryRiskReader(client).at_risk(
            min_risk=0.5, min_idle_days=3, limit=10, crisis_since=SINCE
        )
    assert raised.value.code == "analytics_unavailable"
    assert client.job.cancelled is not None, "the timed-out job was left running"
    assert client.job.cancelled["retry"].timeout <= 10  # bounded like the start


def test_the_query_carries_its_cost_cap():
    job = type("Job", (), {"result": lambda self, **kwargs: []})()
    client = Starting(job)
    reader = BigQueryRiskReader(client, max_bytes_billed=300 * 2**30)
    assert reader.at_risk(min_risk=0.5, min_idle_days=3, limit=10, crisis_since=SINCE) == []
    assert client.configs[0].maximum_bytes_billed == 300 * 2**30
