"""The insights service: one metric's rows for a date range, JSON-ready (no Google SDK here)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from common.errors import NotFound
from common.insights.metrics import (
    METRICS,
    Metric,
    Period,
    check_period,
    complete_period,
    metric_query,
)


class MetricReader(Protocol):
    """Runs one metric's query with DATE parameters; raises Unavailable when it cannot."""

    def rows(self, sql: str, params: dict[str, date]) -> list[dict[str, Any]]: ...


def list_metrics() -> dict:
    return {"metrics": [m.describe() for m in METRICS.values()]}


def metric_named(name: str) -> Metric:
    metric = METRICS.get(name)
    if metric is None:
        raise NotFound(f"There is no metric named {name!r}.", code="metric_not_found")
    return metric


def read_metric(
    *, name: str, period: Period, today: date, reader: MetricReader, project: str, dataset: str
) -> dict:
    metric = metric_named(name)
    served, note = complete_period(metric, period, today=today)
    rows = []
    if served is not None:
        # the range queried, not the one asked: a year of an hourly metric from the events is
        # only its last COMPLETE_DAYS days, which its rows cover
        check_period(metric, served)
        params = {"start": served.start, "end": served.end} if metric.date_column else {}
        sql = metric_query(metric, project=project, dataset=dataset)
        rows = [{k: _json_value(v) for k, v in row.items()} for row in reader.rows(sql, params)]
    shown = served or period
    return {
        **metric.describe(),
        "from": shown.start.isoformat() if metric.date_column else None,
        "to": shown.end.isoformat() if metric.date_column else None,
        "note": note or None,
        "columns": list(rows[0]) if rows else [],
        "rows": rows,
    }


def _json_value(value: Any) -> Any:
    """BigQuery's Python values as JSON: ISO dates and times, numbers, lists; NaN is null."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value
