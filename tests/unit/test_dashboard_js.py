"""The insights dashboard's script (functions/insights/static/dashboard.js) run in node against a
minimal DOM and scripted API answers (tests/fakes/dashboard_dom.js): what it draws and what it
says for given rows and errors. The same page in Chromium on the local stack is
tests/e2e/test_insights_dashboard.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.insights.metrics import METRICS

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
    responses: dict[str, dict], *, hash_: str = "#token=t", storage: dict | None = None
) -> dict:
    scenario = {"hash": hash_, "search": "", "storage": storage or {}, "responses": responses}
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
