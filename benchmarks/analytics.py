"""Analytics: sustained ingestion (events/s from publish to queryable row) and the latency of
each dashboard query on 1,000,000 events, on the local stack. `make bench` runs it; alone:

    flock /tmp/ion-stack.lock scripts/with_stack.sh .venv/bin/python -m benchmarks.analytics

What each figure measures
- push: the deployed path. Synthetic events are published to the `events` topic as fast as the
  publisher goes; the Pub/Sub emulator pushes them to the analytics sink function
  (functions-framework, gunicorn threads, group commit), which writes them to the BigQuery
  emulator. The clock stops when the last of them is queryable (COUNT(DISTINCT event_id)).
  The profile updater's push subscription on the same topic receives them too, as in production.
  A probe first measures what the emulator's push delivery alone can do: its rate to a handler
  that does nothing (the ceiling of this path on this machine), then how many pushes it has in
  flight at once to a handler that takes 5 ms (each counted from its arrival until its answer is
  sent; with a handler that does nothing they could not overlap).
- batch: the same sink code (`sink_messages`: mapping, one insertAll per batch, dead letters)
  fed by pull (`drain`, 1,000 messages a pull) from a topic of its own, while the events are
  being published: what the sink code and the BigQuery emulator sustain when deliveries arrive
  in batches (in production: concurrent pushes joined by the group commit, or a pull worker).
- queries: 1,000,000 synthetic events loaded (the same row mapping, BigQuery load jobs) into a
  dataset of their own with the same views; each view read in full (`SELECT *`), three times,
  median and worst; the daily MERGEs timed, and the daily tables read.
- churn: the churn-risk view scored as of a cut-off two weeks before the end of a synthetic
  history, against who took a turn in those two weeks (AUC, churn rate by band).
Figures are of the emulators on this machine, not of BigQuery or Pub/Sub. The local stack runs
the BigQuery emulator without its time-travel snapshots (scripts/bigquery_emulator.py: it
otherwise copies the table after every write, so the write cost grew with the table);
ingestion is still measured into a table that starts small.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import json
import os
import socketserver
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.machine import describe
from common.analytics.churn_eval import evaluate
from common.analytics.schema import DATASET
from common.analytics.sink import Message, drain
from common.analytics.warehouse import (
    BigQueryRowWriter,
    PubSubDeadLetter,
    emulator_client,
    provision,
    refresh_daily,
    view_files,
)
from common.events import Event
from scripts import stack
from scripts.synthetic_history import Writer, history

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PROJECT = stack.PROJECT
PUBSUB = f"http://127.0.0.1:8085/v1/projects/{PROJECT}"
KEY = "benchmark-key"
TARGET_EVENTS_PER_SECOND = 1_000  # ingestion, publish to queryable row
SECTIONS = ("push", "batch", "queries", "churn")


def _rest(method: str, url: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        if e.code == 409:
            return {}
        raise


def _events(n: int, seed: int) -> list[Event]:
    """At least n synthetic events of a history no other run shares (its own user keys)."""
    users = max(50, n // 40)
    out: list[Event] = []
    end = datetime.now(UTC)
    while len(out) < n:
        out = list(history(weeks=4, users=users, seed=seed, end=end, key=KEY, anonymous_share=0))
        users *= 2
    return out[:n]


def _publisher():
    from common.clients import publisher_client

    return publisher_client()


def _publish(events: list[Event], topic: str) -> tuple[float, float]:
    """Publish in batches of 1,000; returns (start, end) on the monotonic clock."""
    from google.pubsub_v1 import PubsubMessage

    client = _publisher()
    started = time.monotonic()
    for i in range(0, len(events), 1000):
        batch = events[i : i + 1000]
        client.publish(
            topic=f"projects/{PROJECT}/topics/{topic}",
            messages=[PubsubMessage(data=e.encode(), attributes=e.attributes()) for e in batch],
            timeout=60,
        )
    return started, time.monotonic()


def _count_distinct(bq, table: str, keys: list[str]) -> int:
    from google.cloud import bigquery

    sql = f"SELECT COUNT(DISTINCT event_id) FROM `{table}` WHERE user_key IN UNNEST(@keys)"  # noqa: S608
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ArrayQueryParameter("keys", "STRING", keys)]
    )
    return next(iter(bq.query(sql, job_config=config).result()))[0]


def _wait_queryable(bq, table: str, events: list[Event], started: float, timeout: float):
    keys = sorted({e.user_key for e in events if e.user_key})
    samples: list[tuple[float, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = _count_distinct(bq, table, keys)
        samples.append((round(time.monotonic() - started, 2), n))
        if n >= len(events):
            break
        time.sleep(0.5)
    return samples


def _sustained(samples: list[tuple[float, int]], total: int) -> dict:
    """Overall rate to the last row, and the steady rate between 10 % and 90 % of the rows."""
    done = next((t for t, n in samples if n >= total), None)
    lo = next(((t, n) for t, n in samples if n >= 0.1 * total), None)
    hi = next(((t, n) for t, n in samples if n >= 0.9 * total), None)
    steady = (hi[1] - lo[1]) / (hi[0] - lo[0]) if lo and hi and hi[0] > lo[0] else None
    last_t, last_n = samples[-1] if samples else (0.0, 0)
    return {
        "events": total,
        "queryable": last_n,
        "seconds_to_last_row": done,
        "events_per_second": round(total / done, 1) if done else round(last_n / last_t, 1),
        "steady_events_per_second": round(steady, 1) if steady else None,
        "complete": done is not None,
    }


# How long the probe's handler holds each push: long enough for pushes the emulator sends at
# once to overlap (one that does nothing answers within microseconds, too soon to see it).
PROBE_HOLD_S = 0.005


def _probe_server(hold: float) -> tuple[http.server.HTTPServer, dict]:
    """A push endpoint on a free port that counts deliveries and how many are in flight at once:
    each from its arrival until its answer is about to be written (`hold` seconds at least).
    Counting until after the answer would race a sender that waits for each answer: it can read
    the answer and push again before this thread has counted the first one out."""
    state: dict[str, Any] = {
        "count": 0,
        "inflight": 0,
        "max_inflight": 0,
        "first": None,
        "last": None,
    }
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            with lock:
                state["inflight"] += 1
                state["max_inflight"] = max(state["max_inflight"], state["inflight"])
                state["first"] = state["first"] or time.monotonic()
            try:
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(hold)
            finally:
                with lock:
                    state["inflight"] -= 1
                    state["count"] += 1
                    state["last"] = time.monotonic()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


def push_probe(n: int, hold: float) -> dict:
    """The Pub/Sub emulator pushes n messages from a topic of its own to _probe_server(hold)."""
    server, state = _probe_server(hold)
    name = f"bench-probe-{uuid.uuid4().hex[:8]}"
    _rest("PUT", f"{PUBSUB}/topics/{name}", {})
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/"
    _rest(
        "PUT",
        f"{PUBSUB}/subscriptions/{name}",
        {"topic": f"projects/{PROJECT}/topics/{name}", "pushConfig": {"pushEndpoint": endpoint}},
    )
    data = base64.b64encode(b'{"probe": true}').decode()
    try:
        for _ in range(n // 1000):
            _rest("POST", f"{PUBSUB}/topics/{name}:publish", {"messages": [{"data": data}] * 1000})
        deadline = time.monotonic() + 120
        while state["count"] < n and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        _rest("DELETE", f"{PUBSUB}/subscriptions/{name}")
        _rest("DELETE", f"{PUBSUB}/topics/{name}")
        server.shutdown()
    span = (state["last"] or 0) - (state["first"] or 0)
    return {
        "messages": state["count"],
        "pushes_per_second": round(state["count"] / span, 1) if span > 0 else None,
        "max_concurrent_pushes": state["max_inflight"],
    }


def push_ceiling() -> dict:
    """What the emulator's push delivery alone does: its rate to a handler that does nothing,
    and how many pushes it has in flight at once to one that holds each PROBE_HOLD_S."""
    rate = push_probe(3000, 0.0)
    held = push_probe(1000, PROBE_HOLD_S)
    return {
        "messages": rate["messages"],
        "pushes_per_second": rate["pushes_per_second"],
        "held_ms": PROBE_HOLD_S * 1000,
        "held_messages": held["messages"],
        "held_pushes_per_second": held["pushes_per_second"],
        "max_concurrent_pushes": held["max_concurrent_pushes"],
    }


def bench_push(bq, n: int) -> dict:
    events = _events(n, seed=int(time.time()))
    started, published = _publish(events, "events")
    samples = _wait_queryable(
        bq, f"{PROJECT}.{DATASET}.events", events, started, timeout=max(300, n / 5)
    )
    return {
        **_sustained(samples, len(events)),
        "publish_seconds": round(published - started, 2),
        "samples": samples[:: max(1, len(samples) // 40)],
    }


def bench_batch(bq, n: int) -> dict:
    """Publish to a topic of its own while `drain` pulls and writes with the sink's code."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.pubsub_v1.services.subscriber import SubscriberClient

    name = f"bench-batch-{uuid.uuid4().hex[:8]}"
    dataset = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    provision(bq, project=PROJECT, dataset=dataset, strict=False)
    _rest("PUT", f"{PUBSUB}/topics/{name}", {})
    _rest(
        "PUT",
        f"{PUBSUB}/subscriptions/{name}",
        {"topic": f"projects/{PROJECT}/topics/{name}", "ackDeadlineSeconds": 60},
    )
    subscriber = SubscriberClient(
        client_options=ClientOptions(api_endpoint=stack.EMULATOR_ENV["PUBSUB_EMULATOR_HOST"]),
        credentials=AnonymousCredentials(),
    )
    subscription = f"projects/{PROJECT}/subscriptions/{name}"
    writer = BigQueryRowWriter(bq, table=f"{PROJECT}.{dataset}.events")
    dead = PubSubDeadLetter(_publisher(), project_id=PROJECT, topic="events-dead-letter")
    events = _events(n, seed=int(time.time()) + 1)
    writes: list[int] = []

    def pull(limit: int) -> list[tuple[str, Message]]:
        response = subscriber.pull(
            subscription=subscription, max_messages=limit, timeout=30, return_immediately=True
        )
        return [
            (
                m.ack_id,
                Message(bytes(m.message.data), dict(m.message.attributes), m.message.message_id),
            )
            for m in response.received_messages
        ]

    def write(rows):
        writes.append(len(rows))
        return writer.insert(rows)

    try:
        timing: dict = {}
        publisher = threading.Thread(
            target=lambda: timing.update(zip(("start", "end"), _publish(events, name), strict=True))
        )
        t0 = time.monotonic()
        publisher.start()
        written = 0
        progress: list[tuple[float, int]] = []
        deadline = time.monotonic() + max(120, n / 20)
        while written < len(events) and time.monotonic() < deadline:
            report = drain(
                pull=pull,
                ack=lambda ids: subscriber.acknowledge(subscription=subscription, ack_ids=ids),
                write=write,
                dead_letter=dead,
                clock=lambda: datetime.now(UTC),
                batch_size=1000,
                max_batches=1,  # one batch a call, so progress is recorded per batch
            )
            written += report.written
            progress.append((round(time.monotonic() - t0, 2), written))
            if not report.written:
                time.sleep(0.05)
        publisher.join()
        samples = _wait_queryable(
            bq, f"{PROJECT}.{dataset}.events", events, timing["start"], timeout=60
        )
    finally:
        _rest("DELETE", f"{PUBSUB}/subscriptions/{name}")
        _rest("DELETE", f"{PUBSUB}/topics/{name}")
        bq.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)
    queryable = _sustained(samples, len(events))
    # Rows are queryable as soon as their insert returns, so the steady rate comes from the
    # drain's own progress (the count query only runs once the drain is done).
    steady = _sustained(progress, len(events))["steady_events_per_second"]
    return {
        **queryable,
        "steady_events_per_second": steady,
        "publish_seconds": round(timing["end"] - timing["start"], 2),
        "insert_calls": len(writes),
        "rows_per_insert_median": statistics.median(writes) if writes else None,
    }


def _time(bq, sql: str, repeat: int) -> tuple[list[float], int]:
    took, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = sum(1 for _ in bq.query(sql).result())
        took.append(time.perf_counter() - started)
    return took, rows


def bench_queries(bq, *, events: int, weeks: int, repeat: int) -> dict:
    dataset = "bench_million"
    bq.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)
    writer = Writer("load", project=PROJECT, dataset=dataset)
    # About 5.9 events per user and week in the synthetic history; a few more users than that
    # so the history has at least `events` events, cut at exactly that many.
    users = max(100, round(events / (weeks * 5.5)))
    end = datetime.now(UTC)
    loaded, batch = 0, []
    started = time.perf_counter()
    for event in history(weeks=weeks, users=users, seed=2026, end=end, key=KEY):
        batch.append(event)
        if len(batch) >= 100_000:
            writer.write(batch)
            loaded += len(batch)
            batch = []
            print(f"  loaded {loaded:,} events", flush=True)
        if loaded + len(batch) >= events:
            break
    batch = batch[: events - loaded]
    writer.write(batch)
    loaded += len(batch)
    load_seconds = time.perf_counter() - started
    table = f"{PROJECT}.{dataset}.events"
    (count,) = next(iter(bq.query(f"SELECT COUNT(*) FROM `{table}`").result()))  # noqa: S608
    views = {}
    for name in sorted(view_files()):
        # Row-level views (one row per event) are counted, not downloaded: no dashboard reads
        # a million rows, but the count still makes the emulator de-duplicate all of them.
        what = "COUNT(*)" if name in ROW_LEVEL_VIEWS else "*"
        sql = f"SELECT {what} FROM `{PROJECT}.{dataset}.{name}`"  # noqa: S608
        took, rows = _time(bq, sql, repeat)
        views[name] = {
            "query": f"SELECT {what}",
            "median_s": round(statistics.median(took), 3),
            "max_s": round(max(took), 3),
            "rows": rows,
        }
        print(f"  {name:28} median {views[name]['median_s']:.2f} s  ({rows} rows)", flush=True)
    merge = refresh_daily(bq, project=PROJECT, dataset=dataset)
    daily = {}
    for name in sorted(merge):
        took, rows = _time(bq, f"SELECT * FROM `{PROJECT}.{dataset}.{name}`", repeat)  # noqa: S608
        daily[name] = {
            "median_s": round(statistics.median(took), 3),
            "max_s": round(max(took), 3),
            "rows": rows,
            "merge_s": merge[name],
        }
    dashboard = _dashboard_queries(bq, dataset, repeat)  # some read the daily tables
    bq.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)
    return {
        "events": count,
        "users": users,
        "weeks": weeks,
        "load_seconds": round(load_seconds, 1),
        "views": views,
        "daily_tables": daily,
        "dashboard": dashboard,
    }


ROW_LEVEL_VIEWS = {"events_dedup", "turns", "feedback_final"}


def _dashboard_queries(bq, dataset: str, repeat: int) -> dict:
    """The insights dashboard's own queries (common/insights/metrics.py) over the default
    range, when that module is present."""
    try:
        from common.insights.metrics import METRICS, PeriodQuery, metric_query, resolve_period
    except ImportError:
        return {}
    from google.cloud import bigquery

    period = resolve_period(PeriodQuery(), today=datetime.now(UTC).date())
    config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ScalarQueryParameter("start", "DATE", period.start),
            bigquery.ScalarQueryParameter("end", "DATE", period.end),
        ]
    )
    out: dict[str, dict[str, Any]] = {}
    for name, metric in METRICS.items():
        sql = metric_query(metric, project=PROJECT, dataset=dataset)
        took, rows = [], 0
        try:
            for _ in range(repeat):
                started = time.perf_counter()
                rows = sum(1 for _ in bq.query(sql, job_config=config).result())
                took.append(time.perf_counter() - started)
        except Exception as e:  # a metric of a view not in this checkout: say so, go on
            out[name] = {"error": str(e)[:200]}
            continue
        out[name] = {
            "median_s": round(statistics.median(took), 3),
            "max_s": round(max(took), 3),
            "rows": rows,
            "days": period.days,
        }
        print(f"  metric {name:24} median {out[name]['median_s']:.2f} s", flush=True)
    return out


def bench_churn(bq, *, users: int, weeks: int) -> dict:
    end = datetime.now(UTC)
    cutoff = end - timedelta(days=14)
    events = list(history(weeks=weeks, users=users, seed=99, end=end, key=KEY))
    dataset = f"bench_churn_{uuid.uuid4().hex[:8]}"
    try:
        Writer("load", project=PROJECT, dataset=dataset).write(
            [e for e in events if e.occurred_at <= cutoff]
        )
        active_after = {
            e.user_key
            for e in events
            if e.occurred_at > cutoff and e.type == "chat.turn.completed" and e.user_key
        }
        sql = f"SELECT user_key, risk, band, recency_days FROM `{PROJECT}.{dataset}.churn_risk`"  # noqa: S608
        scored = [dict(r.items()) for r in bq.query(sql).result()]
    finally:
        bq.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)
    result = evaluate(scored, active_after)
    return {"generated_users": users, "weeks": weeks, "events": len(events), **result.__dict__}


def push_ceiling_text(probe: dict) -> str:
    text = (
        "Push ceiling of the Pub/Sub emulator: "
        f"{probe['pushes_per_second']} pushes/s to a handler that does nothing"
    )
    if "held_ms" not in probe:  # an older result: its in-flight count measured nothing
        return text + "."
    text += (
        f"; to a handler that takes {probe['held_ms']:g} ms, {probe['held_pushes_per_second']} "
        f"pushes/s with at most {probe['max_concurrent_pushes']} in flight at once"
    )
    if probe["max_concurrent_pushes"] == 1:
        text += " (the emulator waits for each answer before its next push)"
    return text + "."


def _machine_text(m: dict) -> str:
    return f"{m['cpu']} · {m['cores']} cores · {m['memory_gib']} GiB · Python {m['python']}"


def _one_run(results: dict) -> bool:
    """Whether every section present was measured in the run the top machine line describes.
    Sections from before each recorded its machine are taken to be of that run."""
    return all(
        results[k]["machine"] == results["machine"]
        for k in SECTIONS
        if k in results and "machine" in results[k]
    )


def _on(section: dict, one_run: bool) -> str:
    """The machine of one section, named when the sections come from different runs."""
    if one_run:
        return ""
    m = section.get("machine")
    return f" ({_machine_text(m)})" if m else " (machine not recorded)"


def markdown(results: dict) -> str:
    m = results["machine"]
    one_run = _one_run(results)
    top = (
        f"{m['date']} · {_machine_text(m)}"
        if one_run
        else f"Sections measured in different runs (the last {m['date']}): each names its machine"
    )
    lines = [
        "# Analytics benchmark",
        "",
        f"{top}. Local emulators, not Google Cloud.",
        "",
        f"## Ingestion: publish to queryable row (target >= {TARGET_EVENTS_PER_SECOND:,} events/s)",
        "",
        "| path | events | events/s to last row | steady events/s | complete |",
        "|---|---:|---:|---:|---|",
    ]
    for path in ("push", "batch"):
        r = results.get(path)
        if r:
            lines.append(
                f"| {path} | {r['events']:,} | {r['events_per_second']} | "
                f"{r['steady_events_per_second']} | {r['complete']} |"
            )
    verdicts = [
        f"- {path}: {r['events_per_second']} events/s to the last row (target >= "
        f"{TARGET_EVENTS_PER_SECOND:,}): "
        f"{'met' if r['events_per_second'] >= TARGET_EVENTS_PER_SECOND else '**missed**'}."
        for path in ("push", "batch")
        if (r := results.get(path))
    ]
    if verdicts:
        lines += ["", *verdicts]
    for path in ("push", "batch"):
        r = results.get(path)
        if r and r.get("measured_at"):
            lines.append(
                f"\n{path}: measured {r['measured_at']}{_on(r, one_run)}, load average "
                f"{r['load_average_1_5_15']} (1, 5, 15 min) on a machine others share."
            )
    probe = results.get("push_ceiling")
    if probe:
        lines += ["", push_ceiling_text(probe)]
    batch = results.get("batch")
    if batch:
        lines.append(
            f"Batch path: {batch['insert_calls']} insertAll calls, median "
            f"{batch['rows_per_insert_median']} rows each."
        )
    q = results.get("queries")
    if q:
        lines += [
            "",
            f"## Dashboard queries on {q['events']:,} events "
            f"({q['users']:,} users, {q['weeks']} weeks; target <= 5 s)",
            "",
            f"Measured {q.get('measured_at')}{_on(q, one_run)}, load average "
            f"{q.get('load_average_1_5_15')}. "
            f"Loaded in {q['load_seconds']} s. Each view read in full (`SELECT *`), except the "
            "row-level base views, counted (`SELECT COUNT(*)`, which still de-duplicates every "
            "event).",
            "",
            "| view | median s | worst s | rows | <= 5 s |",
            "|---|---:|---:|---:|---|",
        ]
        for name, v in q["views"].items():
            ok = "yes" if v["max_s"] <= 5 else "**no**"
            label = f"{name} (count)" if v.get("query") == "SELECT COUNT(*)" else name
            lines.append(f"| {label} | {v['median_s']} | {v['max_s']} | {v['rows']} | {ok} |")
        for name, v in q["daily_tables"].items():
            ok = "yes" if v["max_s"] <= 5 else "**no**"
            lines.append(
                f"| {name} (daily table; refresh {v['merge_s']} s) | {v['median_s']} | "
                f"{v['max_s']} | {v['rows']} | {ok} |"
            )
    if q and q.get("dashboard"):
        first = next(iter(q["dashboard"].values()))
        lines += [
            "",
            "### The dashboard's own queries (common/insights/metrics.py, default range of "
            f"{first.get('days', '?')} days)",
            "",
            "| metric | median s | worst s | rows | <= 5 s |",
            "|---|---:|---:|---:|---|",
        ]
        for name, v in q["dashboard"].items():
            if "error" in v:
                lines.append(f"| {name} | error: {v['error']} | | | **no** |")
                continue
            ok = "yes" if v["max_s"] <= 5 else "**no**"
            lines.append(f"| {name} | {v['median_s']} | {v['max_s']} | {v['rows']} | {ok} |")
    c = results.get("churn")
    if c:
        lines += [
            "",
            "## Churn risk on held-out history",
            "",
            f"{c['generated_users']} users, {c['weeks']} weeks ({c['events']:,} events), scored "
            "as of two "
            "weeks before the end; churned = no turn in those two weeks.",
            *(
                []
                if one_run
                else [
                    f"Measured {c.get('measured_at')}{_on(c, one_run)}, load average "
                    f"{c.get('load_average_1_5_15')}."
                ]
            ),
            "",
            f"- AUC {c['auc']} over {c['users']} "
            f"scored users (base churn rate {c['base_rate']}); churn rate by band "
            f"{c['churn_rate_by_band']} ({c['users_by_band']} users).",
            f"- Among users active in the two weeks before the cut-off: AUC {c['recent_auc']} "
            f"({c['recent_churned']} of {c['recent_users']} left).",
            f"- Churn rate among the 10 % highest scores: {c['precision_top_decile']}.",
        ]
    lines += ["", "How each figure is measured: the docstring of `benchmarks/analytics.py`.", ""]
    return "\n".join(lines)


def _stamp(machine: dict) -> dict:
    """When a section was measured, on which machine (the run's), and how busy it was (others
    share it)."""
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "machine": machine,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.analytics")
    parser.add_argument(
        "--push-events",
        type=int,
        default=3_000,
        help="events published to `events`, timed until queryable",
    )
    parser.add_argument(
        "--batch-events",
        type=int,
        default=60_000,
        help="events written in batches by the sink's code",
    )
    parser.add_argument(
        "--query-events", type=int, default=1_000_000, help="events loaded for the query timings"
    )
    parser.add_argument("--weeks", type=int, default=12, help="weeks the loaded history spans")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query timed")
    parser.add_argument(
        "--churn-users", type=int, default=2000, help="users of the churn model's evaluation"
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=("push", "batch", "queries", "churn"),
        help="sections not to run (they keep their last figures)",
    )
    args = parser.parse_args(argv)
    os.environ.update(stack.EMULATOR_ENV)
    bq = emulator_client(stack.EMULATOR_ENV["BIGQUERY_EMULATOR_HOST"], PROJECT)
    # Sections not run this time keep their last figures (each carries when and on what machine
    # it was measured; the top line names one machine only when every section is of this run).
    path = RESULTS / "analytics.json"
    results: dict = json.loads(path.read_text()) if path.exists() else {}
    for k in SECTIONS:  # results from before sections recorded it: the run's top line then
        if k in results and results.get("machine"):
            results[k].setdefault("machine", results["machine"])
    machine = results["machine"] = describe()
    if "push" not in args.skip:
        print("push ceiling of the Pub/Sub emulator ...", flush=True)
        results["push_ceiling"] = push_ceiling()
        print(f"  {results['push_ceiling']}", flush=True)
        print(f"push path: {args.push_events:,} events ...", flush=True)
        results["push"] = bench_push(bq, args.push_events) | _stamp(machine)
        print(f"  { ({k: v for k, v in results['push'].items() if k != 'samples'}) }", flush=True)
    if "batch" not in args.skip:
        print(f"batch path: {args.batch_events:,} events ...", flush=True)
        results["batch"] = bench_batch(bq, args.batch_events) | _stamp(machine)
        print(f"  {results['batch']}", flush=True)
    if "queries" not in args.skip:
        print(f"queries on {args.query_events:,} events ...", flush=True)
        queries = bench_queries(bq, events=args.query_events, weeks=args.weeks, repeat=args.repeat)
        results["queries"] = queries | _stamp(machine)
    if "churn" not in args.skip:
        print("churn risk on held-out history ...", flush=True)
        churn = bench_churn(bq, users=args.churn_users, weeks=args.weeks)
        results["churn"] = churn | _stamp(machine)
        print(f"  {results['churn']}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "analytics.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / "analytics.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
