"""Insights: the metric registry against the view files, date ranges, queries, JSON values, who
may read them, and the dashboard's assets (pure; the function in-process where no token is
needed)."""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from statistics import NormalDist

import flask
import pytest

from common.analytics.warehouse import daily_files, function_files, view_files
from common.auth import Caller
from common.errors import Forbidden, InvalidInput, NotFound
from common.experiments import Experiment
from common.http import parse
from common.insights import access, service
from common.insights.access import OPERATOR_ACCESS, OPERATOR_REFUSED
from common.insights.metrics import (
    AB_MIN_RATERS,
    COMPLETE_DAYS,
    MAX_DAYS,
    MAX_HOURLY_DAYS,
    MAX_ROWS,
    METRICS,
    Period,
    PeriodQuery,
    metric_query,
    resolve_period,
)
from common.logs import COUNT, OPERATOR_EMAIL, OPERATOR_UID, REFUSED_UID, formatter
from scripts.function_client import function_client
from tests.fakes.functions import load_main

TODAY = date(2026, 11, 22)
WHERE = {"project": "p", "dataset": "d"}  # the analytics dataset read_metric queries


def _sql_of(source: str) -> str:
    files = {**view_files(), **function_files(), **daily_files()}
    assert source in files, f"no SQL file defines {source!r}"
    return files[source].read_text()


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_reads_a_view_that_has_its_columns(name: str) -> None:
    metric = METRICS[name]
    sql = _sql_of(metric.function or metric.view)
    aliases = set(re.findall(r"\bAS\s+([a-z_0-9]+)", metric.select))
    chart = metric.chart
    used = {metric.date_column, chart.x, chart.split, chart.group, *chart.series, *chart.columns}
    for column in used - {None} - aliases:
        assert re.search(rf"\b{column}\b", sql), f"{name}: {metric.view} has no {column!r}"


def test_the_ab_interval_threshold_the_dashboard_states_is_the_views() -> None:
    (threshold,) = re.findall(r"SELECT (\d+) AS min_raters", _sql_of("ab_results"))
    assert int(threshold) == AB_MIN_RATERS
    assert f"{AB_MIN_RATERS} raters" in METRICS["ab_results"].description


def test_the_ab_intervals_are_bonferronis_for_every_number_of_variants_allowed() -> None:
    # z of 1 - 0.05 / (2 m) for m comparisons with the control, m up to the variants allowed - 1
    table = re.findall(r"WHEN (\d+) THEN (\d\.\d+)", _sql_of("ab_results"))
    (most,) = [
        m.max_length
        for m in Experiment.model_fields["variants"].metadata
        if hasattr(m, "max_length")
    ]
    assert [int(m) for m, _ in table] == list(range(1, most))
    for m, z in table:
        assert float(z) == pytest.approx(NormalDist().inv_cdf(1 - 0.05 / (2 * int(m))), abs=5e-4)


def chi_square_sf(x: float, df: int) -> float:
    """P(X > x) for a chi-square of `df` degrees of freedom, in closed form (no scipy here)."""
    if df % 2 == 0:  # e^(-x/2) sum_{i < df/2} (x/2)^i / i!
        return math.exp(-x / 2) * sum((x / 2) ** i / math.factorial(i) for i in range(df // 2))
    term, total = math.sqrt(2 * x / math.pi), 0.0  # odd: 2 (1 - Phi(sqrt x)) + ...
    for i in range(1, (df - 1) // 2 + 1):
        total += term
        term *= x / (2 * i + 1)
    return 2 * (1 - NormalDist().cdf(math.sqrt(x))) + math.exp(-x / 2) * total


def test_the_ab_sample_ratio_check_is_at_p_0_001_for_every_number_of_variants_allowed() -> None:
    # the chi-square 0.999 quantile for df = variants - 1, up to the variants allowed - 1
    (block,) = re.findall(r"CASE COUNT\(\*\) - 1\s+(.*?)END AS chi_square_critical",
                          _sql_of("ab_results"), re.S)  # fmt: skip
    table = re.findall(r"WHEN (\d+) THEN (\d+\.\d+)", block)
    (most,) = [
        m.max_length
        for m in Experiment.model_fields["variants"].metadata
        if hasattr(m, "max_length")
    ]
    assert [int(df) for df, _ in table] == list(range(1, most))
    for df, critical in table:
        assert chi_square_sf(float(critical), int(df)) == pytest.approx(0.001, rel=0.01)
    assert chi_square_sf(10.47, 1) > 0.001 > chi_square_sf(11.85, 1)  # 1,150 / 1,160 vs 1,000


def test_only_charts_of_counts_read_a_missing_row_as_zero() -> None:
    # A view writes no row for a persona or intent without turns that day: its share is 0 and
    # the dashboard draws it so. A mean of no ratings or the latency of no turns is unknown:
    # the line breaks there instead of dropping to 0.
    zero = {n for n, m in METRICS.items() if m.chart.missing == "zero"}
    assert {"persona_distribution", "intent_mix", "crisis_counts", "service_errors"} <= zero
    means = {
        "satisfaction_by_persona",
        "satisfaction_by_persona_intent",
        "engagement_trend",
        "multi_turn_adoption",
        "alternative_persona_use",
        "service_latency",
        "service_degradation",
    }
    assert not zero & means
    assert METRICS["intent_mix"].describe()["chart"]["missing"] == "zero"


def test_metric_names_are_url_safe_and_unique() -> None:
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in METRICS)
    assert all(m.name == n for n, m in METRICS.items())


def test_a_dated_query_filters_by_parameters_never_by_text() -> None:
    # a metric from the events calls its view's table function with the range
    sql = metric_query(METRICS["daily_active_users"], project="p", dataset="d")
    want = "SELECT * FROM `p.d.daily_active_users_between`(@start, @end)"
    assert sql == f"{want} ORDER BY day LIMIT {MAX_ROWS}"
    sql = metric_query(METRICS["daily_activity"], project="p", dataset="d")
    want = "SELECT * FROM `p.d.daily_activity` WHERE day BETWEEN @start AND @end"
    assert sql == f"{want} ORDER BY day LIMIT {MAX_ROWS}"


def test_an_hourly_query_covers_whole_days() -> None:
    sql = metric_query(METRICS["service_latency"], project="p", dataset="d")
    assert "FROM `p.d.service_health_hourly_between`(@start, @end)" in sql
    function = _sql_of("service_health_hourly_between")
    assert "occurred_at >= TIMESTAMP(${start_day})" in function
    assert "occurred_at < TIMESTAMP(DATE_ADD(${end_day}, INTERVAL 1 DAY))" in function


def test_an_aggregate_query_groups_and_an_undated_one_has_no_filter() -> None:
    sql = metric_query(METRICS["user_segments"], project="p", dataset="d")
    assert sql.startswith("SELECT segment, COUNT(*) AS users FROM `p.d.user_segments`")
    assert "GROUP BY segment" in sql and "WHERE" not in sql
    assert metric_query(METRICS["churn_risk_users"], project="p", dataset="d").endswith("LIMIT 20")


def test_every_daily_table_is_read_by_a_metric_that_keeps_its_old_days() -> None:
    # A daily table no metric reads costs its scheduled query for nothing.
    readers = {m.view: m for m in METRICS.values()}
    for table in daily_files():
        assert table in readers, f"no metric reads the daily table {table}"
        assert not readers[table].from_events, table  # counted while every event was there


def test_satisfaction_by_persona_and_intent_averages_every_rating_of_the_range() -> None:
    sql = metric_query(METRICS["satisfaction_by_persona_intent"], **WHERE)
    # the sums of the range divided once, not a mean of the days' means
    want = (
        "SELECT intent, persona, SUM(turns) AS turns, SUM(ratings) AS ratings, "
        "SAFE_DIVIDE(SUM(satisfaction_sum), SUM(ratings)) AS avg_satisfaction "
        "FROM `p.d.daily_persona_intent` WHERE day BETWEEN @start AND @end "
        "GROUP BY intent, persona ORDER BY intent, persona"
    )
    assert sql == f"{want} LIMIT {MAX_ROWS}"
    reader = RecordingReader([])
    quarter = Period(TODAY - timedelta(days=89), TODAY)
    out = service.read_metric(
        name="satisfaction_by_persona_intent", period=quarter, today=TODAY, reader=reader, **WHERE
    )
    assert reader.calls[-1][1] == {"start": quarter.start, "end": TODAY} and out["note"] is None


def test_the_range_defaults_to_the_week_ending_today() -> None:
    assert resolve_period(PeriodQuery(), today=TODAY) == Period(date(2026, 11, 16), TODAY)
    only_to = PeriodQuery(end=date(2026, 10, 7))
    assert resolve_period(only_to, today=TODAY) == Period(date(2026, 10, 1), date(2026, 10, 7))
    only_from = PeriodQuery(start=date(2026, 11, 1))
    assert resolve_period(only_from, today=TODAY) == Period(date(2026, 11, 1), TODAY)
    one_day = PeriodQuery(start=TODAY, end=TODAY)
    assert resolve_period(one_day, today=TODAY).days == 1


def test_a_reversed_or_too_long_range_is_refused_with_the_field() -> None:
    with pytest.raises(InvalidInput) as reversed_:
        resolve_period(PeriodQuery(start=TODAY, end=date(2026, 11, 1)), today=TODAY)
    assert (reversed_.value.code, reversed_.value.field) == ("invalid_range", "to")
    longest = PeriodQuery(start=date(2025, 11, 22), end=date(2026, 11, 22))
    assert resolve_period(longest, today=TODAY).days == MAX_DAYS
    with pytest.raises(InvalidInput) as too_long:
        resolve_period(PeriodQuery(start=date(2025, 11, 21), end=TODAY), today=TODAY)
    assert too_long.value.field == "from"


@pytest.mark.parametrize(
    ("args", "field"),
    [({"from": "last week"}, "from"), ({"to": "2026-13-01"}, "to"), ({"limit": "5"}, "limit")],
)
def test_query_strings_are_validated_at_the_edge(args: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse(PeriodQuery, args)
    assert e.value.field == field


class RecordingReader:
    """The MetricReader port in memory: answers fixed rows and remembers what it was asked."""

    def __init__(self, rows: list[dict]) -> None:
        self._rows = rows
        self.calls: list[tuple[str, dict]] = []

    def rows(self, sql: str, params: dict) -> list[dict]:
        self.calls.append((sql, params))
        return self._rows


def test_a_metric_comes_back_as_json_ready_rows_with_its_chart() -> None:
    reader = RecordingReader(
        [
            {
                "day": date(2026, 11, 20),
                "at": datetime(2026, 11, 20, 10, tzinfo=UTC),
                "active_users": 12,
                "share": Decimal("0.25"),
                "nan": math.nan,
                "tags": ["a"],
            }
        ]
    )
    period = Period(date(2026, 11, 16), TODAY)
    out = service.read_metric(
        name="daily_active_users",
        period=period,
        today=TODAY,
        reader=reader,
        project="p",
        dataset="d",
    )
    assert reader.calls[0][1] == {"start": date(2026, 11, 16), "end": TODAY}
    assert (out["from"], out["to"], out["dated"]) == ("2026-11-16", "2026-11-22", True)
    assert out["rows"] == [
        {
            "day": "2026-11-20",
            "at": "2026-11-20T10:00:00Z",
            "active_users": 12,
            "share": 0.25,
            "nan": None,
            "tags": ["a"],
        }
    ]
    assert out["columns"] == ["day", "at", "active_users", "share", "nan", "tags"]
    assert out["chart"]["series"] == ["active_users", "sessions"]


def test_an_undated_metric_ignores_the_range() -> None:
    reader = RecordingReader([])
    period = Period(TODAY, TODAY)
    out = service.read_metric(name="ab_results", period=period, today=TODAY, reader=reader, **WHERE)
    assert reader.calls[0][1] == {}
    assert (out["from"], out["to"], out["rows"], out["columns"]) == (None, None, [], [])
    # Nor does a range older than the events' retention cut it short: it has no days to cut.
    old = Period(TODAY - timedelta(days=90), TODAY - timedelta(days=60))
    out = service.read_metric(name="ab_results", period=old, today=TODAY, reader=reader, **WHERE)
    assert len(reader.calls) == 2 and out["note"] is None


def test_an_unknown_metric_is_not_found_and_never_queried() -> None:
    reader = RecordingReader([])
    with pytest.raises(NotFound):
        name, period = "events; DROP TABLE x", Period(TODAY, TODAY)
        service.read_metric(name=name, period=period, today=TODAY, reader=reader, **WHERE)
    assert reader.calls == []


@pytest.mark.parametrize(
    "name", sorted(n for n, m in METRICS.items() if m.date_kind == "TIMESTAMP")
)
def test_an_hourly_metric_refuses_a_range_its_row_limit_would_cut(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows come oldest first under a LIMIT: a range with more hours than the limit would lose
    its newest hours without a word, so it is a 400 instead. (The hourly metrics are read from
    the events, whose range is cut to COMPLETE_DAYS first: here as if materialised, which
    would keep every day asked for.)"""
    metric = replace(METRICS[name], from_events=False)
    monkeypatch.setitem(METRICS, name, metric)
    assert metric.max_days == MAX_HOURLY_DAYS and metric.limit >= MAX_HOURLY_DAYS * 24
    reader = RecordingReader([])
    longest = Period(TODAY - timedelta(days=MAX_HOURLY_DAYS - 1), TODAY)
    service.read_metric(name=name, period=longest, today=TODAY, reader=reader, **WHERE)
    assert len(reader.calls) == 1
    too_long = Period(longest.start - timedelta(days=1), TODAY)
    with pytest.raises(InvalidInput) as e:
        service.read_metric(name=name, period=too_long, today=TODAY, reader=reader, **WHERE)
    assert (e.value.status, e.value.code, e.value.field) == (400, "invalid_range", "from")
    assert str(MAX_HOURLY_DAYS) in e.value.message
    assert len(reader.calls) == 1  # never queried
    # A daily metric takes the full range.
    year = Period(TODAY - timedelta(days=MAX_DAYS - 1), TODAY)
    service.read_metric(name="daily_active_users", period=year, today=TODAY, reader=reader, **WHERE)


@pytest.mark.parametrize(
    "name", sorted(n for n, m in METRICS.items() if m.date_kind == "TIMESTAMP")
)
def test_a_year_of_an_hourly_metric_from_the_events_is_its_last_30_days(name: str) -> None:
    # Only the last COMPLETE_DAYS are queried, whose hours fit the row limit: the year asked
    # for is served as those days with the note, not refused for its length.
    assert METRICS[name].from_events
    reader = RecordingReader([])
    year = Period(TODAY - timedelta(days=MAX_DAYS - 1), TODAY)
    out = service.read_metric(name=name, period=year, today=TODAY, reader=reader, **WHERE)
    floor = TODAY - timedelta(days=COMPLETE_DAYS - 1)
    assert reader.calls[-1][1] == {"start": floor, "end": TODAY}
    assert out["from"] == floor.isoformat() and str(floor) in out["note"]


@pytest.mark.parametrize(
    ("claims", "operator"),
    [
        ({"role": "operator"}, True),
        ({"role": "admin"}, False),
        ({"role": ["operator"]}, False),
        ({"operator": True}, False),
        ({}, False),
    ],
)
def test_only_the_operator_role_claim_opens_insights(claims: dict, operator: bool) -> None:
    caller = Caller(uid="u1", claims={"uid": "u1", **claims})
    assert caller.is_operator is operator
    if operator:
        caller.require_operator()
    else:
        with pytest.raises(Forbidden) as e:
            caller.require_operator()
        assert (e.value.status, e.value.code) == (403, "forbidden")


@pytest.fixture(scope="module")
def insights_app():
    return function_client("insights")


def test_the_api_without_a_token_is_401(insights_app) -> None:
    r = insights_app.get("/v2/insights/metrics/daily_active_users")
    assert r.status_code == 401
    assert r.json["error"]["code"] == "missing_token"


@pytest.mark.parametrize("asset", ["dashboard", "dashboard.js", "dashboard.css"])
def test_the_dashboard_assets_are_served_under_a_strict_policy(insights_app, asset) -> None:
    r = insights_app.get(f"/v2/insights/{asset}")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert r.headers["Referrer-Policy"] == "no-referrer"
    text = r.get_data(as_text=True)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), "an external URL"
    assert "token" not in r.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    "path",
    [
        "/v2/insights/dashboard/",
        "/v2/insights/dashboard.js/",
        "/v2/insights/dashboard.css/",
    ],
)
def test_an_asset_path_with_a_trailing_slash_is_not_found(insights_app, path) -> None:
    r = insights_app.get(path)
    assert r.status_code == 404
    assert r.json == {
        "error": {"code": "route_not_found", "message": "There is nothing at this path."}
    }


@pytest.mark.parametrize("end", [date(1, 1, 3), date(2019, 12, 31), date(9999, 12, 31)])
def test_a_range_ending_outside_the_product_s_years_is_refused(end) -> None:
    with pytest.raises(InvalidInput) as refused:
        resolve_period(PeriodQuery(end=end), today=TODAY)  # not an OverflowError (500)
    assert (refused.value.code, refused.value.field) == ("invalid_range", "to")


def test_the_range_may_end_tomorrow_for_operators_ahead_of_utc() -> None:
    tomorrow = TODAY + timedelta(days=1)
    assert resolve_period(PeriodQuery(end=tomorrow), today=TODAY).end == tomorrow
    with pytest.raises(InvalidInput):
        resolve_period(PeriodQuery(end=tomorrow + timedelta(days=1)), today=TODAY)


def test_the_users_most_at_risk_are_the_20_highest_risks() -> None:
    sql = metric_query(METRICS["churn_risk_users"], **WHERE)
    assert sql.endswith(" ORDER BY risk DESC, user_key LIMIT 20")


def test_a_range_that_starts_or_ends_on_the_first_complete_day_is_served_as_asked() -> None:
    floor = TODAY - timedelta(days=COMPLETE_DAYS - 1)
    reader = RecordingReader([])
    from_floor = Period(floor, TODAY)
    out = service.read_metric(
        name="daily_active_users", period=from_floor, today=TODAY, reader=reader, **WHERE
    )
    assert reader.calls[-1][1] == {"start": floor, "end": TODAY} and out["note"] is None
    to_floor = Period(floor - timedelta(days=6), floor)
    out = service.read_metric(
        name="daily_active_users", period=to_floor, today=TODAY, reader=reader, **WHERE
    )
    assert reader.calls[-1][1] == {"start": floor, "end": floor}  # its one complete day
    assert out["from"] == out["to"] == floor.isoformat()


def test_a_metric_from_the_events_starts_where_retention_leaves_them_complete() -> None:
    # Retention deletes a 30-day user's events after 30 days, anonymised ones stay: an older
    # day read from the events would undercount (and mix) its users. The materialised daily
    # aggregates were counted while every event was there.
    floor = TODAY - timedelta(days=COMPLETE_DAYS - 1)
    reader = RecordingReader([])
    quarter = Period(TODAY - timedelta(days=89), TODAY)
    out = service.read_metric(
        name="daily_active_users", period=quarter, today=TODAY, reader=reader, **WHERE
    )
    assert reader.calls[-1][1] == {"start": floor, "end": TODAY}
    assert out["from"] == floor.isoformat() and str(floor) in out["note"]
    old = Period(TODAY - timedelta(days=89), floor - timedelta(days=1))
    out = service.read_metric(
        name="daily_active_users", period=old, today=TODAY, reader=reader, **WHERE
    )
    assert len(reader.calls) == 1 and out["rows"] == [] and out["note"]  # nothing to ask
    out = service.read_metric(
        name="daily_activity", period=quarter, today=TODAY, reader=reader, **WHERE
    )
    assert reader.calls[-1][1]["start"] == quarter.start and out["note"] is None
    # A week's change is against the week before: that one must be complete too.
    service.read_metric(
        name="engagement_trend", period=quarter, today=TODAY, reader=reader, **WHERE
    )
    assert reader.calls[-1][1]["start"] == floor + timedelta(days=7)


# --- Who read what (the access review: an operator's reads of per-user rows left no line) -----


@pytest.fixture(scope="module")
def insights_main():
    # Loaded before a test's caplog starts: main.py's first load sets up logging, which replaces
    # the root logger's handlers (caplog's among them), so a test run alone would see no lines.
    return load_main("insights")


def _insights_get(monkeypatch, insights, caller: Caller, path: str, reader: RecordingReader):
    """GET `path` of the `insights` function as `caller`, its reads answered by `reader`."""
    monkeypatch.setattr(insights, "authenticate", lambda request, **_: caller)
    monkeypatch.setattr(insights, "_reader", lambda: reader)
    with flask.Flask(__name__).test_request_context(path):
        return insights.insights(flask.request)


def _lines(caplog, message: str) -> list[dict]:
    records = [r for r in caplog.records if r.getMessage() == message]
    return [json.loads(formatter().format(r)) for r in records]


def test_an_operators_read_of_a_metric_logs_who_read_which_rows(
    monkeypatch, caplog, insights_main
) -> None:
    operator = Caller(
        uid="op-1", claims={"uid": "op-1", "role": "operator", "email": "ops@example.com"}
    )
    rows = [{"user_key": f"k{i}", "risk": 0.9} for i in range(3)]
    today = datetime.now(UTC).date()
    start = today - timedelta(days=2)
    with caplog.at_level(logging.INFO):
        risky = _insights_get(
            monkeypatch,
            insights_main,
            operator,
            "/v2/insights/metrics/churn_risk_users",
            RecordingReader(rows),
        )
        dated = _insights_get(
            monkeypatch,
            insights_main,
            operator,
            f"/v2/insights/metrics/daily_active_users?from={start}&to={today}",
            RecordingReader(rows[:1]),
        )
        _insights_get(
            monkeypatch, insights_main, operator, "/v2/insights/metrics", RecordingReader([])
        )
    assert risky.status_code == dated.status_code == 200
    first, second = _lines(caplog, OPERATOR_ACCESS)  # the index shows no rows: no line
    assert first["severity"] == "INFO" and first["logger"] == "common.insights.access"
    assert (first[OPERATOR_UID], first[OPERATOR_EMAIL]) == ("op-1", "ops@example.com")
    assert (first["metric"], first["rows"], first["from"], first["to"]) == (
        "churn_risk_users",
        3,
        None,
        None,
    )
    assert (second["metric"], second["rows"]) == ("daily_active_users", 1)
    assert (second["from"], second["to"]) == (start.isoformat(), today.isoformat())


def test_the_access_line_is_written_at_any_log_level(caplog) -> None:
    # LOG_LEVEL=WARNING (app_config.log_level) would drop an INFO line: not this one, which the
    # access log keeps (the erasure log's rule: test_erasure_log).
    operator = Caller(uid="op-1", claims={"uid": "op-1", "role": "operator"})
    root = logging.getLogger()
    level, root.level = root.level, logging.WARNING
    try:
        access.log_read(
            operator,
            metric="churn_risk_users",
            served={"from": None, "to": None, "rows": [{"user_key": "k1"}]},
        )
    finally:
        root.level = level
    (line,) = _lines(caplog, OPERATOR_ACCESS)
    assert (line["metric"], line["rows"]) == ("churn_risk_users", 1)


def test_a_refused_caller_is_logged_by_uid_once_a_minute(
    monkeypatch, caplog, insights_main
) -> None:
    user = Caller(uid="not-an-operator-7", claims={"uid": "not-an-operator-7"})
    reader = RecordingReader([{"user_key": "k1"}])
    with caplog.at_level(logging.INFO):
        answers = [
            _insights_get(
                monkeypatch, insights_main, user, "/v2/insights/metrics/vip_users", reader
            )
            for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [403] * 3
    (line,) = _lines(caplog, OPERATOR_REFUSED)  # the next two are counted, not logged
    assert line["severity"] == "WARNING"
    assert (line[REFUSED_UID], line[COUNT]) == ("not-an-operator-7", 1)
    assert reader.calls == [] and _lines(caplog, OPERATOR_ACCESS) == []
