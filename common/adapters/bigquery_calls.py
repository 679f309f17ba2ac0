"""How every BigQuery call starts and waits: bounded in time. The client's defaults retry a
failing call for 10 minutes with no socket timeout (and start a query again on some errors):
longer than the gateway waits for the dashboard (60 s) or the cleanup run for its phase (its
budget is 360 s)."""

from __future__ import annotations

import functools
import logging
from typing import Any

log = logging.getLogger(__name__)

START_SECONDS = 10.0
# How long BigQuery holds a jobs.getQueryResults call while the query runs when the call names no
# `timeoutMs`: "By default, this limit is 10 seconds" (the REST reference of getQueryResults,
# cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults). QueryJob.result in
# google-cloud-bigquery 3.47 names none: job/query.py `_reload_query_results` sets it only from
# `_done_timeout`, which only the PollingFuture's `_blocking_poll` sets, and result() does not
# poll through it. A wait's `seconds` is checked between calls, so one begun just before they
# run out holds it this long more.
LONG_POLL_SECONDS = 10.0


@functools.cache
def bounded_start(seconds: float = START_SECONDS) -> dict:
    """Keyword arguments for `get_table` or `query` (with `job_retry=None` for a query): each
    attempt and all retries of a transient error within `seconds`."""
    return {"retry": _retry(seconds), "timeout": seconds}


@functools.cache
def bounded_wait(seconds: float, *, retry_seconds: float = START_SECONDS) -> dict:
    """Keyword arguments for a job's `result`: wait for the job `seconds`, and retry one failing
    status call (jobs.get, getQueryResults, a page of rows) for at most `retry_seconds`.
    Without `retry` each of them retries for the client's 600 s, and `seconds` is checked only
    between them: a BigQuery answering 503 to every poll held the wait ten minutes. So a query's
    wait may last `seconds` + LONG_POLL_SECONDS + `retry_seconds`. `job_retry`
    (running a failed query again) is another thing, off for a query started with
    `job_retry=None`. A request that hangs still waits out its socket timeout (`seconds`, and
    at least 120 s for getQueryResults, the library's floor)."""
    return {"retry": _retry(retry_seconds), "timeout": seconds}


def _retry(seconds: float):
    from google.cloud.bigquery.retry import DEFAULT_RETRY

    return DEFAULT_RETRY.with_timeout(seconds)


def unavailable_errors() -> tuple[type[Exception], ...]:
    """What a BigQuery call raises when BigQuery cannot answer now: its API's errors, the
    instance's credentials failing to refresh (google.auth's, which no retry turns into an API
    error), and a failed connection or a timeout (OSError: requests' errors are ones too)."""
    from google.api_core.exceptions import GoogleAPIError
    from google.auth.exceptions import GoogleAuthError

    return (GoogleAPIError, GoogleAuthError, OSError)


def run_query(
    client: Any,
    sql: str,
    config: Any,
    *,
    wait_seconds: float,
    start_seconds: float = START_SECONDS,
    retry_seconds: float = START_SECONDS,
    cancel_seconds: float = START_SECONDS,
) -> list[dict[str, Any]]:
    """A query's rows, started (`bounded_start`) and waited for (`bounded_wait`) in bounded
    time. Past `wait_seconds` the job is cancelled before the TimeoutError goes up: its caller
    has given up on it, and it would run on (and bill) otherwise, while a retry of the caller
    starts it again. Catch TimeoutError before `unavailable_errors()`, which holds it (OSError)."""
    job = client.query(sql, job_config=config, job_retry=None, **bounded_start(start_seconds))
    try:
        rows = job.result(**bounded_wait(wait_seconds, retry_seconds=retry_seconds))
        return [dict(row.items()) for row in rows]
    except TimeoutError:
        cancel(job, cancel_seconds)
        raise


def cancel(job: Any, seconds: float = START_SECONDS) -> None:
    """Best effort, bounded (the client's default retry held a cancel to a failing BigQuery
    for 600 s): whoever gave up on the job answers the same either way."""
    try:
        job.cancel(**bounded_start(seconds))
    except Exception as e:
        log.warning("could not cancel BigQuery job %s: %s", getattr(job, "job_id", "?"), e)
