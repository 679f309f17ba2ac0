"""AnalyticsEraser on BigQuery: DML DELETEs on the events table by user_key (erasure) and by age
against each user's retention. Rows without a user_key (users who anonymise analytics) are not
about anyone and are left alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from common.adapters.bigquery_calls import bounded_start, unavailable_errors
from common.analytics.schema import DATASET, TABLE
from common.cleanup import (
    AnalyticsRefused,
    AnalyticsRowsBuffered,
    AnalyticsTableMissing,
    AnalyticsUnavailable,
)

# 403s that pass: BigQuery says "forbidden" for its quotas and rate limits too.
_QUOTA_REASONS = frozenset({"quotaExceeded", "rateLimitExceeded"})

QUERY_TIMEOUT = 120.0


def _unavailable(error: Exception) -> AnalyticsUnavailable:
    from google.api_core import exceptions

    refused = isinstance(error, (exceptions.Unauthorized, exceptions.PermissionDenied)) or (
        isinstance(error, exceptions.Forbidden)
        and not _QUOTA_REASONS & {e.get("reason") for e in error.errors if isinstance(e, dict)}
    )
    return (AnalyticsRefused if refused else AnalyticsUnavailable)(str(error))


class BigQueryAnalyticsEraser:
    def __init__(self, client: Any, *, dataset: str = DATASET, table: str = TABLE) -> None:
        self._client = client
        self._table = f"`{client.project}.{dataset}.{table}`"
        self._table_id = f"{client.project}.{dataset}.{table}"

    def _run(self, sql: str, params: list) -> int:
        from google.api_core import exceptions
        from google.cloud import bigquery

        # Any other failure (BadRequest for rows still in the streaming buffer, Forbidden for
        # quota, a 5xx, RetryError once the client's retries ran out, a failed connection) means
        # BigQuery cannot do it now: the run reports it and the next one tries again.
        # Only a refusal for want of permission is told apart: it needs an operator.
        unavailable = unavailable_errors()
        try:
            self._client.get_table(self._table_id, **bounded_start())
        except exceptions.NotFound as e:
            raise AnalyticsTableMissing(self._table_id) from e
        except unavailable as e:
            raise _unavailable(e) from e
        config = bigquery.QueryJobConfig(query_parameters=params)
        try:
            job = self._client.query(sql, job_config=config, job_retry=None, **bounded_start())
            job.result(timeout=QUERY_TIMEOUT)
        except exceptions.NotFound as e:  # dropped between the check and the statement
            raise AnalyticsTableMissing(self._table_id) from e
        except exceptions.BadRequest as e:
            # "UPDATE or DELETE statement over table ... would affect rows in the streaming
            # buffer, which is not supported": the rows of some of these users are too recent.
            buffered = "streaming buffer" in str(e)
            raise (AnalyticsRowsBuffered if buffered else AnalyticsUnavailable)(str(e)) from e
        except unavailable as e:
            raise _unavailable(e) from e
        return int(job.num_dml_affected_rows or 0)

    def delete_user_rows(self, erasures: dict[str, datetime]) -> int:
        """Each user's rows up to their time (PendingErasure.rows_until): a user who signs in
        again keeps the key, and what they do from then on is not erased by the runs that
        finish the old request. The constant bound lets BigQuery skip later partitions."""
        from google.cloud import bigquery

        if not erasures:
            return 0
        asked = [
            bigquery.StructQueryParameter(
                None,
                bigquery.ScalarQueryParameter("user_key", "STRING", key),
                bigquery.ScalarQueryParameter("until", "TIMESTAMP", until),
            )
            for key, until in erasures.items()
        ]
        return self._run(
            # The table name comes from configuration; values are always parameters.
            f"DELETE FROM {self._table} AS t WHERE t.user_key IN UNNEST(@keys)"  # noqa: S608
            " AND t.occurred_at <= @latest AND t.occurred_at <= (SELECT MAX(e.until)"
            " FROM UNNEST(@erasures) AS e WHERE e.user_key = t.user_key)",
            [
                bigquery.ArrayQueryParameter("keys", "STRING", list(erasures)),
                bigquery.ScalarQueryParameter("latest", "TIMESTAMP", max(erasures.values())),
                bigquery.ArrayQueryParameter("erasures", "STRUCT", asked),
            ],
        )

    def delete_past_retention(
        self, *, now: datetime, keys_by_retention: dict[int, list[str]], default_days: int
    ) -> int:
        """One statement: each row's cutoff is its user's retention (the default unless the
        user chose another), computed here so the SQL only compares timestamps."""
        from google.cloud import bigquery

        cases, params = (
            [],
            [
                bigquery.ScalarQueryParameter(
                    "default_cutoff", "TIMESTAMP", now - timedelta(days=default_days)
                )
            ],
        )
        for i, (days, keys) in enumerate(sorted(keys_by_retention.items())):
            if not keys or days == default_days:
                continue
            cases.append(f"WHEN user_key IN UNNEST(@keys_{i}) THEN @cutoff_{i}")
            params += [
                bigquery.ArrayQueryParameter(f"keys_{i}", "STRING", keys),
                bigquery.ScalarQueryParameter(
                    f"cutoff_{i}", "TIMESTAMP", now - timedelta(days=days)
                ),
            ]
        cutoff = f"CASE {' '.join(cases)} ELSE @default_cutoff END" if cases else "@default_cutoff"
        # No row newer than the latest cutoff goes: said as a constant, it lets BigQuery skip
        # every later partition (a CASE alone makes it scan them all), and the recent ones
        # are where streamed rows still in the buffer (which DML may not touch) live.
        latest = now - timedelta(days=min([default_days, *keys_by_retention]))
        params.append(bigquery.ScalarQueryParameter("latest_cutoff", "TIMESTAMP", latest))
        return self._run(
            f"DELETE FROM {self._table} WHERE user_key IS NOT NULL"  # noqa: S608
            f" AND occurred_at < @latest_cutoff AND occurred_at < {cutoff}",
            params,
        )
