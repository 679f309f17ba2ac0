"""The operators' metrics (pure): which view, table function or daily table answers each one,
how it is filtered by date, and how the dashboard draws it. Names and views come from this
registry, never from a request, so a request can only choose among these queries and fill in
their date parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from common.cleanup import RETENTION_CHOICES
from common.errors import InvalidInput

DEFAULT_DAYS = 7
MAX_DAYS = 366
EARLIEST = date(2020, 1, 1)  # before the product: a range that starts earlier is a typo
MAX_ROWS = 5000  # a chart of more points than this is not readable anyway
# An hourly metric has a row per hour: a longer range would pass MAX_ROWS and the query's LIMIT
# would silently drop the newest hours, so such a range is refused instead.
MAX_HOURLY_DAYS = MAX_ROWS // 24
# The cleanup job deletes a user's events past their retention, the shortest 30 days: a view over
# the events undercounts older days (those users' rows are gone, anonymised ones stay), so its
# range starts no earlier than this many days ago. Materialised aggregates keep older days.
COMPLETE_DAYS = min(RETENTION_CHOICES)
# ab_results.sql's min_raters: an A/B interval is shown from this many users who rated in the
# variant and in the control (with both outcomes among them); its coverage is short below.
AB_MIN_RATERS = 100


@dataclass(frozen=True)
class Chart:
    """How the dashboard draws a metric: a line over time, bars per category, or a table."""

    kind: Literal["line", "bar", "table"]
    x: str | None = None  # the column along the x axis (line, bar)
    series: tuple[str, ...] = ()  # the numeric columns drawn (line, bar)
    # Long-form rows: one series per value of this column, drawing the first `series` column.
    split: str | None = None
    group: str | None = None  # a column named before x in each label (bars of several groups)
    columns: tuple[str, ...] = ()  # the columns shown in a table; empty: all
    # What a series with no row at an x (where other series have one) is worth: "zero" where
    # the view counts things and writes no row for none (e.g. a persona without turns that
    # day), "gap" where the value is unknown (a mean or rate of nothing is not 0).
    missing: Literal["zero", "gap"] = "gap"


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    description: str
    view: str  # a view in the analytics dataset (common/analytics/views/<view>.sql)
    chart: Chart
    # The view's date column the requested range filters on (None: the view is not by date,
    # e.g. one row per experiment), and whether it is a DATE or a TIMESTAMP.
    date_column: str | None = None
    date_kind: Literal["DATE", "TIMESTAMP"] = "DATE"
    order_by: tuple[str, ...] = field(default_factory=tuple)
    # An aggregate over the view instead of its rows (SQL of the registry, never of a request).
    select: str = "*"
    group_by: tuple[str, ...] = ()
    limit: int = MAX_ROWS
    max_days: int = MAX_DAYS  # the longest range whose rows fit in `limit`
    # Computed from the events table, which retention thins out (COMPLETE_DAYS); False for a
    # materialised table, whose days were counted while every event was there.
    from_events: bool = True
    looks_back_days: int = 0  # each row compares with this many days before its own

    @property
    def function(self) -> str | None:
        """The table function a dated metric from the events reads instead of its view:
        `<view>_between(start_day, end_day)` (common/analytics/functions/), the view's rows for
        those days. It bounds occurred_at where it reads the events table, before removing
        copies, so BigQuery reads only the range's day partitions; the view (the same file over
        all time) is read whole whatever the range: a filter on its rows comes after the
        de-duplication. None: the metric reads its view (undated: all time by design) or daily
        table."""
        return f"{self.view}_between" if self.date_column and self.from_events else None

    def describe(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "dated": self.date_column is not None,
            "chart": chart_dict(self.chart),
        }


def chart_dict(chart: Chart) -> dict:
    return {
        "kind": chart.kind,
        "x": chart.x,
        "series": list(chart.series),
        "split": chart.split,
        "group": chart.group,
        "columns": list(chart.columns),
        "missing": chart.missing,
    }


def _metrics(*metrics: Metric) -> dict[str, Metric]:
    return {m.name: m for m in metrics}


class _Dated(TypedDict, total=False):
    """The date fields a dated metric passes to Metric (typed, so that **DAY is checked)."""

    date_column: str
    date_kind: Literal["DATE", "TIMESTAMP"]
    order_by: tuple[str, ...]
    max_days: int


DAY: _Dated = {"date_column": "day", "order_by": ("day",)}
WEEK: _Dated = {"date_column": "week_start", "order_by": ("week_start",)}
HOUR: _Dated = {
    "date_column": "hour",
    "date_kind": "TIMESTAMP",
    "order_by": ("hour",),
    "max_days": MAX_HOURLY_DAYS,
}

METRICS: dict[str, Metric] = _metrics(
    Metric(
        name="daily_activity",
        title="Daily activity",
        description="Active users, turns and ratings per day (materialised daily aggregates: "
        "when how they are computed changes, the last 30 days are recomputed and older days "
        "keep their figures).",
        view="daily_activity",
        chart=Chart(
            kind="line", x="day", series=("active_users", "turns", "ratings"), missing="zero"
        ),
        from_events=False,
        **DAY,
    ),
    Metric(
        name="daily_active_users",
        title="Daily active users",
        description="Distinct users with a turn that day, and their sessions.",
        view="daily_active_users",
        chart=Chart(kind="line", x="day", series=("active_users", "sessions"), missing="zero"),
        **DAY,
    ),
    Metric(
        name="weekly_active_users",
        title="Weekly active users",
        description="Distinct users with a turn in the week (weeks start on Monday, UTC).",
        view="weekly_active_users",
        chart=Chart(kind="bar", x="week_start", series=("active_users",), missing="zero"),
        **WEEK,
    ),
    Metric(
        name="engagement_trend",
        title="Week-over-week engagement",
        description=(
            "Turns per active user each week, with the change to the week before; the week in "
            "progress (days < 7) is compared with the same days of the week before."
        ),
        view="engagement_trend",
        looks_back_days=7,  # the week before
        chart=Chart(
            kind="bar",
            x="week_start",
            series=("turns_per_user",),
            columns=(
                "week_start",
                "days",
                "active_users",
                "active_users_change",
                "turns",
                "turns_change",
                "turns_per_user",
                "turns_per_user_change",
            ),
        ),
        **WEEK,
    ),
    Metric(
        name="ab_results",
        title="A/B tests: satisfaction by variant",
        description=(
            "Share of rated turns rated positively per variant, with the difference to the "
            "control and its interval (normal approximation, users as the unit); users are "
            "assigned by a hash of experiment and user. The intervals are 95 % for all of an "
            "experiment's comparisons with its control together (Bonferroni: wider with more "
            "variants; at 95 % each, some interval of a test of 4 identical variants excluded "
            "0 in 16 % of simulated tests). The interval is left empty (enough "
            f"data: no) until the variant and the control each have {AB_MIN_RATERS} raters "
            "(users who rated) with both positive and other ratings among them: below that it "
            "is too narrow (in simulation, 85 % coverage instead of 95 % at 20 raters per "
            "variant, 90 % at 100, close to 95 % from a few hundred). Users in other variants "
            "counts a variant's users also seen in another variant of the experiment (its "
            "shares' ratio or variants changed under the same id): the interval assumes none. "
            "A sample ratio mismatch (srm_suspect: yes) is a split of the users between the "
            "variants further from the configured shares than chance would put it once in "
            "1,000 experiments (chi-square test): some variant lost or gained users, so no "
            "interval is given (enough data: no). "
            "Users who anonymised analytics are in no experiment (their variant would link "
            "their anonymous rows to their keyed ones). The interval holds for one reading at "
            "the experiment's planned end, not for repeated looks: stopping at the first day "
            "it excludes 0 calls about 1 in 4 tests of identical variants a winner."
        ),
        view="ab_results",
        chart=Chart(
            kind="bar",
            x="variant",
            group="experiment",
            series=("satisfaction",),
            columns=(
                "experiment",
                "variant",
                "is_control",
                "users",
                "users_in_other_variants",
                "srm_suspect",
                "turns",
                "ratings",
                "raters",
                "satisfaction",
                "enough_data",
                "difference",
                "difference_low",
                "difference_high",
            ),
        ),
        order_by=("experiment", "variant"),
    ),
    Metric(
        name="persona_distribution",
        title="Persona distribution",
        description="Share of each day's turns answered by each persona.",
        view="persona_distribution",
        chart=Chart(kind="line", x="day", series=("share",), split="persona", missing="zero"),
        **DAY,
    ),
    Metric(
        name="satisfaction_by_persona",
        title="Satisfaction by persona",
        description="Mean rating as a reward in [0, 1] per persona and week (last rating "
        "stands; ratings of the crisis safety message and of turns in care after a crisis "
        "left out). The personas do not answer the same users: the router gives Lua the low "
        "moods and Nana the excited ones, so a difference between personas is partly one "
        "between the people and moods each meets, not only between the personas (Satisfaction "
        "by persona and intent compares them within one intent).",
        view="satisfaction_by_persona",
        chart=Chart(
            kind="bar",
            x="persona",
            group="week_start",
            series=("avg_satisfaction", "positive_share"),
        ),
        date_column="week_start",
        order_by=("week_start", "persona"),
    ),
    Metric(
        name="satisfaction_by_persona_intent",
        title="Satisfaction by persona and intent",
        description="Mean rating as a reward in [0, 1] per intent and persona over the range, "
        "with the ratings it averages (materialised daily; a rating counts on its turn's day). "
        "Comparing personas within one intent is fairer than the overall means per persona: "
        "the router gives each persona different messages. Ratings of the crisis safety "
        "message and of turns in care after a crisis are left out (a day already 30 days old "
        "when the deployment took that change keeps its earlier figures, with them).",
        view="daily_persona_intent",
        # Sums over the days, divided once: a mean of the daily means would weigh a day of one
        # rating like a day of a hundred.
        select="intent, persona, SUM(turns) AS turns, SUM(ratings) AS ratings, "
        "SAFE_DIVIDE(SUM(satisfaction_sum), SUM(ratings)) AS avg_satisfaction",
        group_by=("intent", "persona"),
        chart=Chart(
            kind="bar",
            x="intent",
            split="persona",  # one bar per persona within each intent
            series=("avg_satisfaction",),
            columns=("intent", "persona", "avg_satisfaction", "ratings", "turns"),
        ),
        from_events=False,
        date_column="day",
        order_by=("intent", "persona"),
    ),
    Metric(
        name="intent_mix",
        title="Intent mix",
        description="Share of each day's turns by what the user came for.",
        view="intent_mix",
        chart=Chart(kind="line", x="day", series=("share",), split="intent", missing="zero"),
        **DAY,
    ),
    Metric(
        name="multi_turn_adoption",
        title="Multi-turn adoption",
        description="Share of sessions with two or more turns, by the day they started.",
        view="multi_turn_adoption",
        chart=Chart(kind="line", x="day", series=("multi_turn_share",)),
        **DAY,
    ),
    Metric(
        name="alternative_persona_use",
        title="Alternative personas chosen",
        description="Share of turns where the user picked another persona than the ranked one.",
        view="alternative_persona_use",
        select="day, SUM(requested_turns) AS requested_turns, "
        "SAFE_DIVIDE(SUM(requested_turns), SUM(turns)) AS requested_share",
        group_by=("day",),
        chart=Chart(kind="line", x="day", series=("requested_share",)),
        **DAY,
    ),
    Metric(
        name="user_segments",
        title="User segments",
        description="Users by lifecycle and engagement (new, power, regular, lapsing, dormant). "
        "New: first seen in the last 7 days among the events still kept; retention deletes a "
        "user's older events, so one back after a pause of about their retention (30 days or "
        "more) counts as new again.",
        view="user_segments",
        select="segment, COUNT(*) AS users",
        group_by=("segment",),
        chart=Chart(kind="bar", x="segment", series=("users",), missing="zero"),
        order_by=("segment",),
    ),
    Metric(
        name="churn_risk",
        title="Churn risk",
        description="Users by churn-risk band (a documented score of recency, frequency, "
        "trend and satisfaction).",
        view="churn_risk",
        select="band, COUNT(*) AS users, AVG(risk) AS avg_risk",
        group_by=("band",),
        chart=Chart(kind="bar", x="band", series=("users",), missing="zero"),
        order_by=("band",),
    ),
    Metric(
        name="churn_risk_users",
        title="Users most at risk of leaving",
        description="The 20 user keys with the highest churn risk.",
        view="churn_risk",
        select="user_key, risk, band, recency_days, active_days_28d, satisfaction_28d",
        chart=Chart(kind="table"),
        order_by=("risk DESC", "user_key"),
        limit=20,
    ),
    Metric(
        name="vip_users",
        title="VIP users",
        description="The most engaged 5 % of the last 28 days who came back on 8+ days.",
        view="vip_users",
        chart=Chart(
            kind="table",
            columns=(
                "user_key",
                "turns_28d",
                "active_days_28d",
                "satisfaction_28d",
                "favourite_persona",
            ),
        ),
        order_by=("turns_28d DESC", "user_key"),
        limit=50,
    ),
    Metric(
        name="crisis_counts",
        title="Crisis turns",
        description="Turns answered as a crisis per day (counts only, never any text).",
        view="crisis_counts",
        select="day, SUM(crises) AS crises",
        group_by=("day",),
        chart=Chart(kind="bar", x="day", series=("crises",), missing="zero"),
        **DAY,
    ),
    Metric(
        name="service_latency",
        title="Turn latency",
        description="Server time of a turn per hour, median and 95th percentile (ms).",
        view="service_health_hourly",
        chart=Chart(kind="line", x="hour", series=("latency_p50_ms", "latency_p95_ms")),
        **HOUR,
    ),
    Metric(
        name="service_degradation",
        title="Degraded turns and errors",
        description="Per hour: share of degraded turns, persona-model fallback rate, errors.",
        view="service_health_hourly",
        chart=Chart(kind="line", x="hour", series=("degraded_share", "model_fallback_rate")),
        **HOUR,
    ),
    Metric(
        name="service_errors",
        title="Errors",
        description=(
            "Per hour: replies the template had to write, rate-limit spells (a user's first "
            "refusal in a spell: the refusals after it send no event), all errors."
        ),
        view="service_health_hourly",
        chart=Chart(
            kind="line",
            x="hour",
            series=("errors", "reply_generator_errors", "rate_limited"),
            missing="zero",
        ),
        **HOUR,
    ),
)


class PeriodQuery(BaseModel):
    """The query string of a metric request: `from` and `to`, ISO dates, both optional."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")


@dataclass(frozen=True)
class Period:
    """A range of UTC days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def resolve_period(query: PeriodQuery, *, today: date) -> Period:
    """The requested range; `to` defaults to today and `from` to the week ending at `to`."""
    end = query.end or today
    if not EARLIEST <= end <= today + timedelta(days=1):  # a day's slack for clocks ahead of UTC
        raise InvalidInput(
            f"'to' must be between {EARLIEST} and tomorrow (UTC).", code="invalid_range", field="to"
        )
    start = query.start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise InvalidInput("'to' must not be before 'from'.", code="invalid_range", field="to")
    period = Period(start, end)
    if period.days > MAX_DAYS:
        raise InvalidInput(
            f"The range may span at most {MAX_DAYS} days.", code="invalid_range", field="from"
        )
    return period


def check_period(metric: Metric, period: Period) -> None:
    """Refuse a range longer than the metric's rows can cover (see MAX_HOURLY_DAYS)."""
    if metric.date_column and period.days > metric.max_days:
        raise InvalidInput(
            f"{metric.title}: the range may span at most {metric.max_days} days.",
            code="invalid_range",
            field="from",
        )


def complete_period(metric: Metric, period: Period, *, today: date) -> tuple[Period | None, str]:
    """The part of `period` a metric can answer completely, and a note when that is less: a
    metric from the events starts COMPLETE_DAYS ago at the earliest, less the days each row
    looks back over (None: nothing is left)."""
    floor = today - timedelta(days=COMPLETE_DAYS - 1 - metric.looks_back_days)
    if not metric.date_column or not metric.from_events or period.start >= floor:
        return period, ""
    note = (
        f"Shown from {floor}: the cleanup job deletes events past each user's retention "
        f"(the shortest is {COMPLETE_DAYS} days), so older days would undercount; the daily "
        "activity chart keeps them."
    )
    return (Period(floor, period.end) if period.end >= floor else None), note


def metric_query(metric: Metric, *, project: str, dataset: str) -> str:
    """The SQL of one metric; `@start` and `@end` (DATEs) are its parameters when it is dated.
    Identifiers and expressions come from the registry and configuration only."""
    if metric.function:  # it returns the range's rows only
        source = f"`{project}.{dataset}.{metric.function}`(@start, @end)"
    else:
        source = f"`{project}.{dataset}.{metric.view}`{_range_filter(metric)}"
    sql = f"SELECT {metric.select} FROM {source}"  # noqa: S608
    if metric.group_by:
        sql += " GROUP BY " + ", ".join(metric.group_by)
    if metric.order_by:
        sql += " ORDER BY " + ", ".join(metric.order_by)
    return sql + f" LIMIT {min(metric.limit, MAX_ROWS)}"


def _range_filter(metric: Metric) -> str:
    """The WHERE that keeps the range's rows of a dated view or daily table."""
    if not metric.date_column:
        return ""
    if metric.date_kind == "DATE":
        return f" WHERE {metric.date_column} BETWEEN @start AND @end"
    return (
        f" WHERE {metric.date_column} >= TIMESTAMP(@start)"
        f" AND {metric.date_column} < TIMESTAMP(DATE_ADD(@end, INTERVAL 1 DAY))"
    )
