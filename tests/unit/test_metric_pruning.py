"""Every dated dashboard metric from the events reads only the range's day partitions: each scan
of the `events` table (partitioned by day on occurred_at) sits in a SELECT whose WHERE bounds
occurred_at from both sides by the range, so BigQuery prunes the other days before anything
else runs, the de-duplication window included. Parsed, not run: the emulator bills nothing.

The range comes in as the query's @start and @end and, inside a table function, as its
start_day and end_day; a function's arguments must come from the caller's range. A view (or a
filter outside the scan's SELECT) cuts that chain: BigQuery cannot push a filter on a view's
output through its window, so a metric that reads a view reads every day kept.

The daily scheduled queries (common/analytics/daily/) are held to the same rule, their range
being the days a run can recompute, from a number of days before the run's CURRENT_DATE(): a
lower bound is enough there, no partition lies ahead of the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlglot
from sqlglot import exp

from common.analytics.schema import PARTITION_FIELD, TABLE
from common.analytics.warehouse import (
    ALL_TIME,
    FUNCTION_RANGE,
    FUNCTION_SUFFIX,
    daily_files,
    function_files,
    render,
    view_files,
)
from common.insights.metrics import METRICS, metric_query

PROJECT, DATASET = "p", "d"
DATED = sorted(n for n, m in METRICS.items() if m.date_column and m.from_events)
QUERY_RANGE = frozenset({"start", "end"})  # metric_query's parameters
ARGUMENTS = frozenset(FUNCTION_RANGE)  # a table function's
RUN_DAY = frozenset({"CURRENT_DATE"})  # a daily query's: days counted back from the run's
BOTH = frozenset({"lower", "upper"})


def _sql(files: dict, days: dict[str, str]) -> dict[str, str]:
    return {
        n: render(p.read_text(), project=PROJECT, dataset=DATASET, **days) for n, p in files.items()
    }


FUNCTIONS, VIEWS = _sql(function_files(), FUNCTION_RANGE), _sql(view_files(), ALL_TIME)


def _names(node: exp.Expression) -> set[str]:
    """The columns and query parameters an expression reads, and CURRENT_DATE (the run's day,
    a constant BigQuery prunes by)."""
    names = {n.name for n in node.find_all(exp.Column, exp.Parameter)}
    return names | ({"CURRENT_DATE"} if node.find(exp.CurrentDate) else set())


def _of_range(node: exp.Expression, names: frozenset[str]) -> bool:
    """An expression of the range alone (not of a column, a subquery or nothing)."""
    read = _names(node)
    return bool(read) and read <= names and not node.find(exp.Query)


def _conjuncts(node: exp.Expression) -> Iterator[exp.Expression]:
    node = node.unnest()
    if isinstance(node, exp.And):
        for part in node.flatten():
            yield from _conjuncts(part)
    else:
        yield node


def _column(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and node.name == PARTITION_FIELD


def _bounds(select: exp.Select, names: frozenset[str]) -> set[str]:
    """Which sides ("lower", "upper") the SELECT's WHERE bounds the bare partitioning column on
    with expressions of the range. A function around the column (DATE(occurred_at)) or an OR
    around the comparison leaves that bound out."""
    where = select.args.get("where")
    sides: set[str] = set()
    for term in _conjuncts(where.this) if where else ():
        if isinstance(term, exp.Between) and _column(term.this):
            if _of_range(term.args["low"], names) and _of_range(term.args["high"], names):
                sides |= {"lower", "upper"}
            continue
        if not isinstance(term, exp.GT | exp.GTE | exp.LT | exp.LTE):
            continue
        left, right = term.this, term.expression
        below = isinstance(term, exp.GT | exp.GTE)  # column on the left: a lower bound
        if _column(left) and _of_range(right, names):
            sides.add("lower" if below else "upper")
        elif _column(right) and _of_range(left, names):
            sides.add("upper" if below else "lower")
    return sides


def unpruned_scans(
    sql: str | exp.Expression, names: frozenset[str], path: str, need: frozenset[str] = BOTH
) -> list[str]:
    """Each scan of the events table `sql` reads, through the table functions and views it calls
    (followed as BigQuery inlines them), that is not bounded on occurred_at by the range (whose
    names are `names`) on the sides `need` says, with the path that leads to it."""
    problems = []
    tree = sqlglot.parse_one(sql, read="bigquery") if isinstance(sql, str) else sql
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Anonymous):  # a table function: `p.d.name`(args)
            name = table.this.name.removeprefix(f"{PROJECT}.{DATASET}.")
            args = table.this.expressions
            if not all(_of_range(a, names) for a in args):
                problems.append(f"{path} -> {name}: called with {[a.sql() for a in args]}")
            else:
                problems += unpruned_scans(FUNCTIONS[name], ARGUMENTS, f"{path} -> {name}")
        elif table.db != DATASET:
            continue  # a WITH clause's name
        elif table.name == TABLE:
            sides = _bounds(table.find_ancestor(exp.Select), names)
            if not need <= sides:
                missing = " and ".join(sorted(need - sides))
                problems.append(f"{path} -> {TABLE}: no {missing} bound from the range")
        elif table.name in VIEWS:
            problems += unpruned_scans(VIEWS[table.name], names, f"{path} -> {table.name}", need)
    return problems


@pytest.mark.parametrize("name", DATED)
def test_a_dated_metric_reads_only_its_range_of_the_events_table(name: str) -> None:
    sql = metric_query(METRICS[name], project=PROJECT, dataset=DATASET)
    assert unpruned_scans(sql, QUERY_RANGE, name) == []


def test_the_check_finds_a_scan_the_range_does_not_bound() -> None:
    scan = "SELECT * FROM `p.d.events` WHERE "
    ok = scan + "occurred_at >= TIMESTAMP(@start) AND occurred_at < TIMESTAMP(@end)"
    assert unpruned_scans(ok, QUERY_RANGE, "q") == []
    for bad in [
        scan + "occurred_at >= TIMESTAMP(@start)",  # no upper bound
        scan + "DATE(occurred_at) BETWEEN @start AND @end",  # a function around the column
        scan + "occurred_at >= TIMESTAMP(@start) OR occurred_at < TIMESTAMP(@end)",
        scan + "occurred_at BETWEEN ingested_at AND TIMESTAMP(@end)",  # not by the range alone
        # outside the SELECT that scans, after its window: what a view's caller can do
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id) AS n"
        " FROM `p.d.events`) WHERE occurred_at >= TIMESTAMP(@start)"
        " AND occurred_at < TIMESTAMP(@end)",
        "SELECT * FROM `p.d.turns` WHERE day BETWEEN @start AND @end",  # a view
        "SELECT * FROM `p.d.turns_between`(@start, DATE '2999-12-31')",  # not the range's end
    ]:
        assert unpruned_scans(bad, QUERY_RANGE, "q"), bad


def test_every_table_function_reads_the_events_only_within_its_range() -> None:
    """Also those no metric reads yet. Each is also a view, over all time (not pruned)."""
    for name, sql in FUNCTIONS.items():
        assert name.endswith(FUNCTION_SUFFIX), name
        assert unpruned_scans(sql, ARGUMENTS, name) == [], name
        assert "events`" in sql or f"{FUNCTION_SUFFIX}`(" in sql, f"{name} reads no events"
        view = name.removesuffix(FUNCTION_SUFFIX)
        assert view_files()[view] == function_files()[name], name
        assert "DATE '1970-01-01'" in VIEWS[view], view


def _merge(name: str) -> exp.Merge:
    """A daily file's MERGE (after its CREATE TABLE and ALTER TABLE)."""
    path = daily_files()[name]
    sql = render(path.read_text(), project=PROJECT, dataset=DATASET, definition="x")
    (merge,) = [s for s in sqlglot.parse(sql, read="bigquery") if isinstance(s, exp.Merge)]
    return merge


@pytest.mark.parametrize("name", sorted(daily_files()))
def test_a_daily_query_reads_only_the_days_it_can_recompute(name: str) -> None:
    # It recomputes no day before the last 30 (the cleanup has thinned them), so it reads none:
    # the all-time views filtered on `day`, or `recent` bounded on ingested_at alone, read
    # every day kept, every day (~740 GiB a day at load C, docs/CAPACITY.md section 6).
    merge = _merge(name)
    assert merge.find(exp.Table), name
    assert unpruned_scans(merge, RUN_DAY, name, frozenset({"lower"})) == []


def test_the_check_finds_a_daily_scan_the_run_s_day_does_not_bound() -> None:
    lower, scan = frozenset({"lower"}), "SELECT * FROM `p.d.events` WHERE "
    since = "TIMESTAMP(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY))"
    assert unpruned_scans(scan + f"occurred_at >= {since}", RUN_DAY, "q", lower) == []
    for bad in [
        scan + "ingested_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 DAY)",
        scan + "occurred_at >= (SELECT MAX(refreshed_at) FROM `p.d.daily_activity`)",  # noqa: S608
        scan + "occurred_at >= TIMESTAMP('2026-01-01')",  # fixed: one day it is everything
        "SELECT * FROM `p.d.turns` WHERE day >= DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY)",
        "SELECT * FROM `p.d.turns_between`(DATE '1970-01-01', CURRENT_DATE())",
    ]:
        assert unpruned_scans(bad, RUN_DAY, "q", lower), bad
