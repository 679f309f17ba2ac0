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

The measured run starts after `--warmup` seconds (60) of the same load by other users on the
freshly started stack: the emulators are JVMs that compile their hot paths in their first minute
or so. That load is stored like any other but not measured; its p50/p95 are reported.

Every turn carries a new client_turn_id. A 503 or 429 is retried after its Retry-After, a timeout
or a refused connection after a backoff, a 401 after signing in again, always with the same
client_turn_id (the same request body), as the app does, until `--give-up` seconds have passed.
The client keeps a ledger of acknowledged turns. Afterwards:
- the outbox must drain (the scheduler calls outbox_relay every 10 s locally);
- Firestore: every user's sessions and turns are read back and compared with the ledger (no
  acknowledged turn missing, no client_turn_id stored twice, turn indexes 0..n-1);
- BigQuery: the benchmark waits, with a progress line, until the events of these sessions stop
  arriving (the analytics sink drains the events topic through the emulator's push, whose pace
  benchmarks/results/analytics.md measures) or `--drain-timeout` passes, and reports
  any backlog; then the views are compared with Firestore (each turn once in `turns`, each
  session started once, each rated turn's last rating in `feedback_final`).

Figures: p50/p95/p99 per operation over its successful attempts (a retry is an attempt of its
own; failed attempts are counted by status), each acknowledged turn's time from its first attempt
to the acknowledgement (retries and their waits included), throughput, errors by status (5xx
inside and outside the fault windows), RSS and CPU per stack process, the load average, and a
plot.
Results: benchmarks/results/load.{json,md,png} (load_faults.* with --faults), with the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
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

from benchmarks import faults
from benchmarks.chat_turns import GATEWAY, MESSAGE_SEED, messages
from benchmarks.load_checks import (
    check_firestore,
    check_views,
    emulator_bigquery,
    wait_analytics,
    wait_outbox,
)
from benchmarks.load_report import GENERATOR, plot, render, summarise
from benchmarks.machine import describe
from benchmarks.stats import pct
from common import timing
from scripts import stack
from scripts.auth_emulator import SIGN_IN, SIGN_UP

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PASSWORD = "load-password"  # noqa: S105 - an emulator account


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
        # The seconds every per-second rate and CPU share is over. Users stop starting turns at
        # the deadline but finish what they began (a rating, a sync, a retry), so main() sets it
        # to the span the machine was sampled over, which reaches the last request.
        self.measured_s = float(args.duration)

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
        self.attempts = 0  # attempts the last call() made

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
        self.attempts = 0
        while True:
            self.attempts += 1
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
            answered = status in ("200", "201")
            degraded = bool(op == "turn" and answered and r is not None and r.json()["degraded"])
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
        first = time.monotonic()
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
            # what the user waited: from the first attempt to the acknowledgement, failed
            # attempts and the waits before each retry included
            "t": round(first - self.run.started, 2),
            "acknowledged_ms": round((time.monotonic() - first) * 1000, 1),
            "attempts": self.attempts,
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


# Stack processes: RSS, CPU and load, sampled while the load runs


def _by_group() -> dict[int, tuple[float, dict[int, float]]]:
    """Process group -> (RSS bytes, {pid: CPU seconds used so far}) of its live processes."""
    page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    rss: dict[int, float] = defaultdict(float)
    cpu: dict[int, dict[int, float]] = defaultdict(dict)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            group, pages = int(fields[2]), int((entry / "statm").read_text().split()[1])
            seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        except (OSError, ValueError, IndexError):
            continue
        rss[group] += pages * page
        cpu[group][int(entry.name)] = seconds
    return {group: (rss[group], cpu[group]) for group in rss}


def stack_usage() -> dict[str, tuple[float, dict[int, float]]]:
    """(RSS MiB, {pid: CPU seconds so far}) of each stack service's process group (a service
    and all its children), and of this load generator."""
    groups = _by_group()
    out = {}
    for service in stack.SERVICES:
        pid = stack.running_pid(service.name)
        if pid and pid in groups:
            out[service.name] = (round(groups[pid][0] / 2**20, 1), groups[pid][1])
    mine = groups.get(os.getpgrp(), (0.0, {}))
    out[GENERATOR] = (round(mine[0] / 2**20, 1), mine[1])
    return out


def cpu_used(samples: list[dict[int, float]]) -> float:
    """CPU seconds a service used over its samples ({pid: CPU seconds so far} each), added up
    process by process: a restart replaces its processes, whose counters start again from zero,
    so the first and the last sample's totals belong to different processes. A process first
    seen after the first sample started meanwhile and counts whole."""
    used = 0.0
    for before, after in itertools.pairwise(samples):
        for pid, seconds in after.items():
            earlier = before.get(pid)
            # a pid seen for the first time, or reused by a new process (its counter went back)
            used += seconds if earlier is None or seconds < earlier else seconds - earlier
    return used


def sample_machine(
    run: Run,
    memory: dict[str, list[float]],
    cpu: dict[str, list[dict[int, float]]],
    load: list[tuple],
) -> None:
    while True:
        for name, (mib, per_pid) in stack_usage().items():
            memory[name].append(mib)
            cpu[name].append(per_pid)
        load.append((round(run.clock(), 1), *os.getloadavg()))
        if run.stop_sampling.is_set():
            return  # a last sample once the load is over: the span reaches its last request
        run.stop_sampling.wait(5)


def cpu_cores(cpu: dict[str, list[dict[int, float]]], span_s: float) -> dict[str, float]:
    """CPU each process group used over the sampled span, as a share of one core (a restarted
    service: its old processes until they stopped, then the new ones)."""
    return {
        k: round(cpu_used(v) / max(1e-9, span_s), 3) for k, v in sorted(cpu.items()) if len(v) > 1
    }


def error_code(r: httpx.Response) -> str:
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "not the error shape"


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


def warm_up(args: argparse.Namespace) -> dict | None:
    """Load the freshly started stack for `--warmup` seconds with users of its own before the
    measured run. The emulators are JVMs that spend their first minute or so compiling their hot
    paths, which Google's services do not do in production (load_priority.md in the results has a
    cold run's figures). Its turns are stored like any other, not measured; its latency is
    reported so the cold start stays visible."""
    if args.warmup <= 0:
        return None
    ramp = min(args.ramp, args.warmup / 2)
    warm = Run(argparse.Namespace(**{**vars(args), "duration": args.warmup, "ramp": ramp}))
    warm.log(f"warm-up: {args.users} other users for {args.warmup:g} s, not measured")
    asyncio.run(drive(warm))
    turn = summarise(warm, [])["operations"]["turn"]
    return {
        "seconds": args.warmup,
        "users": args.users,
        "turns": turn["ok"],
        "turn_p50_ms": turn["p50_ms"],
        "turn_p95_ms": turn["p95_ms"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--duration", type=float, default=300, help="seconds of load")
    p.add_argument("--think", type=float, default=12.0, help="mean think time between turns, s")
    p.add_argument("--think-floor", type=float, default=3.0, help="shortest think time, s")
    p.add_argument("--ramp", type=float, default=30.0, help="users arrive over this many s")
    p.add_argument(
        "--warmup", type=float, default=60.0,
        help="seconds of load by other users first, not measured (0: measure from a cold stack)",
    )  # fmt: skip
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
    warmup = warm_up(args)
    run = Run(args)
    memory: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[dict[int, float]]] = defaultdict(list)
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
    run.measured_s = load[-1][0] - load[0][0]
    run.log(f"load over: {len(run.ledger.turns)} turns acknowledged")

    from google.cloud import firestore

    db = firestore.Client(project=stack.PROJECT)
    outbox_left = wait_outbox(run, db, timeout=180)
    fs = check_firestore(run, db)
    run.log(
        f"firestore: {fs['turns_stored']} turns stored, {fs['turns_acknowledged']} acknowledged,"
        f" lost {fs['lost']}, doubled {fs['doubled']}"
    )
    bq = emulator_bigquery()
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
        "message_seed": MESSAGE_SEED,  # this run's order of the corpus's texts
        "summary": summary,
        "warmup": warmup,
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
        # the span of the rates in the summary and of these shares
        "measured_s": round(run.measured_s, 1),
        "cpu_cores": cpu_cores(cpu, run.measured_s),
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
