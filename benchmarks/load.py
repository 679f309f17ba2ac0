"""Load: simulated phone users holding conversations through the local gateway for minutes, then
every turn counted in Firestore and every event in the BigQuery views. With `--faults`, each
emulator and the model server is stopped and started again in turn during the load
(benchmarks/faults.py says how and why each keeps its data).

    flock /tmp/ion-stack.lock scripts/with_stack.sh .venv/bin/python -m benchmarks.load
    ... -m benchmarks.load --users 30 --duration 30            (a short run while developing)
    ... -m benchmarks.load --faults                            (results in load_faults.*)

Each user is a Firebase Auth emulator account with a real ID token. A user writes a message
(the labelled corpus's non-crisis texts, shuffled, each once before any repeats, so the persona
model is asked as it would be for real users: the chat function caches its answers per text),
reads the reply and types the next one: the think time between turns is `--think-floor` plus an
exponential wait, `--think` seconds on average (12 s by default: a reply of two or three
sentences takes a few seconds to read, a 40–80 character message takes 10–20 s to type on a
phone at 3–5 characters a second, and the exponential tail is the pauses; 12 s is the busy end
of that range, so the load is on the heavy side of real use, and it keeps a user under the
8 turns a minute limit of common/personalization/anomaly.py). A session lasts 4–12 turns, then
the user starts a new one. On some turns the user rates the reply (`--feedback-share`, now and
then changing the rating) and syncs (`--sync-share`: GET /v2/sessions/{id}/turns?after=N, then
the session with If-None-Match, sometimes twice as a second device would, which is a 304).

Every turn carries a new client_turn_id. A 503 or 429 is retried after its Retry-After, a timeout
or a refused connection after a backoff, a 401 after signing in again, always with the same
client_turn_id (the same request body), as the app does, until `--give-up` seconds have passed.
The client keeps a ledger of acknowledged turns. Afterwards:
- the outbox must drain (the scheduler calls outbox_relay every 10 s locally);
- Firestore: every user's sessions and turns are read back and compared with the ledger (no
  acknowledged turn missing, no client_turn_id stored twice, turn indexes 0..n-1);
- BigQuery: the benchmark waits, with a progress line, until the events of these sessions stop
  arriving (the analytics sink drains the events topic through the emulator's push, one
  delivery at a time: benchmarks/results/analytics.md) or `--drain-timeout` passes, and reports
  any backlog; then the views are compared with Firestore (each turn once in `turns`, each
  session started once, each rated turn's last rating in `feedback_final`).

Figures: p50/p95/p99 per operation (each attempt, successful ones), throughput, errors by status
(5xx inside and outside the fault windows), RSS per stack process, the load average, and a plot.
Results: benchmarks/results/load.{json,md,png} (load_faults.* with --faults), with the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks import faults, phases
from benchmarks.chat_turns import GATEWAY, messages
from benchmarks.machine import describe
from benchmarks.stats import pct
from common import timing
from scripts import stack
from scripts.auth_emulator import AUTH

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SIGN_UP = f"{AUTH}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=local"
SIGN_IN = f"{AUTH}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=local"
PASSWORD = "load-password"  # noqa: S105 - an emulator account
OPS = ("turn", "feedback", "sync_turns", "session_get")
TURN_TARGET_P95_MS = 100


# Message parts: varied enough that no user repeats a message (the repeat limit) and the model's
# prediction cache sees realistic misses; nothing that reads as a crisis.
@dataclass
class Sample:
    t: float  # seconds since the run started, when the attempt began
    op: str
    status: str  # "201", "304", "timeout", "ConnectError", ...
    ms: float
    degraded: bool = False  # a turn answered without the persona model (or another part)
    code: str = ""  # the error body's code for a 5xx, e.g. "storage_unavailable"
    phases: dict[str, float] = field(default_factory=dict)  # Server-Timing, ms


@dataclass
class Ledger:
    """What the clients saw acknowledged, and what they gave up on."""

    turns: dict[str, dict] = field(default_factory=dict)  # client_turn_id -> turn
    gave_up: list[dict] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)  # uid -> email
    ratings: dict[str, dict] = field(default_factory=dict)  # turn_id -> last acknowledged
    rating_posts: Counter = field(default_factory=Counter)  # turn_id -> ratings sent
    feedback_events: int = 0  # acknowledged ratings that changed something (one event each)
    sync_mismatches: int = 0
    reauths: int = 0


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = time.monotonic()
        self.wall_started = time.time()
        self.samples: list[Sample] = []
        self.ledger = Ledger()
        self.deadline = self.started + args.duration
        self.stop_sampling = threading.Event()

    def clock(self) -> float:
        return time.monotonic() - self.started

    def log(self, text: str) -> None:
        print(f"[{self.clock():6.1f} s] {text}", flush=True)


class User:
    def __init__(self, run: Run, client: httpx.AsyncClient, rng: random.Random) -> None:
        self.run = run
        self.client = client
        self.rng = rng
        self.email = f"load-{uuid.uuid4().hex[:16]}@example.com"
        self.uid = ""
        self.token = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def sign(self, url: str) -> None:
        for attempt in range(30):
            try:
                r = await self.client.post(
                    url,
                    json={"email": self.email, "password": PASSWORD, "returnSecureToken": True},
                )
                if r.status_code == 200:
                    self.uid, self.token = r.json()["localId"], r.json()["idToken"]
                    self.run.ledger.users[self.uid] = self.email
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(min(2.0, 0.2 * 2**attempt))  # the Auth emulator restarting
        raise RuntimeError(f"could not sign in {self.email}")

    async def call(
        self,
        op: str,
        method: str,
        path: str,
        *,
        body: dict | None = None,
        params: dict | None = None,
        extra: dict | None = None,
    ) -> httpx.Response | None:
        """One request as the app sends it: the same body again after a 503, 429, 5xx, timeout
        or a refused connection (after Retry-After or a backoff), and after a 401 once signed in
        again; None when it gave up."""
        give_up = time.monotonic() + self.run.args.give_up
        backoff = 0.5
        while True:
            t0 = time.monotonic()
            status, retry_after, r = "", None, None
            try:
                r = await self.client.request(
                    method,
                    path,
                    json=body,
                    params=params,
                    headers={**self.headers, **(extra or {})},
                )
                status = str(r.status_code)
                retry_after = r.headers.get("Retry-After")
            except httpx.TimeoutException:
                status = "timeout"
            except httpx.TransportError as e:
                status = type(e).__name__
            degraded = bool(op == "turn" and status in ("200", "201") and r.json()["degraded"])
            code = error_code(r) if r is not None and r.status_code >= 500 else ""
            self.run.samples.append(
                Sample(
                    t0 - self.run.started,
                    op,
                    status,
                    (time.monotonic() - t0) * 1000,
                    degraded,
                    code,
                    timing.parse(r.headers.get("Server-Timing")) if r is not None else {},
                )
            )
            retryable = r is None or r.status_code >= 500 or r.status_code in (401, 429)
            if not retryable or time.monotonic() >= give_up:
                return r
            if r is not None and r.status_code == 401 and time.monotonic() < give_up:
                self.run.ledger.reauths += 1
                await self.sign(SIGN_IN)
                continue
            wait = float(retry_after) if retry_after and retry_after.isdigit() else backoff
            wait = min(wait, 10.0) * self.rng.uniform(0.8, 1.2)
            backoff = min(backoff * 2, 8.0)
            if time.monotonic() + wait > give_up:
                return None
            await asyncio.sleep(wait)

    async def think(self, share: float = 1.0) -> None:
        a = self.run.args
        await asyncio.sleep(
            share * (a.think_floor + self.rng.expovariate(1 / (a.think - a.think_floor)))
        )

    async def live(self) -> None:
        """Sessions of 4–12 turns with think time, ratings and syncs, until the run's end."""
        await self.sign(SIGN_UP)
        await asyncio.sleep(self.rng.uniform(0, self.run.args.ramp))  # users arrive spread out
        session_id: str | None = None
        left = 0
        known: list[dict] = []  # this session's acknowledged turns, in order
        etag = None
        while time.monotonic() < self.run.deadline:
            if left == 0:
                session_id, left, known, etag = None, self.rng.randint(4, 12), [], None
            turn = await self.take_turn(session_id)
            left -= 1
            if turn is None:  # gave up: the app would start afresh
                left = 0
                continue
            session_id = turn["session_id"]
            known.append(turn)
            await self.think(0.4)  # reading the reply
            if self.rng.random() < self.run.args.feedback_share:
                await self.rate(turn)
            if self.rng.random() < self.run.args.sync_share:
                etag = await self.sync(session_id, known, etag)
            await self.think(0.6)  # typing the next message

    async def take_turn(self, session_id: str | None) -> dict | None:
        ctid = uuid.uuid4().hex
        body = {"session_id": session_id, "client_turn_id": ctid, "message": next(messages())}
        r = await self.call("turn", "POST", "/v2/chat/turns", body=body)
        if r is None or r.status_code not in (200, 201):
            self.run.ledger.gave_up.append(
                {"uid": self.uid, "client_turn_id": ctid, "session_id": session_id,
                 "status": None if r is None else r.status_code}
            )  # fmt: skip
            return None
        out = r.json()
        turn = {
            "uid": self.uid,
            "session_id": out["session_id"],
            "turn_id": out["turn_id"],
            "turn_index": out["turn_index"],
            "degraded": out.get("degraded", []),
        }
        self.run.ledger.turns[ctid] = turn
        return turn

    async def rate(self, turn: dict) -> None:
        ratings: list = ["up", "down", 1, 2, 3, 4, 5]
        for _ in range(2 if self.rng.random() < 0.15 else 1):  # now and then a change of mind
            rating = self.rng.choice(ratings)
            body = {"turn_id": turn["turn_id"], "session_id": turn["session_id"], "rating": rating}
            self.run.ledger.rating_posts[turn["turn_id"]] += 1
            r = await self.call("feedback", "POST", "/v2/feedback", body=body)
            if r is not None and r.status_code in (200, 201):
                self.run.ledger.ratings[turn["turn_id"]] = {"rating": str(rating), **turn}
                self.run.ledger.feedback_events += bool(r.json().get("changed"))

    async def sync(self, session_id: str, known: list[dict], etag: str | None) -> str | None:
        after = known[max(0, len(known) - 3)]["turn_index"] - 1 if known else -1
        r = await self.call(
            "sync_turns", "GET", f"/v2/sessions/{session_id}/turns", params={"after": after}
        )
        if r is not None and r.status_code == 200:
            got = [t["turn_id"] for t in r.json()["turns"]]
            want = [t["turn_id"] for t in known if t["turn_index"] > after]
            if got != want:
                self.run.ledger.sync_mismatches += 1
        for _ in range(2 if self.rng.random() < 0.33 else 1):  # a second device polls too
            extra = {"If-None-Match": etag} if etag else None
            r = await self.call("session_get", "GET", f"/v2/sessions/{session_id}", extra=extra)
            if r is not None and r.status_code in (200, 304):
                etag = r.headers.get("ETag", etag)
        return etag


# Stack processes: RSS and load, sampled while the load runs


def _by_group() -> dict[int, list[float]]:
    """Process group -> [RSS bytes, CPU seconds used so far] of its live processes."""
    page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    out: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            group = out[int(fields[2])]
            group[0] += int((entry / "statm").read_text().split()[1]) * page
            group[1] += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        except (OSError, ValueError, IndexError):
            continue
    return out


def stack_usage() -> dict[str, tuple[float, float]]:
    """(RSS MiB, CPU seconds so far) of each stack service's process group (a service and all
    its children), and of this load generator."""
    groups = _by_group()
    out = {}
    for service in stack.SERVICES:
        pid = stack.running_pid(service.name)
        if pid and pid in groups:
            out[service.name] = (round(groups[pid][0] / 2**20, 1), groups[pid][1])
    mine = groups[os.getpgrp()]
    out["load generator"] = (round(mine[0] / 2**20, 1), mine[1])
    return out


def sample_machine(
    run: Run, memory: dict[str, list[float]], cpu: dict[str, list[float]], load: list[tuple]
) -> None:
    while not run.stop_sampling.is_set():
        for name, (mib, seconds) in stack_usage().items():
            memory[name].append(mib)
            cpu[name].append(seconds)
        load.append((round(run.clock(), 1), *os.getloadavg()))
        run.stop_sampling.wait(5)


# After the load: outbox, Firestore, BigQuery


def wait_outbox(run: Run, db, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        left = sum(1 for _ in db.collection("outbox").select([]).stream())
        if left == 0 or time.monotonic() > deadline:
            run.log(f"outbox: {left} entries left")
            return left
        run.log(f"outbox: {left} entries waiting for the relay")
        time.sleep(5)


def check_firestore(run: Run, db) -> dict:
    from google.cloud.firestore_v1.base_query import FieldFilter

    ledger = run.ledger
    stored: dict[str, list[dict]] = defaultdict(list)  # client_turn_id -> stored turns
    sessions: dict[str, int] = {}
    created: dict[str, float] = {}  # turn_id -> seconds since the run started
    gaps = 0
    for uid in ledger.users:
        q = db.collection("sessions").where(filter=FieldFilter("owner_uid", "==", uid))
        for snap in q.stream():
            turns = [t.to_dict() for t in snap.reference.collection("turns").stream()]
            sessions[snap.id] = len(turns)
            if sorted(t["turn_index"] for t in turns) != list(range(len(turns))):
                gaps += 1
            if snap.to_dict().get("turn_count") != len(turns):
                gaps += 1
            for t in turns:
                stored[t["client_turn_id"]].append(
                    {"session_id": snap.id, "turn_id": t["turn_id"], "turn_index": t["turn_index"]}
                )
                created[t["turn_id"]] = round(t["created_at"].timestamp() - run.wall_started, 1)
    lost = [c for c, t in ledger.turns.items() if not stored.get(c)]
    mismatched = [
        c
        for c, t in ledger.turns.items()
        if stored.get(c)
        and (stored[c][0]["turn_id"], stored[c][0]["session_id"]) != (t["turn_id"], t["session_id"])
    ]
    doubled = [c for c, s in stored.items() if len(s) > 1]
    gave_up = {g["client_turn_id"] for g in ledger.gave_up}
    unacknowledged = [c for c in stored if c not in ledger.turns]
    unexplained = [c for c in unacknowledged if c not in gave_up]
    return {
        "users": len(ledger.users),
        "sessions": len(sessions),
        "turns_acknowledged": len(ledger.turns),
        "turns_stored": sum(len(s) for s in stored.values()),
        "lost": len(lost),
        "doubled": len(doubled),
        "mismatched": len(mismatched),
        "index_gaps": gaps,
        "given_up_by_client": len(gave_up),
        "stored_but_given_up": len(unacknowledged) - len(unexplained),
        "stored_unexplained": len(unexplained),
        "_session_ids": sorted(sessions),
        "_turn_ids": sorted(s[0]["turn_id"] for s in stored.values()),
        "_created": created,
    }


def _bq():
    from common.analytics.warehouse import emulator_client

    return emulator_client("127.0.0.1:9050", stack.PROJECT)


def _query(bq, sql: str, session_ids: list[str]) -> list:
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ArrayQueryParameter("s", "STRING", session_ids)]
    )
    return list(bq.query(sql, job_config=config).result())


TABLE = f"`{stack.PROJECT}.analytics.events`"
VIEW = f"`{stack.PROJECT}.analytics.{{}}`"


def event_counts(bq, session_ids: list[str]) -> dict[str, dict]:
    rows = _query(
        bq,
        f"SELECT type, COUNT(DISTINCT event_id) AS events, COUNT(*) AS copies FROM {TABLE} "  # noqa: S608
        "WHERE session_id IN UNNEST(@s) GROUP BY type",
        session_ids,
    )
    return {r["type"]: {"events": r["events"], "copies": r["copies"]} for r in rows}


def wait_analytics(run: Run, bq, expected: dict[str, int], session_ids: list[str]) -> dict:
    """Poll until every expected event is queryable, the counts stop changing for
    `--drain-stall` seconds, or `--drain-timeout` passes."""
    started = time.monotonic()
    want = sum(expected.values())
    last, last_change, history = -1, time.monotonic(), []
    while True:
        counts = event_counts(bq, session_ids)
        have = sum(counts.get(t, {}).get("events", 0) for t in expected)
        now = time.monotonic()
        history.append((round(now - started, 1), have))
        if have != last:
            last, last_change = have, now
        rate = ""
        if len(history) > 1 and history[-1][0] > history[0][0]:
            rate = f", {(have - history[0][1]) / (history[-1][0] - history[0][0]):.1f}/s"
        run.log(f"analytics: {have:,} of {want:,} expected events queryable{rate}")
        done = all(counts.get(t, {}).get("events", 0) >= n for t, n in expected.items())
        if done or now - last_change > run.args.drain_stall:
            break
        if now - started > run.args.drain_timeout:
            break
        time.sleep(5)
    return {
        "expected": expected,
        "queryable": {t: counts.get(t, {}).get("events", 0) for t in expected},
        "other_types": {t: c for t, c in counts.items() if t not in expected},
        "copies": {t: c["copies"] for t, c in counts.items()},
        "complete": done,
        "backlog": max(0, want - have),
        "waited_s": round(time.monotonic() - started, 1),
        "drain_rate_per_s": round(
            (history[-1][1] - history[0][1]) / max(1e-9, history[-1][0] - history[0][0]), 1
        )
        if len(history) > 1
        else None,
    }


def check_views(run: Run, bq, fs: dict) -> dict:
    session_ids, turn_ids = fs["_session_ids"], set(fs["_turn_ids"])
    turns = _query(
        bq,
        f"SELECT turn_id, COUNT(*) AS n FROM {VIEW.format('turns')} "  # noqa: S608
        "WHERE session_id IN UNNEST(@s) GROUP BY turn_id",
        session_ids,
    )
    in_view = {r["turn_id"]: r["n"] for r in turns}
    started = _query(
        bq,
        f"SELECT session_id, COUNT(*) AS n FROM {VIEW.format('events_dedup')} "  # noqa: S608
        "WHERE session_id IN UNNEST(@s) AND type = 'session.started' GROUP BY session_id",
        session_ids,
    )
    final = _query(
        bq,
        f"SELECT turn_id, rating FROM {VIEW.format('feedback_final')} "  # noqa: S608
        "WHERE session_id IN UNNEST(@s)",
        session_ids,
    )
    final_rating = {r["turn_id"]: r["rating"] for r in final}
    ratings = run.ledger.ratings
    missing = sorted(turn_ids - set(in_view))
    return {
        # when each turn missing from the view was taken, to set beside the fault windows
        "missing_turns_taken_at_s": sorted(fs["_created"].get(t) for t in missing),
        "turns_in_view": len(in_view),
        "turns_missing_from_view": len(turn_ids - set(in_view)),
        "turns_doubled_in_view": sum(1 for n in in_view.values() if n > 1),
        "turns_in_view_not_in_firestore": len(set(in_view) - turn_ids),
        "sessions_started": len(started),
        "sessions_started_twice": sum(1 for r in started if r["n"] > 1),
        "rated_turns": len(ratings),
        "ratings_missing_from_view": sum(1 for t in ratings if t not in final_rating),
        "ratings_differing": sum(
            1 for t, r in ratings.items() if t in final_rating and final_rating[t] != r["rating"]
        ),
    }


# Figures


def error_code(r: httpx.Response) -> str:
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "not the error shape"


def late(s: Sample, windows: list[faults.Window]) -> dict:
    """A 5xx outside every fault window, and how long after the last window's end it began."""
    ended = [w.end for w in windows if w.end <= s.t]
    after = round(s.t - max(ended), 2) if ended else None
    return {
        "t": round(s.t, 2),
        "op": s.op,
        "status": s.status,
        "code": s.code,
        "after_window_s": after,
    }


def summarise(run: Run, windows: list[faults.Window]) -> dict:
    def inside(s: Sample) -> bool:
        """The attempt overlapped a fault window."""
        return any(s.t <= w.end and s.t + s.ms / 1000 >= w.down_at for w in windows)

    def latency(ok: list[float]) -> dict:
        return {
            "p50_ms": round(pct(ok, 0.50), 1),
            "p95_ms": round(pct(ok, 0.95), 1),
            "p99_ms": round(pct(ok, 0.99), 1),
            "mean_ms": round(statistics.fmean(ok), 1) if ok else None,
            "max_ms": round(max(ok), 1) if ok else None,
        }

    by_op: dict[str, dict] = {}
    wall = run.args.duration
    for op in OPS:
        rows = [s for s in run.samples if s.op == op]
        ok = [s for s in rows if s.status in ("200", "201", "304")]
        by_op[op] = {
            "attempts": len(rows),
            "ok": len(ok),
            **latency([s.ms for s in ok]),
            "ok_per_s": round(len(ok) / wall, 2),
            "statuses": dict(sorted(Counter(s.status for s in rows).items())),
        }
        if windows:
            by_op[op]["outside_fault_windows"] = latency([s.ms for s in ok if not inside(s)])
        if op == "turn":  # the degraded ones waited for the model until its timeout
            by_op[op]["not_degraded"] = latency([s.ms for s in ok if not s.degraded])
            by_op[op]["phases"] = phases.breakdown([(s.ms, s.phases) for s in ok if not inside(s)])
            by_op[op]["degraded_share"] = round(sum(s.degraded for s in ok) / max(1, len(ok)), 4)

    server_errors = [
        s for s in run.samples if s.status.startswith("5") or not s.status[0].isdigit()
    ]
    fives = [s for s in server_errors if s.status.startswith("5")]
    return {
        "operations": by_op,
        "requests_per_s": round(
            sum(1 for s in run.samples if s.status in ("200", "201", "304")) / wall, 1
        ),
        "errors": {
            "by_status": dict(
                sorted(
                    Counter(
                        s.status
                        for s in run.samples
                        if not s.status.startswith("2") and s.status != "304"
                    ).items()
                )
            ),
            "5xx_inside_fault_windows": dict(Counter(s.status for s in fives if inside(s))),
            "5xx_outside_fault_windows": dict(Counter(s.status for s in fives if not inside(s))),
            "5xx_outside_detail": [late(s, windows) for s in fives if not inside(s)],
            "500": sum(1 for s in fives if s.status == "500"),
            "transport_inside": sum(1 for s in server_errors if s not in fives and inside(s)),
            "transport_outside": sum(1 for s in server_errors if s not in fives and not inside(s)),
        },
        "turns_degraded": dict(
            Counter(d for t in run.ledger.turns.values() for d in t["degraded"])
        ),
        "reauths_after_401": run.ledger.reauths,
        "sync_mismatches": run.ledger.sync_mismatches,
    }


def plot(run: Run, windows: list[faults.Window], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bucket = 5.0
    n = int(max((s.t for s in run.samples), default=0) // bucket) + 1
    xs = [i * bucket for i in range(n)]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    for op, colour in zip(OPS, ("C0", "C1", "C2", "C3"), strict=True):
        per = defaultdict(list)
        for s in run.samples:
            if s.op == op and s.status in ("200", "201", "304"):
                per[int(s.t // bucket)].append(s.ms)
        ys50 = [pct(per[i], 0.5) if per[i] else float("nan") for i in range(n)]
        ys95 = [pct(per[i], 0.95) if per[i] else float("nan") for i in range(n)]
        ax1.plot(xs, ys95, color=colour, label=f"{op} p95")
        if op == "turn":
            ax1.plot(xs, ys50, color=colour, linestyle=":", label="turn p50")
        counts = [len(per[i]) / bucket for i in range(n)]
        ax2.plot(xs, counts, color=colour, label=f"{op} ok/s")
    errs = Counter(int(s.t // bucket) for s in run.samples if s.status[0] not in "23")
    ax2.bar(xs, [errs[i] / bucket for i in range(n)], width=bucket * 0.9, color="red",
            alpha=0.5, align="edge", label="not ok /s")  # fmt: skip
    ax1.axhline(TURN_TARGET_P95_MS, color="grey", linestyle="--", linewidth=0.8)
    ax1.set_yscale("log")
    ax1.set_ylabel("latency, ms (5 s buckets)")
    ax2.set_ylabel("requests/s")
    ax2.set_xlabel("seconds since start")
    for w in windows:
        for ax in (ax1, ax2):
            ax.axvspan(w.down_at, min(w.end, xs[-1] + bucket), color="orange", alpha=0.15)
        ax1.text(w.down_at, ax1.get_ylim()[1], w.service, va="top", fontsize=8)
    ax1.legend(fontsize=8, ncol=3)
    ax2.legend(fontsize=8, ncol=3)
    ax1.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def render(out: dict) -> str:
    a, m, s = out["args"], out["machine"], out["summary"]
    fs, an, views = out["firestore"], out["analytics"], out["views"]
    drained = "complete" if an["complete"] else f"**backlog {an['backlog']}**"
    lines = [
        f"# Load{' with faults' if a['faults'] else ''}: {a['users']} users, "
        f"{a['duration']:g} s through the local gateway",
        "",
        f"{m['date']} · {m['cpu']} · {m['cores']} cores · {m['memory_gib']} GiB · Python "
        f"{m['python']}. The load generator, the emulators, the gateway and the functions share "
        "the machine. Load average (1 min) during the load: "
        f"mean {out['load_average']['mean_1min']}, max {out['load_average']['max_1min']}.",
        "",
        f"Users arrive over the first {a['ramp']:g} s. "
        f"Think time {a['think_floor']:g} s + exponential, {a['think']:g} s mean; sessions of "
        f"4–12 turns; ratings on {a['feedback_share']:.0%} of turns, syncs on "
        f"{a['sync_share']:.0%}. Every attempt counts (a retry is a second sample).",
        "",
        "| operation | attempts | ok | p50 ms | p95 ms | p99 ms | max ms | ok/s | statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for op, r in s["operations"].items():
        statuses = ", ".join(f"{k}×{v}" for k, v in r["statuses"].items())
        lines.append(
            f"| {op} | {r['attempts']} | {r['ok']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['p99_ms']} | {r['max_ms']} | {r['ok_per_s']} | {statuses} |"
        )
    turn = s["operations"]["turn"]
    turn_p95, where = turn["p95_ms"], ""
    if "outside_fault_windows" in turn:
        lines += [
            "",
            "Outside the fault windows (attempts that overlapped none):",
            "",
            "| operation | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|",
        ]
        for op, r in s["operations"].items():
            o = r["outside_fault_windows"]
            lines.append(
                f"| {op} | {o['p50_ms']} | {o['p95_ms']} | {o['p99_ms']} | {o['max_ms']} |"
            )
        turn_p95, where = turn["outside_fault_windows"]["p95_ms"], " outside the fault windows"
    e = s["errors"]
    met = "met" if turn_p95 <= TURN_TARGET_P95_MS else "**missed**"
    nd = turn["not_degraded"]
    lines += [
        "",
        f"Throughput {s['requests_per_s']} ok requests/s. Chat turn p95{where} {turn_p95} ms "
        f"(target ≤ {TURN_TARGET_P95_MS} ms: {met}). {turn['degraded_share']:.1%} of the turns "
        "were answered degraded (most: the persona model did not answer within its timeout, "
        f"and the turn waited that long); the others: p50 {nd['p50_ms']}, p95 {nd['p95_ms']}, "
        f"p99 {nd['p99_ms']} ms.",
        f"Errors by status: {e['by_status'] or 'none'}. 5xx inside fault windows: "
        f"{e['5xx_inside_fault_windows'] or 'none'}; outside: "
        f"{e['5xx_outside_fault_windows'] or 'none'}; 500s: {e['500']}. Timeouts and refused "
        f"connections inside / outside: {e['transport_inside']} / {e['transport_outside']}.",
        f"Degraded turns: {s['turns_degraded'] or 'none'}. Sign-ins again after a 401: "
        f"{s['reauths_after_401']}. Syncs that disagreed with the client: {s['sync_mismatches']}.",
    ]
    if late_ones := e.get("5xx_outside_detail"):
        lines.append(
            "5xx outside the windows (op, status, error code, seconds after the last window "
            "ended): "
            + "; ".join(
                f"{x['op']} {x['status']} {x['code']} +{x['after_window_s']} s" for x in late_ones
            )
            + "."
        )
    if turn.get("phases"):
        where_from = " (attempts outside the fault windows)" if out["faults"] else ""
        lines += [
            "",
            "## Where a turn's time goes" + where_from,
            "",
            *phases.render(turn["phases"]),
        ]
    if out["faults"]:
        lines += [
            "",
            "## Fault windows",
            "",
            "From the fault's start to the moment /healthz reported the dependency healthy.",
            "",
            "| service | down at s | started again s | healthy at s | window s | how |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for w in out["faults"]:
            span = f"{w['healthy_at'] - w['down_at']:.1f}" if w["healthy_at"] is not None else "—"
            started, healthy = (
                "—" if w[k] is None else f"{w[k]:.1f}" for k in ("started_at", "healthy_at")
            )
            lines.append(
                f"| {w['service']} | {w['down_at']:.1f} | {started} | {healthy} | {span} | "
                f"{'; '.join(w['notes'])} |"
            )
    lines += [
        "",
        "## Counts",
        "",
        f"Firestore: {fs['users']} users, {fs['sessions']} sessions, {fs['turns_acknowledged']} "
        f"turns acknowledged, {fs['turns_stored']} stored; lost {fs['lost']}, doubled "
        f"{fs['doubled']}, different from the ledger {fs['mismatched']}, sessions with index gaps "
        f"{fs['index_gaps']}; turns the client gave up on {fs['given_up_by_client']} (stored "
        f"anyway: {fs['stored_but_given_up']}); stored and unexplained "
        f"{fs['stored_unexplained']}. Outbox entries left: {out['outbox_left']}.",
        "",
        f"BigQuery (events of these sessions): expected {an['expected']}, queryable "
        f"{an['queryable']} after waiting {an['waited_s']} s "
        f"({drained}; drain "
        f"{an['drain_rate_per_s']} events/s while waiting); rows per type including redelivered "
        f"copies {an['copies']}; other events {an['other_types'] or 'none'}.",
        "",
        f"Views: turns {views['turns_in_view']} (missing {views['turns_missing_from_view']}, "
        f"doubled {views['turns_doubled_in_view']}, unknown to Firestore "
        f"{views['turns_in_view_not_in_firestore']}; the missing ones were taken at "
        f"{views['missing_turns_taken_at_s'] or '—'} s); sessions started "
        f"{views['sessions_started']}"
        f" (twice: {views['sessions_started_twice']}); rated turns {views['rated_turns']} "
        f"(missing from feedback_final {views['ratings_missing_from_view']}, last rating "
        f"differing {views['ratings_differing']}).",
        "",
        "## Memory and CPU of each process",
        "",
        "RSS of each service's process group (the service and its children), and the CPU it "
        f"used while the load ran, in cores (the machine has {m['cores']}; the emulators do "
        "work Google runs elsewhere in production).",
        "",
        "| process | RSS peak MiB | RSS at the end MiB | CPU, cores |",
        "|---|---:|---:|---:|",
    ]
    for name, r in out["memory_mib"].items():
        cores = out["cpu_cores"].get(name, "—")
        lines.append(f"| {name} | {r['peak']} | {r['end']} | {cores} |")
    lines.append(f"| **all** | | | {round(sum(out['cpu_cores'].values()), 2)} |")
    lines += ["", f"![latency and throughput]({out['plot']})", ""]
    return "\n".join(lines)


async def drive(run: Run) -> None:
    a = run.args
    # uvicorn (the gateway) closes a connection idle for 5 s: an app's client lets it go sooner,
    # or a request on a connection being closed fails (ReadError) through no fault of the API.
    limits = httpx.Limits(
        max_connections=a.users + 20, max_keepalive_connections=a.users + 20, keepalive_expiry=4
    )
    timeout = httpx.Timeout(a.timeout, connect=5.0)
    async with httpx.AsyncClient(base_url=GATEWAY, timeout=timeout, limits=limits) as client:
        users = [User(run, client, random.Random(a.seed * 100_003 + i)) for i in range(a.users)]
        tasks = [asyncio.create_task(u.live()) for u in users]
        while not all(t.done() for t in tasks):
            await asyncio.sleep(10)
            ok = [s for s in run.samples if s.op == "turn" and s.status in ("200", "201")]
            recent = [s.ms for s in ok if s.t > run.clock() - 10]
            bad = Counter(s.status for s in run.samples if s.status[0] not in "23")
            active = sum(1 for t in tasks if not t.done())
            run.log(
                f"{active} users, {len(run.ledger.turns)} turns ({len(recent) / 10:.1f}/s), "
                f"turn p95 (10 s) {pct(recent, 0.95):.0f} ms, not ok {dict(bad) or 0}, "
                f"load {os.getloadavg()[0]:.2f}"
            )
        for t in tasks:
            if t.exception():
                run.log(f"a user stopped: {t.exception()!r}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--duration", type=float, default=300, help="seconds of load")
    p.add_argument("--think", type=float, default=12.0, help="mean think time between turns, s")
    p.add_argument("--think-floor", type=float, default=3.0, help="shortest think time, s")
    p.add_argument("--ramp", type=float, default=30.0, help="users arrive over this many s")
    p.add_argument("--feedback-share", type=float, default=0.3)
    p.add_argument("--sync-share", type=float, default=0.25)
    p.add_argument("--timeout", type=float, default=15.0, help="the app's request timeout, s")
    p.add_argument("--give-up", type=float, default=120.0, help="the app retries this long, s")
    p.add_argument("--faults", action="store_true", help="stop and restart each dependency")
    p.add_argument("--fault-down", type=float, default=15.0, help="seconds each stays down")
    p.add_argument("--drain-timeout", type=float, default=900.0)
    p.add_argument("--drain-stall", type=float, default=90.0, help="no new event for this long")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None, help="results name (default load / load_faults)")
    args = p.parse_args()
    os.environ.update(stack.EMULATOR_ENV)
    name = args.out or ("load_faults" if args.faults else "load")

    if args.faults:
        print("faults: restarting the BigQuery emulator file-backed", flush=True)
        faults.prepare()
    run = Run(args)
    memory: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    load: list[tuple] = []
    sampler = threading.Thread(target=sample_machine, args=(run, memory, cpu, load), daemon=True)
    sampler.start()
    windows: list[faults.Window] = []
    fault_thread = None
    if args.faults:
        first = min(30.0, args.duration * 0.1)
        spacing = (args.duration - first - 20) / len(faults.ORDER)
        fault_thread, windows = faults.schedule(
            first_at=first, spacing=spacing, down_seconds=args.fault_down,
            clock=run.clock, log=run.log,
        )  # fmt: skip
    run.log(f"{args.users} users for {args.duration:g} s through {GATEWAY}")
    asyncio.run(drive(run))
    if fault_thread is not None:
        fault_thread.join()
    run.stop_sampling.set()
    sampler.join()
    run.log(f"load over: {len(run.ledger.turns)} turns acknowledged")

    from google.cloud import firestore

    db = firestore.Client(project=stack.PROJECT)
    outbox_left = wait_outbox(run, db, timeout=180)
    fs = check_firestore(run, db)
    run.log(
        f"firestore: {fs['turns_stored']} turns stored, {fs['turns_acknowledged']} acknowledged,"
        f" lost {fs['lost']}, doubled {fs['doubled']}"
    )
    bq = _bq()
    stored_turns = fs["turns_stored"]
    expected = {
        "chat.turn.completed": stored_turns,
        "session.started": fs["sessions"],
        # one per acknowledged change (a retried rating whose first attempt was stored says
        # "unchanged", so this is a lower bound under faults)
        "feedback.submitted": run.ledger.feedback_events,
    }
    analytics = wait_analytics(run, bq, expected, fs["_session_ids"])
    views = check_views(run, bq, fs)
    summary = summarise(run, windows)
    loads = [x[1] for x in load]
    out = {
        "machine": describe(),
        "args": vars(args),
        "summary": summary,
        "faults": faults.as_dicts(windows),
        "outbox_left": outbox_left,
        "firestore": {k: v for k, v in fs.items() if not k.startswith("_")},
        "analytics": analytics,
        "views": views,
        "load_average": {
            "mean_1min": round(statistics.fmean(loads), 2) if loads else None,
            "max_1min": round(max(loads), 2) if loads else None,
            "samples": load,
        },
        "memory_mib": {k: {"peak": max(v), "end": v[-1]} for k, v in sorted(memory.items())},
        # CPU used by each process group while the load ran, as a share of one core (a restarted
        # service counts from its restart)
        "cpu_cores": {
            k: round(max(0.0, v[-1] - v[0]) / max(1e-9, load[-1][0] - load[0][0]), 3)
            for k, v in sorted(cpu.items())
            if len(v) > 1
        },
        "plot": f"{name}.png",
    }
    RESULTS.mkdir(exist_ok=True)
    plot(run, windows, RESULTS / f"{name}.png", f"{args.users} users, {args.duration:g} s"
         + (", faults" if args.faults else ""))  # fmt: skip
    (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=2, default=str) + "\n")
    report = render(out)
    (RESULTS / f"{name}.md").write_text(report)
    print("\n" + report)


if __name__ == "__main__":
    main()
