"""Operations per request, counted: what one chat turn, rating, sync or delivered event costs in
Firestore reads, writes and deletes, Pub/Sub messages, BigQuery rows, model calls and Auth
lookups, and the function's own CPU time. The basis of docs/CAPACITY.md.

The functions run in this process (functions-framework's app, as deployed) against the local
stack's emulators, with counting wrappers around the cloud clients (common/clients.py): every
document a BatchGetDocuments asks for and every document a query returns is a read (a query that
returns nothing still costs one, as Firestore bills it), every write of a commit is a write or a
delete, and every call is an RPC (a transaction's BeginTransaction and Rollback too). The events
a turn or rating publishes go through the real Pub/Sub client, so its CPU and wall time hold the
publish a deployed request makes (a turn's once its answer is sent, which the in-process client
waits for, as it closes each answer), but to topics of the benchmark's own that no
subscription reads (bench_topic()); a copy of each is then pushed to the profile updater and the
analytics sink, as Pub/Sub would, and counted there too.

    scripts/with_stack.sh .venv/bin/python -m benchmarks.ops_per_turn

Writes benchmarks/results/ops_per_turn.{json,md}."""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.machine import describe
from scripts import stack
from scripts.function_client import function_client

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
USERS = 12
TURNS = 6
MESSAGES = (
    "My Python tests keep failing and the demo is tomorrow",
    "I tried clearing the cache but that didn't work",
    "should I ask my manager for more time?",
    "ok it passes now, thanks",
    "what should I learn next to get better at testing?",
    "I feel a bit overwhelmed by all the tickets this week",
)

COUNTS: Counter = Counter()
PUBLISHED: list[dict] = []
# The stack's own topics push to its own profile updater: an event published there would reach
# it before the delivery measured below, which would then be a redelivery (its marker found, a
# rollback; commit 6ea8144). The benchmark publishes to twins of them with no subscription.
BENCH_TOPIC_SUFFIX = "-ops-per-turn"


def bench_topic(topic: str) -> str:
    return f"{topic}{BENCH_TOPIC_SUFFIX}"


def counting_publish(publish: Callable) -> Callable:
    """PubSubEventPublisher.publish counted, its events kept for the pushes below, and sent for
    real (the client call, the message sizes, the blocking round trip timed with the request),
    each to its topic's bench_topic() twin."""

    def counted_publish(self, events):
        COUNTS["pubsub_messages"] += len(events)
        COUNTS["pubsub_publish_calls"] += len({e.topic for e in events})
        COUNTS["pubsub_bytes"] += sum(len(e.encode()) for e in events)
        for e in events:
            PUBLISHED.append({"topic": e.topic, "data": e.encode(), "attributes": e.attributes()})
        return publish(self, [replace(e, topic=bench_topic(e.topic)) for e in events])

    return counted_publish


def _doc_count(response_iter, key: str):
    got = 0
    for item in response_iter:
        if getattr(item, "document", None) and item.document.name:
            got += 1
        yield item
    COUNTS[key] += max(got, 1)  # a query that returns nothing costs one read


def instrument() -> None:
    """Counting wrappers on the clients this process's functions use."""
    from common import clients
    from common.adapters.pubsub_events import PubSubEventPublisher
    from common.analytics.warehouse import BigQueryRowWriter
    from common.auth import TokenVerifier
    from common.model_client import PersonaModelClient

    api = clients.firestore_client()._firestore_api
    batch_get, commit, run_query = api.batch_get_documents, api.commit, api.run_query
    begin, rollback = api.begin_transaction, api.rollback

    def counted_call(call):  # a transaction's begin and rollback: RPCs with no document
        def counted(*args, **kw):
            COUNTS["firestore_rpcs"] += 1
            return call(*args, **kw)

        return counted

    def counted_batch_get(*, request, **kw):
        COUNTS["firestore_reads"] += len(request["documents"])
        COUNTS["firestore_rpcs"] += 1
        return batch_get(request=request, **kw)

    def counted_commit(*, request, **kw):
        for w in request["writes"]:
            COUNTS["firestore_deletes" if getattr(w, "delete", "") else "firestore_writes"] += 1
        COUNTS["firestore_rpcs"] += 1
        return commit(request=request, **kw)

    def counted_query(*, request, **kw):
        COUNTS["firestore_queries"] += 1
        COUNTS["firestore_rpcs"] += 1
        return _doc_count(run_query(request=request, **kw), "firestore_reads")

    api.batch_get_documents, api.commit, api.run_query = (
        counted_batch_get,
        counted_commit,
        counted_query,
    )
    api.begin_transaction, api.rollback = counted_call(begin), counted_call(rollback)

    PubSubEventPublisher.publish = counting_publish(PubSubEventPublisher.publish)

    post = PersonaModelClient._post

    def counted_post(self, payload):
        COUNTS["model_calls"] += 1
        return post(self, payload)

    PersonaModelClient._post = counted_post

    verify = TokenVerifier._verify_with_firebase

    def counted_verify(self, token):
        COUNTS["auth_lookups"] += 1
        return verify(self, token)

    TokenVerifier._verify_with_firebase = counted_verify

    insert = BigQueryRowWriter.insert

    def counted_insert(self, rows):
        COUNTS["bigquery_rows"] += len(rows)
        COUNTS["bigquery_insert_calls"] += 1
        return insert(self, rows)

    BigQueryRowWriter.insert = counted_insert


def measure(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, dict]:
    """Run one request; what it counted, its CPU time (this process, all threads) and wall time."""
    COUNTS.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    result = call(*args, **kwargs)
    counted = dict(COUNTS)
    counted["cpu_ms"] = (time.process_time() - cpu) * 1000
    counted["wall_ms"] = (time.perf_counter() - wall) * 1000
    return result, counted


def mean_of(rows: list[dict]) -> dict:
    keys = sorted({k for r in rows for k in r})
    out = {k: round(statistics.fmean(r.get(k, 0) for r in rows), 2) for k in keys}
    for k in ("cpu_ms", "wall_ms"):
        if k in keys:
            out[k.replace("_ms", "_median_ms")] = round(statistics.median(r[k] for r in rows), 2)
    out["n"] = len(rows)
    return out


def push_body(message: dict) -> dict:
    return {
        "message": {
            "data": base64.b64encode(message["data"]).decode(),
            "attributes": message["attributes"],
            "messageId": str(uuid.uuid4().int)[:16],
            "publishTime": "2026-11-22T10:00:00.000Z",
        },
        "subscription": "projects/demo-ion/subscriptions/ops-per-turn",
    }


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv or [])
    os.environ.update(stack.EMULATOR_ENV)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from scripts.auth_emulator import sign_up

    chat, feedback, updater, sink, relay = (
        function_client(n)
        for n in ("chat", "feedback", "profile_updater", "analytics_sink", "outbox_relay")
    )
    for topic in stack.TOPICS:
        stack.create_topic(bench_topic(topic))
    instrument()
    warm = sign_up()  # the first request of an instance creates its clients: not counted
    chat.post(
        "/v2/chat/turns",
        json={"client_turn_id": uuid.uuid4().hex, "message": "warming up"},
        headers={"Authorization": f"Bearer {warm.id_token}"},
    )
    feedback.post("/v2/feedback", json={}, headers={"Authorization": f"Bearer {warm.id_token}"})
    rows: dict[str, list[dict]] = {
        k: []
        for k in (
            "turn, first of a session (new token)",
            "turn, later in the session",
            "turn, replayed (same client_turn_id)",
            "feedback, first rating",
            "feedback, changed rating",
            "sync: turns?after=N",
            "session GET (200)",
            "session GET (304, If-None-Match)",
        )
    }
    events_by_type: Counter = Counter()
    PUBLISHED.clear()
    for n in range(USERS):
        user = sign_up()
        h = {"Authorization": f"Bearer {user.id_token}"}
        session_id: str | None = None
        turn: dict[str, Any] = {}  # the last turn's answer
        for i, text in enumerate(MESSAGES[:TURNS]):
            # every message new to the model's cache, as a person's own words are
            text = f"{text} (day {n + 1})"
            body = {"session_id": session_id, "client_turn_id": uuid.uuid4().hex, "message": text}
            r, c = measure(chat.post, "/v2/chat/turns", json=body, headers=h)
            assert r.status_code == 201, r.get_data(as_text=True)
            turn = r.get_json()
            session_id = turn["session_id"]
            key = "turn, first of a session (new token)" if i == 0 else "turn, later in the session"
            rows[key].append(c)
        r, c = measure(chat.post, "/v2/chat/turns", json=body, headers=h)
        assert r.status_code == 200
        rows["turn, replayed (same client_turn_id)"].append(c)
        ref = {"turn_id": turn["turn_id"], "session_id": session_id}
        for rating, key in (("up", "feedback, first rating"), (2, "feedback, changed rating")):
            r, c = measure(feedback.post, "/v2/feedback", json={**ref, "rating": rating}, headers=h)
            assert r.status_code in (200, 201), r.get_data(as_text=True)
            rows[key].append(c)
        r, c = measure(chat.get, f"/v2/sessions/{session_id}/turns?after=2", headers=h)
        assert r.status_code == 200
        rows["sync: turns?after=N"].append(c)
        r, c = measure(chat.get, f"/v2/sessions/{session_id}", headers=h)
        assert r.status_code == 200
        rows["session GET (200)"].append(c)
        etag = r.headers["ETag"]
        r, c = measure(chat.get, f"/v2/sessions/{session_id}", headers={**h, "If-None-Match": etag})
        assert r.status_code == 304
        rows["session GET (304, If-None-Match)"].append(c)

    deliveries: dict[str, list[dict]] = {}
    published = list(PUBLISHED)
    for message in published:
        kind = message["attributes"].get("type", "?")
        events_by_type[kind] += 1
        for name, client in (("profile_updater", updater), ("analytics_sink", sink)):
            r, c = measure(
                client.post,
                f"/projects/demo-ion/topics/{message['topic']}",
                json=push_body(message),
            )
            assert r.status_code in (200, 204), r.get_data(as_text=True)
            deliveries.setdefault(f"{name}: {kind}", []).append(c)
    # A run first drains what is due (an entry whose event left in no request's own delivery),
    # so the measured run is the every-minute case: nothing due.
    drained = relay.post("/", json={}).get_json()
    r, c = measure(relay.post, "/", json={})
    assert r.get_json()["claimed"] == 0, r.get_json()
    relay_row = {**c, "drained_before": drained["published"]}

    out = {
        "machine": describe(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "users": USERS,
        "turns_per_session": TURNS,
        "requests": {k: mean_of(v) for k, v in rows.items() if v},
        "events_published": dict(events_by_type),
        "event_deliveries": {k: mean_of(v) for k, v in sorted(deliveries.items())},
        "outbox_relay_run_with_nothing_due": relay_row,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ops_per_turn.json").write_text(json.dumps(out, indent=2) + "\n")
    (RESULTS / "ops_per_turn.md").write_text(render(out))
    print(render(out))


COLUMNS = (
    ("firestore_reads", "FS reads"),
    ("firestore_writes", "FS writes"),
    ("firestore_deletes", "FS deletes"),
    ("firestore_rpcs", "FS RPCs"),
    ("pubsub_messages", "Pub/Sub msgs"),
    ("pubsub_bytes", "Pub/Sub bytes"),
    ("bigquery_rows", "BQ rows"),
    ("model_calls", "model calls"),
    ("auth_lookups", "Auth lookups"),
    ("cpu_median_ms", "CPU ms (median)"),
    ("wall_median_ms", "wall ms (median)"),
)


def _table(rows: dict[str, dict]) -> list[str]:
    lines = [
        "| request | n | " + " | ".join(t for _, t in COLUMNS) + " |",
        "|---|---:|" + "---:|" * len(COLUMNS),
    ]
    for name, r in rows.items():
        cells = " | ".join(f"{r.get(k, 0):g}" for k, _ in COLUMNS)
        lines.append(f"| {name} | {r['n']} | {cells} |")
    return lines


def render(out: dict) -> str:
    m = out["machine"]
    relay = out["outbox_relay_run_with_nothing_due"]
    return "\n".join(
        [
            "# Operations per request, counted",
            "",
            f"{m['date']} · {m['cpu']} · {m['cores']} cores · Python {m['python']}; load "
            f"average {out['load_average']}. {out['users']} users × {out['turns_per_session']} "
            "turns, each function in-process against the local emulators with counting "
            "wrappers on its clients (benchmarks/ops_per_turn.py says what counts as what). "
            "Means per request; CPU is this process's (all threads) while the request ran, "
            "not the emulators'. A request's events are published through the Pub/Sub client "
            "(timed with it) to benchmark-only topics no subscription reads, and pushed to "
            "the consumers below by the benchmark.",
            "",
            *_table(out["requests"]),
            "",
            f"Events published: {out['events_published']}. Each is pushed to both consumers:",
            "",
            *_table(out["event_deliveries"]),
            "",
            f"outbox_relay with nothing due: {relay.get('firestore_queries', 0)} query, "
            f"{relay.get('firestore_reads', 0)} read, {relay['cpu_ms']:.1f} ms CPU (a run "
            f"before it published the {relay.get('drained_before', 0)} entries still due).",
            "",
        ]
    )


if __name__ == "__main__":
    main(sys.argv[1:])
