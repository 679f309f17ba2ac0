"""The insights dashboard's script (functions/insights/static/dashboard.js) run in node against a
minimal DOM and scripted API answers (tests/fakes/dashboard_dom.js): what it draws and what it
says for given rows and errors. The same page in Chromium on the local stack is
tests/e2e/test_insights_dashboard.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.insights.metrics import METRICS
from common.labels import INTENTS, PERSONA_IDS

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests" / "fakes" / "dashboard_dom.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None, reason="node is not on PATH (scripts/bootstrap.sh requires Node.js 20+)"
)


def index(*names: str) -> dict:
    return {"status": 200, "body": {"metrics": [METRICS[n].describe() for n in names]}}


def rows_of(name: str, rows: list[dict], *, start: str, end: str) -> dict:
    """A metric's 200 as common/insights/service.py shapes it."""
    dated = METRICS[name].date_column is not None
    return {
        "status": 200,
        "body": {
            **METRICS[name].describe(),
            "from": start if dated else None,
            "to": end if dated else None,
            "note": None,
            "columns": list(rows[0]) if rows else [],
            "rows": rows,
        },
    }


def open_dashboard(
    responses: dict[str, dict],
    *,
    hash_: str = "#token=t",
    storage: dict | None = None,
    range_: dict | None = None,
) -> dict:
    """The page once drawn; with range_ ({"from", "to"}), drawn again after the range form's
    submit (the harness's "refetched" are the requests of that second load)."""
    scenario = {
        "hash": hash_,
        "search": "",
        "storage": storage or {},
        "responses": responses,
        "range": range_,
    }
    run = subprocess.run(
        [NODE, str(HARNESS)],
        input=json.dumps(scenario),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def walk(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("children", []):
        yield from walk(child)


def elements(node: dict, tag: str, **attrs: str) -> list[dict]:
    return [
        n
        for n in walk(node)
        if n.get("tag") == tag and all(n["attrs"].get(k) == v for k, v in attrs.items())
    ]


def text(node: dict) -> str:
    return "".join(n.get("text", "") for n in walk(node))


def figure(page: dict, metric: str) -> dict:
    (found,) = elements(page["charts"], "figure", **{"data-metric": metric})
    return found


def ys(polyline: dict) -> list[float]:
    return [float(p.split(",")[1]) for p in polyline["attrs"]["points"].split()]


def latest(fig: dict) -> dict[str, str]:
    return {
        s["attrs"]["data-series"]: text(s) for s in elements(fig, "span", **{"class": "latest"})
    }


def test_a_persona_without_turns_on_a_day_is_drawn_at_zero_to_the_last_day() -> None:
    # persona_distribution writes no row for a persona without turns that day: its share is 0
    rows = [
        {"day": "2026-12-01", "persona": "lua", "share": 0.5},
        {"day": "2026-12-01", "persona": "nana", "share": 0.5},
        {"day": "2026-12-02", "persona": "lua", "share": 1.0},
        {"day": "2026-12-03", "persona": "lua", "share": 1.0},
    ]
    page = open_dashboard(
        {
            "metrics": index("persona_distribution"),
            "metrics/persona_distribution": rows_of(
                "persona_distribution", rows, start="2026-12-01", end="2026-12-03"
            ),
        }
    )
    fig = figure(page, "persona_distribution")
    (axis,) = elements(fig, "line", **{"class": "axis"})
    zero = float(axis["attrs"]["y1"])
    (nana,) = elements(fig, "polyline", **{"data-series": "nana"})
    assert ys(nana)[1:] == [zero, zero]  # down to 0 on the 2nd and 3rd, not ending on the 1st
    assert latest(fig) == {"lua": "1", "nana": "0"}  # not nana's 0.5 of the 1st
    # the points are the rows; a filled-in 0 is no row
    points = elements(fig, "circle", **{"class": "datum", "data-series": "nana"})
    assert [p["attrs"]["data-x"] for p in points] == ["2026-12-01"]


def test_an_unknown_value_breaks_the_line_and_the_latest_is_the_last_hour_s() -> None:
    # An hour with only failed events has no turn latency: unknown, not 0, and not to be
    # bridged by a line from the hour before to the hour after.
    hours = [f"2026-12-01T0{h}:00:00Z" for h in range(6)]
    p50 = [100, 110, None, 120, 130, None]
    rows = [
        {"hour": h, "latency_p50_ms": v, "latency_p95_ms": v and v * 2}
        for h, v in zip(hours, p50, strict=True)
    ]
    page = open_dashboard(
        {
            "metrics": index("service_latency"),
            "metrics/service_latency": rows_of(
                "service_latency", rows, start="2026-12-01", end="2026-12-01"
            ),
        }
    )
    fig = figure(page, "service_latency")
    lines = elements(fig, "polyline", **{"data-series": "latency_p50_ms"})
    assert [len(ys(line)) for line in lines] == [2, 2]  # 00-01 and 03-04, nothing across 02
    assert latest(fig) == {"latency_p50_ms": "–", "latency_p95_ms": "–"}  # not 130 of 04:00


def test_an_hour_or_a_day_with_no_row_at_all_is_on_the_axis_not_bridged() -> None:
    # No turn at all at 02:00 (the view writes no row): the latency line breaks there, as for
    # an unknown value; a day with no turn at all is a 0 share for every persona.
    rows = [
        {"hour": f"2026-12-01T0{h}:00:00Z", "latency_p50_ms": 100, "latency_p95_ms": 200}
        for h in (0, 1, 3)
    ]
    days = [
        {"day": "2026-11-30", "persona": "lua", "share": 1.0},
        {"day": "2026-12-02", "persona": "lua", "share": 1.0},
    ]
    page = open_dashboard(
        {
            "metrics": index("service_latency", "persona_distribution"),
            "metrics/service_latency": rows_of(
                "service_latency", rows, start="2026-12-01", end="2026-12-01"
            ),
            "metrics/persona_distribution": rows_of(
                "persona_distribution", days, start="2026-11-30", end="2026-12-02"
            ),
        }
    )
    fig = figure(page, "service_latency")
    lines = elements(fig, "polyline", **{"data-series": "latency_p50_ms"})
    assert [len(ys(line)) for line in lines] == [2]  # 00-01; 03 alone, nothing across 02
    assert latest(fig)["latency_p50_ms"] == "100"
    fig = figure(page, "persona_distribution")
    (axis,) = elements(fig, "line", **{"class": "axis"})
    (lua,) = elements(fig, "polyline", **{"data-series": "lua"})
    assert ys(lua)[1] == float(axis["attrs"]["y1"])  # 0 on 12-01, across the month's end


def strokes(fig: dict) -> dict[str, str]:
    return {p["attrs"]["data-series"]: p["attrs"]["stroke"] for p in elements(fig, "polyline")}


def dashes(fig: dict) -> dict[str, str | None]:
    lines = elements(fig, "polyline")
    return {p["attrs"]["data-series"]: p["attrs"].get("stroke-dasharray") for p in lines}


def fills(fig: dict) -> dict[str, str]:
    bars = elements(fig, "rect", **{"class": "datum"})
    return {b["attrs"]["data-series"]: b["attrs"]["fill"] for b in bars}


def shares(day: str, split: str, names: list[str]) -> list[dict]:
    return [{"day": day, split: n, "share": 1 / len(names)} for n in names]


def test_every_intent_and_persona_has_its_own_colour_and_dashes_whatever_the_rows() -> None:
    intents = [*INTENTS, "unknown"]
    days = ("2026-12-01", "2026-12-02")
    personas = sorted(PERSONA_IDS)
    first = open_dashboard(
        {
            "metrics": index("intent_mix", "persona_distribution"),
            "metrics/intent_mix": rows_of(
                "intent_mix",
                [r for d in days for r in shares(d, "intent", intents)],
                start=days[0],
                end=days[1],
            ),
            "metrics/persona_distribution": rows_of(
                "persona_distribution",
                [r for d in days for r in shares(d, "persona", personas)],
                start=days[0],
                end=days[1],
            ),
        }
    )
    colours = strokes(figure(first, "intent_mix"))
    assert set(colours) == set(intents) and len(set(colours.values())) == len(intents)
    assert len(set(dashes(figure(first, "intent_mix")).values())) == len(intents)
    by_persona = strokes(figure(first, "persona_distribution"))
    assert len(set(by_persona.values())) == len(personas)
    dashed = dashes(figure(first, "persona_distribution"))
    assert len(set(dashed.values())) == len(personas)
    # another range: other rows first, a persona missing; each keeps its colour, the legend
    # lists them by name
    second = open_dashboard(
        {
            "metrics": index("persona_distribution", "satisfaction_by_persona_intent"),
            "metrics/persona_distribution": rows_of(
                "persona_distribution",
                [r for d in days for r in shares(d, "persona", ["riri", "nana", "elro"])],
                start=days[0],
                end=days[1],
            ),
            "metrics/satisfaction_by_persona_intent": rows_of(
                "satisfaction_by_persona_intent",
                [
                    {"intent": "learning", "persona": p, "avg_satisfaction": 0.5}
                    for p in ("riri", "lua")
                ],
                start=days[0],
                end=days[1],
            ),
        }
    )
    fig = figure(second, "persona_distribution")
    assert strokes(fig) == {p: by_persona[p] for p in ("elro", "nana", "riri")}
    # lua has no rows here: the others' dashes stay theirs, not moved up by one
    assert dashes(fig) == {p: dashed[p] for p in ("elro", "nana", "riri")}
    assert list(latest(fig)) == ["elro", "nana", "riri"]
    bars = fills(figure(second, "satisfaction_by_persona_intent"))
    assert bars == {p: by_persona[p] for p in ("lua", "riri")}


def test_the_dashboard_colours_every_persona_and_intent_of_the_labels() -> None:
    source = (ROOT / "functions" / "insights" / "static" / "dashboard.js").read_text()
    block = re.search(r"const LABEL_COLORS = \{(.*?)\};", source, re.S)
    assert block, "dashboard.js has no LABEL_COLORS"
    named = set(re.findall(r"(\w+):", block.group(1)))
    assert named == {*PERSONA_IDS, *INTENTS, "unknown"}


def test_a_bar_too_narrow_for_its_value_has_no_value_label() -> None:
    intents = [*INTENTS, "unknown"]
    many = [
        {"intent": i, "persona": p, "avg_satisfaction": 0.625}
        for i in intents
        for p in sorted(PERSONA_IDS)
    ]
    few = [{"day": d, "crises": 12} for d in ("2026-12-01", "2026-12-02")]
    page = open_dashboard(
        {
            "metrics": index("satisfaction_by_persona_intent", "crisis_counts"),
            "metrics/satisfaction_by_persona_intent": rows_of(
                "satisfaction_by_persona_intent", many, start="2026-12-01", end="2026-12-02"
            ),
            "metrics/crisis_counts": rows_of(
                "crisis_counts", few, start="2026-12-01", end="2026-12-02"
            ),
        }
    )
    narrow = figure(page, "satisfaction_by_persona_intent")
    assert len(elements(narrow, "rect", **{"class": "datum"})) == 36
    assert elements(narrow, "text", **{"class": "value"}) == []  # 36 labels would overlap
    wide = figure(page, "crisis_counts")
    assert [text(t) for t in elements(wide, "text", **{"class": "value"})] == ["12", "12"]


def refusal(status: int, message: str) -> dict:
    return {"status": status, "body": {"error": {"code": "x", "message": message}}}


TOKEN_KEY = "ion-insights-token"


def test_when_every_metric_fails_the_page_says_so_and_is_not_still_loading() -> None:
    unavailable = refusal(503, "Analytics cannot be read right now.")
    page = open_dashboard(
        {
            "metrics": index("daily_active_users", "ab_results"),
            "metrics/daily_active_users": unavailable,
            "metrics/ab_results": unavailable,
        }
    )
    assert page["state"] == "error"
    assert page["status"] == "2 metric(s) could not be read"  # no "Loading…" left in front
    assert page["signin_hidden"]


def test_a_token_that_expires_after_the_index_asks_to_sign_in_again() -> None:
    page = open_dashboard(
        {
            "metrics": index("daily_active_users", "ab_results"),
            "metrics/daily_active_users": rows_of(
                "daily_active_users",
                [{"day": "2026-12-01", "active_users": 3, "sessions": 4}],
                start="2026-12-01",
                end="2026-12-01",
            ),
            "metrics/ab_results": refusal(401, "The sign-in token has expired."),
        }
    )
    assert not page["signin_hidden"] and TOKEN_KEY not in page["storage"]
    assert page["state"] == "partial"
    assert page["status"] == (
        "2026-12-01 to 2026-12-01 (UTC days) · 1 metric(s) could not be read"
        " · The sign-in token has expired."
    )


@pytest.mark.parametrize("stored", [False, True])
def test_a_token_that_is_not_an_operator_s_can_be_replaced(stored: bool) -> None:
    # in the fragment, or in this tab's storage from before a reload
    page = open_dashboard(
        {"metrics": refusal(403, "Only operators can read insights.")},
        hash_="" if stored else "#token=user",
        storage={TOKEN_KEY: "user"} if stored else None,
    )
    assert not page["signin_hidden"] and TOKEN_KEY not in page["storage"]
    assert (page["state"], page["status"]) == ("error", "Only operators can read insights.")


def test_a_new_range_reads_again_only_the_dated_metrics_and_failed_ones() -> None:
    # A lifetime metric's answer does not depend on the range, and each reading scans every
    # retained event: a new range must not read it again, but its chart stays. One that failed
    # is tried again.
    page = open_dashboard(
        {
            "metrics": index("daily_active_users", "ab_results", "vip_users", "churn_risk"),
            "metrics/daily_active_users": rows_of(
                "daily_active_users",
                [{"day": "2026-11-01", "active_users": 3, "sessions": 4}],
                start="2026-11-01",
                end="2026-11-07",
            ),
            "metrics/ab_results": rows_of(
                "ab_results", [{"experiment": "e", "variant": "A"}], start="", end=""
            ),
            "metrics/vip_users": rows_of("vip_users", [{"user_key": "k"}], start="", end=""),
            "metrics/churn_risk": refusal(503, "Analytics cannot be read right now."),
        },
        range_={"from": "2026-11-01", "to": "2026-11-07"},
    )
    assert len(page["fetched"]) == 5  # the index and every metric
    assert [url for url, _ in page["refetched"]] == [
        "metrics",
        "metrics/daily_active_users?from=2026-11-01&to=2026-11-07",
        "metrics/churn_risk?from=2026-11-01&to=2026-11-07",
    ]
    for name in ("daily_active_users", "ab_results", "vip_users"):
        assert figure(page, name)["attrs"]["data-rows"] == "1"
    assert figure(page, "churn_risk")["attrs"]["data-error"] == "503"
    assert page["state"] == "partial"
    assert page["status"] == ("2026-11-01 to 2026-11-07 (UTC days) · 1 metric(s) could not be read")


def test_every_chart_has_its_rows_as_a_table_and_hides_its_svg() -> None:
    # The SVG's titles and labels are no text alternative (an unnamed role="img" hides them);
    # the rows in a table are, for a line or a bar chart as for a table, in a region a keyboard
    # can reach when it scrolls.
    days = [{"day": "2026-12-01", "active_users": 3, "sessions": 4}]
    crises = [{"day": "2026-12-01", "crises": 2}]
    page = open_dashboard(
        {
            "metrics": index("daily_active_users", "crisis_counts", "vip_users"),
            "metrics/daily_active_users": rows_of(
                "daily_active_users", days, start="2026-12-01", end="2026-12-01"
            ),
            "metrics/crisis_counts": rows_of(
                "crisis_counts", crises, start="2026-12-01", end="2026-12-01"
            ),
            "metrics/vip_users": rows_of("vip_users", [{"user_key": "k"}], start="", end=""),
        }
    )
    for name, rows in (("daily_active_users", days), ("crisis_counts", crises)):
        fig = figure(page, name)
        (svg,) = [s for s in elements(fig, "svg") if "swatch" not in s["attrs"].get("class", "")]
        assert svg["attrs"].get("aria-hidden") == "true" and "role" not in svg["attrs"]
        (details,) = elements(fig, "details")
        (summary,) = elements(details, "summary")
        assert text(summary) == "Data table"
        (region,) = elements(details, "div", role="region")
        (caption,) = elements(fig, "figcaption")
        assert region["attrs"]["tabindex"] == "0"
        assert region["attrs"]["aria-labelledby"] == caption["attrs"]["id"]
        cells = {(c["attrs"]["data-column"], c["attrs"]["data-value"]) for c in elements(fig, "td")}
        assert cells == {(k, json.dumps(v)) for k, v in rows[0].items()}
    # a table stays open, in its region
    fig = figure(page, "vip_users")
    assert elements(fig, "details") == []
    (region,) = elements(fig, "div", role="region")
    assert len(elements(region, "tr")) == 2


def test_a_day_without_crises_is_on_the_bar_chart_s_axis_at_zero() -> None:
    # crisis_counts writes no row for a day without a crisis: that day is 0, not left out
    rows = [{"day": "2026-11-30", "crises": 3}, {"day": "2026-12-03", "crises": 4}]
    page = open_dashboard(
        {
            "metrics": index("crisis_counts", "weekly_active_users"),
            "metrics/crisis_counts": rows_of(
                "crisis_counts", rows, start="2026-11-30", end="2026-12-03"
            ),
            "metrics/weekly_active_users": rows_of(
                "weekly_active_users",
                [{"week_start": w, "active_users": 5} for w in ("2026-11-16", "2026-11-30")],
                start="2026-11-16",
                end="2026-12-03",
            ),
        }
    )
    fig = figure(page, "crisis_counts")
    axis = [text(t) for t in elements(fig, "text") if not t["attrs"].get("class")]
    assert [a for a in axis if "-" in a] == ["11-30", "12-01", "12-02", "12-03"]
    zeros = elements(fig, "text", **{"class": "zero"})
    assert [(z["attrs"]["data-x"], text(z)) for z in zeros] == [
        ("2026-12-01", "0"),
        ("2026-12-02", "0"),
    ]
    bars = elements(fig, "rect", **{"class": "datum"})
    assert [b["attrs"]["data-x"] for b in bars] == ["2026-11-30", "2026-12-03"]  # rows only
    # weeks are not filled in with days
    weekly = figure(page, "weekly_active_users")
    labels = [text(t) for t in elements(weekly, "text") if not t["attrs"].get("class")]
    assert [a for a in labels if "-" in a] == ["11-16", "11-30"]


def test_a_year_of_days_keeps_its_crisis_bars_visible_and_no_smear_of_zeros() -> None:
    # a year's slots are about 1.5 units: a fixed 2-unit gap left bars of no width, and each of
    # the 363 days without a crisis had its own "0" on top of the next one's
    rows = [{"day": "2025-12-01", "crises": 2}, {"day": "2026-11-30", "crises": 5}]
    page = open_dashboard(
        {
            "metrics": index("crisis_counts"),
            "metrics/crisis_counts": rows_of(
                "crisis_counts", rows, start="2025-12-01", end="2026-11-30"
            ),
        }
    )
    fig = figure(page, "crisis_counts")
    bars = elements(fig, "rect", **{"class": "datum"})
    assert [b["attrs"]["data-x"] for b in bars] == ["2025-12-01", "2026-11-30"]
    assert all(float(b["attrs"]["width"]) >= 1 for b in bars)
    axis = [text(t) for t in elements(fig, "text") if not t["attrs"].get("class")]
    days = [a for a in axis if "-" in a]
    assert 0 < len(days) <= 12
    assert len(elements(fig, "text", **{"class": "zero"})) <= len(days)


def test_an_older_slower_range_does_not_draw_over_the_newer_one() -> None:
    # The operator asks for 30 days, then at once for 7: the 30 days' bigger scan answers last
    # and must not replace the 7 days on screen, nor the dates in the form.
    def week_of(start: str, end: str, users: int) -> dict:
        rows = [{"day": d, "active_users": users, "sessions": users} for d in (start, end)]
        return rows_of("daily_active_users", rows, start=start, end=end)

    seven = week_of("2026-11-30", "2026-12-06", 7)
    thirty = week_of("2026-11-07", "2026-12-06", 30)
    page = open_dashboard(
        {
            "metrics": index("daily_active_users"),
            "metrics/daily_active_users": {
                **seven,
                "when": [{"query": "from=2026-11-07", "delay_ms": 100, "body": thirty["body"]}],
            },
        },
        range_=[
            {"from": "2026-11-07", "to": "2026-12-06"},
            {"from": "2026-11-30", "to": "2026-12-06"},
        ],
    )
    assert page["url"].endswith("?from=2026-11-30&to=2026-12-06")
    fig = figure(page, "daily_active_users")
    days = {p["attrs"]["data-x"] for p in elements(fig, "circle", **{"class": "datum"})}
    assert days == {"2026-11-30", "2026-12-06"}  # not the 30 days' 2026-11-07
    assert page["inputs"] == ["2026-11-30", "2026-12-06"]
    assert page["status"] == "2026-11-30 to 2026-12-06 (UTC days)"
    assert (page["state"], page["busy"]) == ("ready", "false")


def ticks(fig: dict) -> list[str]:
    """The y axis' labels, from the bottom up."""
    return [text(t) for t in elements(fig, "text", **{"class": "tick"})]


def test_small_rates_keep_their_digits_and_counts_have_whole_ticks() -> None:
    # a healthy hour degrades 0.04 % of turns: "0.000" would say none, and three ticks of
    # 0.000 say nothing; 7 crises have no middle tick of 3.500
    hours = [f"2026-12-01T0{h}:00:00Z" for h in range(2)]
    rates = [
        {"hour": h, "degraded_share": v, "model_fallback_rate": v / 2}
        for h, v in zip(hours, (0.0012, 0.0004), strict=True)
    ]
    crises = [{"day": "2026-12-01", "crises": 7}, {"day": "2026-12-02", "crises": 2}]
    page = open_dashboard(
        {
            "metrics": index("service_degradation", "crisis_counts"),
            "metrics/service_degradation": rows_of(
                "service_degradation", rates, start="2026-12-01", end="2026-12-01"
            ),
            "metrics/crisis_counts": rows_of(
                "crisis_counts", crises, start="2026-12-01", end="2026-12-02"
            ),
        }
    )
    fig = figure(page, "service_degradation")
    assert latest(fig) == {"degraded_share": "0.000400", "model_fallback_rate": "0.000200"}
    assert ticks(fig) == ["0", "0.000600", "0.00120"]
    assert ticks(figure(page, "crisis_counts")) == ["0", "4", "7"]


def contrast_on_white(colour: str) -> float:
    """WCAG 2 contrast ratio of a #rrggbb colour against #ffffff."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_every_series_colour_stands_out_on_the_card_and_lines_differ_by_dashes() -> None:
    source = (ROOT / "functions" / "insights" / "static" / "dashboard.js").read_text()
    palette = re.search(r"const COLORS = \[(.*?)\];", source, re.S)
    labels = re.search(r"const LABEL_COLORS = \{(.*?)\};", source, re.S)
    assert palette and labels
    colours = set(re.findall(r"#[0-9a-f]{6}", palette.group(1) + labels.group(1)))
    assert {c: round(contrast_on_white(c), 2) for c in colours if contrast_on_white(c) < 3} == {}
    # not by colour alone: each line of a chart has its own dashes, its legend swatch too
    fig = _latency_figure(p95=200)
    dashes = {p["attrs"].get("stroke-dasharray") for p in elements(fig, "polyline")}
    assert len(dashes) == 2
    legend = {
        s["attrs"].get("stroke-dasharray") for s in elements(fig, "line") if "x1" in s["attrs"]
    }
    assert dashes <= legend


def _latency_figure(p95: float) -> dict:
    """The service-latency chart of two hours of 2026-12-01 (p50 100 ms, p95 `p95`)."""
    rows = [
        {"hour": f"2026-12-01T0{h}:00:00Z", "latency_p50_ms": 100, "latency_p95_ms": p95}
        for h in range(2)
    ]
    page = open_dashboard(
        {
            "metrics": index("service_latency"),
            "metrics/service_latency": rows_of(
                "service_latency", rows, start="2026-12-01", end="2026-12-01"
            ),
        }
    )
    return figure(page, "service_latency")


def test_each_chart_is_a_heading_and_its_legend_and_hours_read_as_words() -> None:
    fig = _latency_figure(p95=2402.5)
    (caption,) = elements(fig, "figcaption")
    (heading,) = elements(caption, "h2")
    assert text(heading) == METRICS["service_latency"].title
    legend = [text(li) for li in elements(fig, "li")]
    assert legend == ["latency_p50_ms: latest 100", "latency_p95_ms: latest 2402.5"]
    axis = [text(t) for t in elements(fig, "text") if not t["attrs"].get("class")]
    assert axis == ["12-01 00:00", "12-01 01:00 UTC"]
