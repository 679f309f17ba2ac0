"""MetricReader on BigQuery: runs a metric's query with DATE parameters."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from common.adapters.bigquery_calls import LONG_POLL_SECONDS, run_query, unavailable_errors
from common.errors import Unavailable

log = logging.getLogger(__name__)

# Seconds. The gateway gives the insights function 60 s (BACKEND_DEADLINE); its own 503 must
# come first, token check included: the query started (bounded_start: retries for
# START_TIMEOUT, and the last attempt may take as long again), waited QUERY_TIMEOUT, then the
# long poll under way (bigquery_calls.LONG_POLL_SECONDS, 10 s), a failing status call's
# RETRY_TIMEOUT, and the cancel of a query given up on (bounded like the start):
# 2 x 3 + 15 + 10 + 5 + 2 x 1.5 = 39 (FAILURE_ANSWERED_BY). A request that hangs rather than
# fails is another matter (bigquery_calls.bounded_wait). Every dashboard metric but those of the
# materialised daily tables reads the events table, through a view or, for a dated one, its
# table function for the range (common.insights.metrics: from_events, function); the slowest
# view took 3.5 s on 1,000,000 events (benchmarks/results/analytics.md), well inside 15 s.
START_TIMEOUT = 3.0
QUERY_TIMEOUT = 15.0
RETRY_TIMEOUT = 5.0
CANCEL_TIMEOUT = 1.5  # the client's default retry let a cancel to a failing BigQuery run 600 s
# The latest a failing query is answered with a 503, counted from its start (above).
FAILURE_ANSWERED_BY = (
    2 * START_TIMEOUT + QUERY_TIMEOUT + LONG_POLL_SECONDS + RETRY_TIMEOUT + 2 * CANCEL_TIMEOUT
)


class BigQueryMetricReader:
    def __init__(self, client: Any, *, max_bytes_billed: int | None = None) -> None:
        self._client = client
        self._max_bytes_billed = max_bytes_billed

    def rows(self, sql: str, params: dict[str, date]) -> list[dict[str, Any]]:
        from google.api_core import exceptions
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter(k, "DATE", v) for k, v in params.items()
            ],
            maximum_bytes_billed=self._max_bytes_billed,
        )
        try:
            # Within the gateway's deadline (above); a query past it is cancelled (run_query):
            # the dashboard has given up on it.
            return run_query(
                self._client,
                sql,
                config,
                start_seconds=START_TIMEOUT,
                wait_seconds=QUERY_TIMEOUT,
                retry_seconds=RETRY_TIMEOUT,
                cancel_seconds=CANCEL_TIMEOUT,
            )
        except TimeoutError:
            log.warning("metric query took over %s s", QUERY_TIMEOUT)
            raise Unavailable(
                "Analytics cannot be read right now.", code="analytics_unavailable"
            ) from None
        except exceptions.NotFound:
            # The view is not deployed (yet): an operator can do nothing about it but wait.
            raise Unavailable(
                "This metric's view is not available.", code="metric_unavailable"
            ) from None
        except unavailable_errors() as e:
            log.warning("metric query failed: %s", e)
            raise Unavailable(
                "Analytics cannot be read right now.",
                code="analytics_unavailable",
            ) from None
