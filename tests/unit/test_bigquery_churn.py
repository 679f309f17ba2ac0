"""The churn-risk reader: BigQuery unable to answer is a 503 the producer's run reports, its
credentials failing to refresh included (google.auth's error is no API error)."""

from datetime import UTC, datetime

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
