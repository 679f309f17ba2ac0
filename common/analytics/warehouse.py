"""BigQuery adapters: the row writer the sink uses, the dead-letter publisher, and provisioning
of the dataset, the `events` table, the table functions, the views and the daily tables from
the SQL files (what Terraform deploys in production; locally called by scripts/stack.py)."""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from common.analytics.schema import (
    CHOICES_TABLE,
    CLUSTERING,
    DAILY_DIR,
    DATASET,
    FUNCTIONS_DIR,
    PARTITION_FIELD,
    TABLE,
    VIEWS_DIR,
    bigquery_schema,
    choices_schema,
)

# insertAll's reason for a row that can never be written (BigQuery's error table: "invalid");
# any other (backendError, internalError, timeout, stopped, ...) may pass on a later try.
REFUSED = "invalid"
# One insertAll: each attempt and all its retries of a transient error within the deadline. The
# library's default retries for 600 s with no socket timeout, holding the instance's deliveries
# past the function's 60 s (they wait on the shared write) instead of failing for redelivery.
INSERT_ATTEMPT_SECONDS = 10.0
INSERT_DEADLINE_SECONDS = 20.0


class InsertFailed(RuntimeError):
    """BigQuery did not take rows for a reason that is not the rows' own: the delivery is
    retried (Pub/Sub redelivers), never dead-lettered."""


class BigQueryRowWriter:
    """insert_rows_json with the event_id as row id (insertId: best-effort de-duplication)."""

    def __init__(self, client: Any, *, table: str) -> None:
        self._client = client
        self._table = table  # project.dataset.table

    def insert(self, rows: Sequence[dict[str, Any]]) -> list[str | None]:
        """One insertAll for the batch; only when BigQuery refuses part of it, a second call
        with skipInvalidRows writes the good rows and names the refused ones. (Without the
        flag a refused row stops the whole request, so nothing is written twice; with it the
        emulator converts row by row, about 4 times slower, so it is not the first try.)
        Only a row refused as `invalid` is named; any other row error raises InsertFailed, so
        the batch is delivered again (rows already written are then copies the views drop)."""
        from google.api_core import exceptions

        if not rows:
            return []
        try:
            if not self._insert(rows, skip_invalid=False):
                return [None] * len(rows)
        except (exceptions.BadRequest, exceptions.InternalServerError):
            pass  # the emulator answers a refused row with an error for the whole request
        refused: list[str | None] = [None] * len(rows)
        transient: set[str] = set()
        for entry in self._insert(rows, skip_invalid=True):
            errors = entry.get("errors") or [{}]
            if not any(e.get("reason") == REFUSED for e in errors):
                transient.update(e.get("reason") or "unknown" for e in errors)
                continue
            reasons = [e.get("message") or e.get("reason") or "" for e in errors]
            refused[entry["index"]] = "; ".join(r for r in reasons if r) or "refused"
        if transient:
            raise InsertFailed(f"BigQuery did not take rows: {', '.join(sorted(transient))}")
        return refused

    def _insert(self, rows: Sequence[dict[str, Any]], *, skip_invalid: bool) -> list[dict]:
        from google.cloud.bigquery.retry import DEFAULT_RETRY

        return self._client.insert_rows_json(
            self._table,
            list(rows),
            row_ids=[row["event_id"] for row in rows],
            skip_invalid_rows=skip_invalid,
            retry=DEFAULT_RETRY.with_timeout(INSERT_DEADLINE_SECONDS),
            timeout=INSERT_ATTEMPT_SECONDS,
        )


class PubSubDeadLetter:
    """Publishes a refused message, unchanged, with the reason as an attribute."""

    def __init__(self, client: Any, *, project_id: str, topic: str, timeout: float = 10) -> None:
        self._client = client
        self._topic = f"projects/{project_id}/topics/{topic}"
        self._timeout = timeout

    def publish(self, data: bytes, attributes: dict[str, str]) -> None:
        from google.pubsub_v1 import PubsubMessage

        self._client.publish(
            topic=self._topic,
            messages=[PubsubMessage(data=data, attributes=attributes)],
            retry=None,  # one bounded attempt: failing, the delivery is retried by Pub/Sub
            timeout=self._timeout,
        )


# SQL files: `${project}` and `${dataset}` are filled here and by Terraform's templatefile. A
# table function's file (functions/<name>_between.sql) names the first and last UTC day of its
# range `${start_day}` and `${end_day}`: the function's DATE arguments, or all time in the view
# made from the same file (<name>), so the view and the function are one query.
FUNCTION_RANGE = {"start_day": "start_day", "end_day": "end_day"}
ALL_TIME = {"start_day": "DATE '1970-01-01'", "end_day": "DATE '2999-12-31'"}
FUNCTION_SUFFIX = "_between"


def render(sql: str, *, project: str, dataset: str = DATASET, **values: str) -> str:
    """Fill the placeholders as Terraform's templatefile does: only `${name}` is one, so JSON
    paths like '$.locale' stay as they are. `values`: FUNCTION_RANGE or ALL_TIME for a table
    function's file, a daily file's `definition`."""
    text = string.Template(sql).safe_substitute(project=project, dataset=dataset, **values)
    if left := re.findall(r"\$\{[^}]*\}", text):
        raise ValueError(f"unknown placeholders in SQL: {sorted(set(left))}")
    return text


def function_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(FUNCTIONS_DIR.glob("*.sql"))}


def view_files() -> dict[str, Path]:
    """Every view's SQL file: the views folder's, and each table function's (the view of the
    function's name without `_between` is its file over all time)."""
    views = {p.stem: p for p in sorted(VIEWS_DIR.glob("*.sql"))}
    return views | {n.removesuffix(FUNCTION_SUFFIX): p for n, p in function_files().items()}


def daily_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(DAILY_DIR.glob("*.sql"))}


def definition(daily_sql: str) -> str:
    """A daily file's `${definition}`: the SHA-256 (first 16 hex digits) of its text followed by
    every view's file in name order, since the views it reads decide its figures too (as
    terraform/modules/bigquery/scheduled.tf computes it). Each row carries the one that computed
    it, so that a change recomputes the days it still can."""
    views = "".join(path.read_text() for _, path in sorted(view_files().items()))
    return hashlib.sha256((daily_sql + views).encode()).hexdigest()[:16]


def view_order(sources: dict[str, str]) -> list[str]:
    """Views (or table functions) ordered so that each comes after the ones it reads."""
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in path:
            raise ValueError(f"views read each other in a cycle: {' -> '.join((*path, name))}")
        for dep in sorted(reads(sources[name]) & set(sources)):
            if dep != name:
                visit(dep, (*path, name))
        done.append(name)

    for name in sorted(sources):
        visit(name, ())
    return done


def reads(sql: str) -> set[str]:
    """The tables and views of the dataset a SQL text reads."""
    return set(re.findall(r"\$\{dataset\}\.([A-Za-z_][A-Za-z0-9_]*)", sql))


def provision(
    client: Any,
    *,
    project: str,
    dataset: str = DATASET,
    views: Iterable[str] | None = None,
    replace_views: bool = True,
    strict: bool = True,
) -> list[str]:
    """Create the dataset, the events and retention_choices tables, the table functions and the
    views (each after what it reads: the functions read the events table and each other, the
    views read the events table, functions and other views). Idempotent; functions and views
    are replaced so a changed SQL file takes effect. Returns what it made. With `strict=False`
    one BigQuery refuses is reported in the returned list as `!name: error` instead of stopping
    the others (the local stack keeps running while a view is being written)."""
    from google.api_core import exceptions
    from google.cloud import bigquery

    made: list[str] = []
    client.create_dataset(bigquery.Dataset(f"{project}.{dataset}"), exists_ok=True)
    table = bigquery.Table(f"{project}.{dataset}.{TABLE}", schema=bigquery_schema())
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field=PARTITION_FIELD
    )
    table.clustering_fields = list(CLUSTERING)
    client.create_table(table, exists_ok=True)
    made.append(TABLE)
    choices = bigquery.Table(f"{project}.{dataset}.{CHOICES_TABLE}", schema=choices_schema())
    client.create_table(choices, exists_ok=True)
    made.append(CHOICES_TABLE)

    def create(name: str, delete: Callable[[], Any], make: Callable[[], Any]) -> None:
        try:
            if replace_views:
                delete()
            make()
        except exceptions.GoogleAPIError as e:
            if strict:
                raise
            made.append(f"!{name}: {e}")
            return
        made.append(name)

    functions = {name: path.read_text() for name, path in function_files().items()}
    for name in view_order(functions):
        body = render(functions[name], project=project, dataset=dataset, **FUNCTION_RANGE)
        function = table_function(f"{project}.{dataset}.{name}", body)
        create(
            name,
            partial(client.delete_routine, function, not_found_ok=True),
            partial(client.create_routine, function, exists_ok=True),
        )
    sources = {name: path.read_text() for name, path in view_files().items()}
    wanted = set(views) if views is not None else set(sources)
    for name in view_order(sources):
        if name not in wanted:
            continue
        view = bigquery.Table(f"{project}.{dataset}.{name}")
        view.view_query = render(sources[name], project=project, dataset=dataset, **ALL_TIME)
        create(
            name,
            partial(client.delete_table, view, not_found_ok=True),
            partial(client.create_table, view, exists_ok=True),
        )
    return made


def table_function(routine_id: str, body: str) -> Any:
    """A table function of a range of UTC days, as Terraform declares each of the functions
    folder's files (terraform/modules/bigquery/functions.tf): (start_day DATE, end_day DATE)."""
    from google.cloud import bigquery

    date = bigquery.StandardSqlDataType(type_kind=bigquery.StandardSqlTypeNames.DATE)
    return bigquery.Routine(
        routine_id,
        type_="TABLE_VALUED_FUNCTION",
        language="SQL",
        body=body,
        arguments=[bigquery.RoutineArgument(name=name, data_type=date) for name in FUNCTION_RANGE],
    )


def emulator_client(host: str, project: str) -> Any:
    """A client of the local BigQuery emulator (host:port)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(
        project=project,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": f"http://{host}"},
    )


def refresh_daily(
    client: Any, *, project: str, dataset: str = DATASET, names: Iterable[str] | None = None
) -> dict[str, float]:
    """Run each daily materialisation (CREATE TABLE IF NOT EXISTS + MERGE; what the scheduled
    queries run in production). Returns seconds per script."""
    import time

    took: dict[str, float] = {}
    for name, path in daily_files().items():
        if names is not None and name not in names:
            continue
        started = time.perf_counter()
        sql = path.read_text()
        rendered = render(sql, project=project, dataset=dataset, definition=definition(sql))
        client.query(rendered).result()
        took[name] = round(time.perf_counter() - started, 3)
    return took
