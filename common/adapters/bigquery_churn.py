"""RiskReader on BigQuery: the users the churn_risk view marks at risk (riskiest first)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from common.adapters.bigquery_calls import run_query, unavailable_errors
from common.analytics.schema import DATASET, TABLE
from common.errors import Unavailable
from common.notifications.models import AtRisk

log = logging.getLogger(__name__)

QUERY_TIMEOUT = 120.0


class BigQueryRiskReader:
    def __init__(
        self, client: Any, *, dataset: str = DATASET, max_bytes_billed: int | None = None
    ) -> None:
        self._client = client
        self._max_bytes_billed = max_bytes_billed
        self._view = f"`{client.project}.{dataset}.churn_risk`"
        self._events = f"`{client.project}.{dataset}.{TABLE}`"

    def at_risk(
        self, *, min_risk: float, min_idle_days: float, limit: int, crisis_since: datetime
    ) -> list[AtRisk]:
        from google.cloud import bigquery

        # The names come from configuration; values are always parameters.
        sql = (
            "WITH crises AS (SELECT user_key, MAX(occurred_at) AS last_crisis_at"  # noqa: S608
            f" FROM {self._events} WHERE type = 'safety.crisis_detected'"
            " AND user_key IS NOT NULL AND occurred_at >= @crisis_since GROUP BY user_key)"
            " SELECT r.user_key, r.risk, r.band, r.recency_days, c.last_crisis_at"
            f" FROM {self._view} AS r LEFT JOIN crises AS c ON c.user_key = r.user_key"
            " WHERE r.risk >= @min_risk AND r.recency_days >= @min_idle_days"
            " ORDER BY r.risk DESC LIMIT @limit"
        )
        config = bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter("min_risk", "FLOAT64", min_risk),
                bigquery.ScalarQueryParameter("min_idle_days", "FLOAT64", min_idle_days),
                bigquery.ScalarQueryParameter("limit", "INT64", limit),
                bigquery.ScalarQueryParameter("crisis_since", "TIMESTAMP", crisis_since),
            ],
            maximum_bytes_billed=self._max_bytes_billed,
        )
        try:
            # A query past QUERY_TIMEOUT is cancelled (run_query): the scheduler's retry would
            # otherwise start a second one while the first still runs.
            return [
                AtRisk(
                    user_key=row["user_key"],
                    risk=float(row["risk"]),
                    band=row["band"],
                    recency_days=float(row["recency_days"]),
                    last_crisis_at=row["last_crisis_at"],
                )
                for row in run_query(self._client, sql, config, wait_seconds=QUERY_TIMEOUT)
            ]
        except unavailable_errors() as e:
            log.warning("churn_risk could not be read: %s", e)
            raise Unavailable(
                "Analytics cannot be read right now.",
                code="analytics_unavailable",
                retry_after=60,
            ) from None
