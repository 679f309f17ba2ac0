"""The dashboard in Debian's Chromium, headless, on the local stack with a simulated week: every
chart renders, its numbers are the API's, the token never reaches a log, and a screenshot is
saved (to .stack/dashboard.png; DASHBOARD_SCREENSHOT=path to keep one elsewhere, e.g.
benchmarks/results/dashboard.png).

The week goes into a dataset of its own, read by an insights function of its own: the stack's
shared events table still receives earlier tests' events while the page is drawn, and page and
API must see one state of the data."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from common.analytics.warehouse import refresh_daily
from common.config import get_settings
from common.events import Event
from common.experiments import Experiment, Variant, assign, event_fields
from scripts import stack
from scripts.auth_emulator import User
from scripts.synthetic_history import Writer, history
from tests.e2e.insights_data import bigquery

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = Path(os.environ.get("DASHBOARD_SCREENSHOT", stack.STATE / "dashboard.png"))
CHROMIUM = shutil.which("chromium")
BUDGET_MS = 30_000  # virtual time: the page's fetches finish long before it runs out


class Dom(HTMLParser):
    """What the dashboard drew, per figure: data points, value labels and table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.state: str | None = None
        self.figures: dict[str, dict] = {}
        self._figure: dict | None = None
        self._text_of: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "html":
            self.state = a.get("data-state")
        elif tag == "figure" and a.get("data-metric"):
            self._figure = {
                "kind": a.get("data-kind"),
                "rows": int(a["data-rows"]) if a.get("data-rows") else None,
                "error": a.get("data-error"),
                "points": [],
                "labels": [],
                "cells": [],
                "table_rows": 0,
            }
            self.figures[a["data-metric"]] = self._figure
        elif self._figure is None:
            return
        elif "datum" in classes:
            self._figure["points"].append((a["data-series"], a["data-x"], float(a["data-y"])))
        elif (tag == "text" and "value" in classes) or (tag == "span" and "latest" in classes):
            self._text_of = {"series": a.get("data-series"), "x": a.get("data-x"), "text": ""}
            self._figure["labels"].append(self._text_of)
        elif tag == "td":
            self._text_of = {"column": a["data-column"], "value": a.get("data-value"), "text": ""}
            self._figure["cells"].append(self._text_of)
        elif tag == "tr" and self._figure is not None:
            self._figure["table_rows"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("text", "span", "td"):
            self._text_of = None
        if tag == "figure":
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._text_of is not None:
            self._text_of["text"] += data


def expected_points(chart: dict, rows: list[dict]) -> list[tuple[str, str, float]]:
    """The (series, x, y) points the dashboard should draw for the API's rows."""
    if chart["split"]:
        y = chart["series"][0]
        pts = [(str(r[chart["split"]]), str(r[chart["x"]]), r[y]) for r in rows]
    else:
        group = chart["group"]

        def label(r: dict) -> str:
            return f"{r[group]} · {r[chart['x']]}" if group else str(r[chart["x"]])

        pts = [(s, label(r), r[s]) for s in chart["series"] for r in rows]
    return [(s, x, float(y)) for s, x, y in pts if isinstance(y, int | float)]


def shown_number(text: str) -> float:
    return float(text.replace("–", "nan"))


def close(shown: float, value: float) -> bool:
    """The label is the value rounded as format() does: 3 decimals below 10, else 1."""
    return abs(shown - value) <= (0.051 if abs(value) >= 10 else 0.00051)


def chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--no-first-run",
                "--disable-extensions",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={BUDGET_MS}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def tagged(event: Event, experiment: Experiment) -> Event:
    """The event as the services send it while `experiment` runs: turns and ratings carry the
    variant the user's key hashes to (the generator itself knows no experiments); anonymised
    users are in no experiment."""
    if event.type not in ("chat.turn.completed", "feedback.submitted") or event.user_key is None:
        return event
    fields = event_fields(assign(experiment, event.user_key, event.occurred_at))
    if event.type == "feedback.submitted":  # a rating names its turn's experiment and variant
        fields.pop("control_variant")
        fields.pop("variant_share")
    return replace(event, data={**event.data, **fields})


@pytest.fixture(scope="module")
def week() -> Iterator[tuple[str, str, str]]:
    """A simulated week (scripts/synthetic_history.py through the sink's code, with an A/B
    experiment running) in a dataset of its own, the daily aggregates refreshed, and an insights
    function reading that dataset: the week's range and the function's URL."""
    settings = get_settings()
    dataset = f"dashboard_{uuid.uuid4().hex[:8]}"
    end = datetime.now(UTC) - timedelta(minutes=5)
    experiment = Experiment(
        id=f"dash-{uuid.uuid4().hex[:6]}",
        variants=(
            Variant(name="static", traffic=0.5, policy="static"),
            Variant(name="personalized", traffic=0.5),
        ),
        start=end - timedelta(days=8),
        end=end + timedelta(days=1),
    )
    events = [
        tagged(e, experiment)
        for e in history(
            weeks=1, users=150, seed=5150, end=end, key=settings.analytics_key.get_secret_value()
        )
    ]
    Writer("sink", project=stack.PROJECT, dataset=dataset).write(events)
    refresh_daily(bigquery(), project=stack.PROJECT, dataset=dataset)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    function = stack._function("insights", port)
    log = open(stack.LOGS / "fn-insights-dashboard-test.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        function.cmd,
        cwd=ROOT,
        env={**os.environ, **stack.EMULATOR_ENV, **function.env, "ANALYTICS_DATASET": dataset},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/v2/insights/dashboard.css").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "insights did not start"
            time.sleep(0.2)
        # Eight days, not seven: weekly metrics are by Monday-based week, and when `end` is a
        # Monday shortly after midnight its own week holds no simulated turn yet (the newest is
        # ~16 min before `end`); the extra day keeps the previous, full week in the range.
        yield (end - timedelta(days=7)).date().isoformat(), end.date().isoformat(), base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        bigquery().delete_dataset(
            f"{stack.PROJECT}.{dataset}", delete_contents=True, not_found_ok=True
        )


def api_answers(api: httpx.Client, operator: User, start: str, end: str) -> dict[str, dict]:
    index = api.get("/v2/insights/metrics", headers=operator.headers).json()["metrics"]
    answers = {}
    for metric in index:
        r = api.get(
            f"/v2/insights/metrics/{metric['name']}",
            params={"from": start, "to": end},
            headers=operator.headers,
        )
        assert r.status_code == 200, r.text
        answers[metric["name"]] = r.json()
    return answers


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: scripts/bootstrap.sh")
def test_the_dashboard_draws_every_metric_with_the_apis_numbers(
    operator: User, week: tuple[str, str, str]
) -> None:
    start, end, base = week
    # The page fetches every metric at once; on a loaded machine the local BigQuery emulator can
    # leave a query unstarted past the function's start timeout, and that figure is drawn as an
    # error ("partial": the page's right answer to a slow warehouse, unit-tested in
    # test_dashboard_js.py). This test is about the numbers drawn, so it loads the page again.
    for _ in range(3):
        run = chromium(
            "--dump-dom",
            f"{base}/v2/insights/dashboard?from={start}&to={end}#token={operator.id_token}",
        )
        assert run.returncode == 0, run.stderr[-2000:]
        dom = Dom()
        dom.feed(run.stdout)
        if dom.state != "partial":
            break
    with httpx.Client(base_url=base, timeout=60) as api:
        answers = api_answers(api, operator, start, end)
    assert dom.state == "ready", run.stdout[-3000:]
    assert set(dom.figures) == set(answers)
    for name, data in answers.items():
        chart = data["chart"]
        figure = dom.figures[name]
        assert figure["error"] is None, name
        assert figure["rows"] == len(data["rows"]), name
        if chart["kind"] == "table":
            # a table of users (VIPs need 8 active days: none in one simulated week)
            want_rows = len(data["rows"]) + 1 if data["rows"] else 0  # + the header row
            assert figure["table_rows"] == want_rows, name
        else:
            assert data["rows"], f"{name}: the simulated week should give every chart data"
            want = expected_points(chart, data["rows"])
            assert want, name
            assert Counter(figure["points"]) == Counter(want), name
            last = max(str(r[chart["x"]]) for r in data["rows"])  # a line's last x
            for label in figure["labels"]:
                values = [
                    y
                    for s, x, y in want
                    if s == label["series"] and (label["x"] is None or x == label["x"])
                ]
                if label["x"] is None:  # a line's latest: its value at the chart's last x
                    values = [y for s, x, y in want if s == label["series"] and x == last]
                    if not values:  # no row there (none, or unknown: chart["missing"]) or null
                        split = chart["split"]
                        row = any(
                            str(r[chart["x"]]) == last
                            and (split is None or str(r[split]) == label["series"])
                            for r in data["rows"]
                        )
                        want_text = "0" if chart["missing"] == "zero" and not row else "–"
                        assert label["text"] == want_text, (name, label)
                        continue
                shown = shown_number(label["text"])
                assert any(close(shown, v) for v in values), (name, label)
        columns = chart["columns"] or data["columns"]
        if data["rows"]:  # every chart's rows are in its data table (its text alternative)
            cells = [(c["column"], c["value"]) for c in figure["cells"]]
            api_cells = [
                (c, None if row.get(c) is None else json.dumps(row[c]))
                for row in data["rows"]
                for c in columns
            ]
            assert len(cells) == len(api_cells), name
            # Row by row in any order: a query without ORDER BY (persona_distribution) may
            # return its rows in another order to the page's request than to this one.
            cells, api_cells = (_rows_sorted(c, len(columns)) for c in (cells, api_cells))
            for (column, shown), (want_column, want) in zip(cells, api_cells, strict=True):
                assert column == want_column, name
                if want is None or shown is None:
                    assert shown == want, (name, column)
                else:
                    got, expected = json.loads(shown), json.loads(want)
                    if isinstance(expected, float):
                        expected = pytest.approx(expected)
                    assert got == expected, (name, column)


def _rows_sorted(cells: list, width: int) -> list:
    """A table's cells, `width` to a row, with the rows in a fixed order."""
    rows = sorted((cells[i : i + width] for i in range(0, len(cells), width)), key=str)
    return [cell for row in rows for cell in row]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: scripts/bootstrap.sh")
def test_a_screenshot_of_the_dashboard_and_no_token_in_any_log(
    operator: User, week: tuple[str, str, str]
) -> None:
    start, end, base = week
    url = f"{base}/v2/insights/dashboard?from={start}&to={end}"
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    run = chromium(
        f"--screenshot={SCREENSHOT}", "--window-size=1400,3900", f"{url}#token={operator.id_token}"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 20_000  # charts, not a blank page
    for log in stack.LOGS.glob("*.log"):
        assert operator.id_token not in log.read_text(errors="replace"), log.name
