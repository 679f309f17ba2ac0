"""AnalyticsEraser on BigQuery: DML DELETEs on the events table by user_key (erasure) and by age
against each user's retention. Rows without a user_key (users who anonymise analytics) are not
about anyone and are left alone."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypedDict

from common.adapters.bigquery_calls import (
    START_SECONDS,
    bounded_start,
    bounded_wait,
    unavailable_errors,
)
from common.analytics.schema import CHOICES_TABLE, DATASET, TABLE, choices_schema
from common.cleanup import (
    AnalyticsRefused,
    AnalyticsRowsBuffered,
    AnalyticsTableMissing,
    AnalyticsUnavailable,
)

# 403s that pass: BigQuery says "forbidden" for its quotas and rate limits too.
_QUOTA_REASONS = frozenset({"quotaExceeded", "rateLimitExceeded"})

# A statement, with its start, the long poll and the retries, holds the cleanup run ~170 s at
# most (functions/session_cleanup/main.py): begun within the run's first 120 s
# (common.cleanup.ANALYTICS_SECONDS), it ends by ~290 s of the run's 540.
QUERY_TIMEOUT = 110.0


class _Choice(TypedDict):
    """A row of the retention_choices table."""

    user_key: str
    days: int


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
        self._choices_id = f"{client.project}.{dataset}.{CHOICES_TABLE}"

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
            job.result(**bounded_wait(QUERY_TIMEOUT))
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
        self,
        *,
        now: datetime,
        keys_by_retention: dict[int, list[str]],
        default_days: int,
        in_time: Callable[[], bool] = lambda: True,
    ) -> int:
        """One statement: each row's cutoff is its user's retention, the default unless the
        user chose another. The users who did are written to the retention_choices table first
        and read from there: as parameters, a few hundred thousand keys would pass a request's
        10 MB limit."""
        from google.cloud import bigquery

        choices: list[_Choice] = [
            {"user_key": key, "days": days}
            for days, keys in sorted(keys_by_retention.items())
            if days != default_days
            for key in keys
        ]
        # No row newer than the latest cutoff goes: said as a constant, it lets BigQuery skip
        # every later partition (the per-user cutoff alone makes it scan them all), and the
        # recent ones are where streamed rows still in the buffer (which DML may not touch) live.
        latest = now - timedelta(days=min([default_days, *(c["days"] for c in choices)]))
        params = [
            bigquery.ScalarQueryParameter("now", "TIMESTAMP", now),
            bigquery.ScalarQueryParameter("latest_cutoff", "TIMESTAMP", latest),
            bigquery.ScalarQueryParameter("default_days", "INT64", default_days),
        ]
        days = "@default_days"
        if choices:
            self._write_choices(choices)
            if not in_time():  # the load took the run's time: the statement is the next run's
                raise AnalyticsUnavailable("out of time before the retention statement")
            days = (
                f"IFNULL((SELECT MIN(c.days) FROM `{self._choices_id}` AS c"  # noqa: S608
                " WHERE c.user_key = t.user_key), @default_days)"
            )
        return self._run(
            f"DELETE FROM {self._table} AS t WHERE t.user_key IS NOT NULL"  # noqa: S608
            " AND t.occurred_at < @latest_cutoff"
            f" AND t.occurred_at < TIMESTAMP_SUB(@now, INTERVAL {days} DAY)",
            params,
        )

    def _write_choices(self, choices: list[_Choice]) -> None:
        """Replace the retention_choices table's rows: a load job, free and without the size
        limit of a request's parameters, into the table Terraform made (CREATE_NEVER: the job
        needs no right to create tables in the dataset; the local stack's is made with its
        dataset, common.analytics.warehouse.provision)."""
        from google.cloud import bigquery

        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            schema=choices_schema(),
        )
        rows = io.BytesIO("\n".join(json.dumps(c) for c in choices).encode())
        try:
            job = self._client.load_table_from_file(
                rows, self._choices_id, job_config=config, timeout=START_SECONDS
            )
            job.result(**bounded_wait(QUERY_TIMEOUT))
        except unavailable_errors() as e:
            raise _unavailable(e) from e
