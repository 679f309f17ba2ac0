"""Chat-turn latency and throughput through the local gateway at 1, 10 and 50 concurrent
conversations, side by side with the floor (a bare function that verifies the token, runs one
Firestore transaction and publishes one event after its answer, as a turn does), measured in the
same run so the ratio shows what our own code costs, as long as every turn had the model's
answer: a cell where turns fell back to the baseline overloaded the one chat instance and the
one model server (the table marks it), and its ratio is that queue, not a turn's cost. Needs the
stack with the floor: `make bench` starts it.

Two load shapes:
- conversations: each simulated user waits a think time (uniform 0.5–1.5 × `--think`, 1 s by
  default, far quicker than a person types) between turns: the latency a user sees.
- saturation: no think time (closed loop): the most turns per second this machine serves.

Messages are the labelled corpus's non-crisis texts, each used once, in an order drawn for
each run, so every turn asks the persona model (the chat function caches its answers per text
for 300 s, and scripts/with_stack.sh reuses a stack that is up). The chat function's /healthz
prediction-cache counters, read before and after each cell, show the turns the cache answered
all the same. Each response's Server-Timing header (common/timing.py) shows where the time went.

Prints tables and writes benchmarks/results/chat_turns.json and .md."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import httpx

from benchmarks import phases
from benchmarks.machine import describe
from benchmarks.stats import pct
from common import timing
from common.model_client import CACHE_MAX_AGE_SECONDS
from model_serving import split
from scripts import stack
from scripts.auth_emulator import SIGN_UP

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = "http://127.0.0.1:8080"
TURNS_PER_SESSION = 8  # the anomaly limit allows 8 turns a minute per user: one user a session
# This process's message order, recorded with the results: one fixed order would replay a run's
# first texts into a chat function that still caches their answers from the run before.
MESSAGE_SEED = random.SystemRandom().randrange(2**32)


@cache
def messages(seed: int = MESSAGE_SEED) -> Iterator[str]:
    """The labelled corpus's non-crisis texts, shuffled, each once before any comes again: the
    chat function caches the model's answer per text, so a few fixed messages repeated would
    leave the model out of the loop after the first of each."""
    texts = [r["text"] for r in split.ordinary_records()]
    random.Random(seed).shuffle(texts)
    return itertools.cycle(texts)


class Users:
    """Fresh signed-in users, one per simulated session, so that no simulated person writes
    faster than the per-user limits allow (they would be refused, as a real flood is)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def next(self) -> dict[str, str]:
        r = await self._client.post(
            SIGN_UP,
            json={
                "email": f"bench-{uuid.uuid4().hex}@example.com",
                "password": "bench-password",
                "returnSecureToken": True,
            },
        )
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['idToken']}"}


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    timings: list[tuple[float, dict[str, float]]] = field(default_factory=list)  # Server-Timing
    model_fallbacks: int = 0  # turns the baseline read: the model missed its deadline or was down


async def conversation(
    client: httpx.AsyncClient,
    users: Users,
    target: str,
    deadline: float,
    think: float,
    rng: random.Random,
    tally: Tally,
) -> None:
    """One conversation slot: sessions of TURNS_PER_SESSION turns, each by a new user, with
    think time between turns."""
    session_id = None
    n = 0
    headers = await users.next()
    while time.perf_counter() < deadline:
        if think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
        if target == "chat":
            path = "/v2/chat/turns"
            body = {
                "session_id": session_id,
                "client_turn_id": uuid.uuid4().hex,
                "message": next(messages()),
            }
        else:
            path, body = "/_bench/floor", {}
        started = time.perf_counter()
        try:
            r = await client.post(path, json=body, headers=headers)
        except httpx.HTTPError as e:
            tally.errors.append(type(e).__name__)
        else:
            if r.status_code in (200, 201):
                ms = (time.perf_counter() - started) * 1000
                tally.latencies_ms.append(ms)
                tally.timings.append((ms, timing.parse(r.headers.get("Server-Timing"))))
                if target == "chat":
                    turn = r.json()
                    session_id = turn["session_id"]
                    tally.model_fallbacks += "persona_model" in turn.get("degraded", ())
            else:
                tally.errors.append(str(r.status_code))
        n += 1
        if n % TURNS_PER_SESSION == 0:
            session_id = None
            headers = await users.next()


async def cache_counters(client: httpx.AsyncClient) -> dict | None:
    """The chat function's prediction-cache counters from its /healthz (one process serves
    every turn on the local stack), or None if it does not report them."""
    try:
        r = await client.get("/healthz")  # a degraded stack's 503 carries the report too
        return r.json()["dependencies"]["persona_model"]["cache"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def cache_delta(before: dict | None, after: dict | None) -> dict | None:
    """The cache's hits and lookups between two readings; None if either is missing or the
    counters went back (the chat function restarted in between)."""
    if not before or not after:
        return None
    hits = after["hits"] - before["hits"]
    lookups = hits + after["misses"] - before["misses"]
    return {"hits": hits, "lookups": lookups} if hits >= 0 and lookups >= hits else None


async def run_cell(target: str, concurrency: int, seconds: float, think: float) -> dict:
    rng = random.Random(concurrency)
    limits = httpx.Limits(
        max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5
    )
    async with httpx.AsyncClient(base_url=GATEWAY, timeout=30, limits=limits) as client:
        users = Users(client)

        async def load(duration: float, think_s: float, tally: Tally) -> float:
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    conversation(
                        client,
                        users,
                        target,
                        started + duration,
                        think_s,
                        rng,
                        tally,
                    )
                    for _ in range(concurrency)
                )
            )
            return time.perf_counter() - started

        await load(1.0, 0.0, Tally())  # warm-up: every connection and cache, not measured
        tally = Tally()
        before = await cache_counters(client) if target == "chat" else None
        wall = await load(seconds, think, tally)
        cached = cache_delta(before, await cache_counters(client)) if target == "chat" else None
    lat = tally.latencies_ms
    return {
        "target": target,
        "concurrency": concurrency,
        "think_s": think,
        "requests": len(lat),
        "errors": len(tally.errors),
        "error_kinds": sorted(set(tally.errors)),
        "p50_ms": round(pct(lat, 0.50), 1),
        "p95_ms": phases.tail_pct(lat, 0.95),  # None: too few requests (`requests` says how many)
        "p99_ms": phases.tail_pct(lat, 0.99),
        "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
        "throughput_rps": round(len(lat) / wall, 1),
        "model_fallbacks": tally.model_fallbacks if target == "chat" else None,
        # turns the chat function's prediction cache answered: the model was not asked
        "model_cache": cached,
        "phases": phases.breakdown(tally.timings),
    }


def serving_threads(cores: int) -> tuple[str, str]:
    """The chat function's request threads and the model server's encoder threads as the local
    stack starts them, in words: functions-framework's gunicorn runs THREADS threads in one
    worker, by default 4 per CPU (scripts/stack.py does not set it); the model server runs one
    inference at a time on MODEL_INTRA_OP_THREADS encoder threads (scripts/stack.py sets it)."""
    env = {**os.environ, **stack.EMULATOR_ENV, **stack.BY_NAME["fn-chat"].env}
    if "THREADS" in env:
        chat = f"{env['THREADS']} threads, THREADS={env['THREADS']}"
    else:
        chat = f"{cores * 4} threads, THREADS unset, so {cores} cores × 4"
    model = stack.BY_NAME["model"].env.get("MODEL_INTRA_OP_THREADS", "2")
    return chat, f"{model} encoder thread{'' if model == '1' else 's'}"


def _overloaded(r: dict) -> bool:
    """A chat cell where some turns did without the model: the one instance was overloaded."""
    return r["target"] == "chat" and bool(r.get("model_fallbacks"))


def _overload_note(rows: list[dict], cores: int) -> list[str]:
    over = [r for r in rows if _overloaded(r)]
    if not over:
        return []
    chat, model = serving_threads(cores)
    cells = "; ".join(
        f"{r['concurrency']} concurrent: {r['model_fallbacks']} of {r['requests']} turns read "
        "the baseline"
        for r in over
    )
    return [
        "",
        f"(overload): single-instance overload, not a per-turn cost ({cells}). One chat "
        f"process (functions-framework: {chat}) and one model server (one inference at a time, "
        f"{model}) share the machine's {cores} cores with the emulators, the gateway and the "
        "load generator: turns queued for them, and those whose model call missed its deadline "
        "(or found its circuit open) were answered by the baseline. The p95 chat/floor ratio of "
        "such a row measures that queue; it shows what our code costs per turn only in rows "
        "where no turn read the baseline.",
    ]


def _cache_cell(r: dict) -> str:
    """A chat row's prediction-cache hits of its lookups ("?": not read); a floor row's none."""
    if r["target"] != "chat":
        return ""
    c = r.get("model_cache")
    return "?" if c is None else f"{c['hits']} of {c['lookups']}"


def _cache_note(rows: list[dict]) -> list[str]:
    hit = [r for r in rows if (r.get("model_cache") or {}).get("hits")]
    if not hit:
        return []
    return [
        "",
        "(cache): in some chat rows the chat function's prediction cache answered turns (a "
        f"text asked within its last {CACHE_MAX_AGE_SECONDS:g} s, e.g. by an earlier run on the "
        "same stack): those turns left the model out, and the row's latency with them.",
    ]


def _table(rows: list[dict], cores: int | None = None) -> list[str]:
    lines = [
        "| concurrency | target | requests | errors | p50 ms | p95 ms | p99 ms | req/s "
        "| p95 chat/floor | turns the baseline read | model cache hits |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    floors = {r["concurrency"]: r for r in rows if r["target"] == "floor"}
    for r in rows:
        ratio = ""
        floor = floors.get(r["concurrency"], {}).get("p95_ms")
        if r["target"] == "chat" and r["p95_ms"] is not None and floor is not None:
            ratio = f"{r['p95_ms'] / floor:.2f}×"
            if _overloaded(r):
                ratio += " (overload)"
        lines.append(
            f"| {r['concurrency']} | {r['target']} | {r['requests']} | {r['errors']} | "
            f"{r['p50_ms']} | {phases.cell(r['p95_ms'])} | {phases.cell(r['p99_ms'])} | "
            f"{r['throughput_rps']} | {ratio} | "
            f"{'' if r.get('model_fallbacks') is None else r['model_fallbacks']} | "
            f"{_cache_cell(r)} |"
        )
    if any(r["p95_ms"] is None or r["p99_ms"] is None for r in rows):
        lines += ["", f"{phases.TOO_FEW_NOTE} `requests` is the number of samples."]
    return lines + _overload_note(rows, cores or os.cpu_count() or 1) + _cache_note(rows)


def render(out: dict) -> str:
    """The report from what main_async() writes to chat_turns.json."""
    results, machine, seconds = out["results"], out["machine"], out["seconds_per_cell"]
    think, warmup, load = out["think_s"], out["warmup_s"], out["load_average_1min"]
    lines = [
        "# Chat turns through the local gateway",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Python {machine['python']}; {machine['date']}. After {warmup:g} s of closed-loop load "
        f"on the new stack, not measured (its JVM emulators warm up), {seconds:g} s per cell "
        "after a 1 s warm-up; the load generator, the emulators, the gateway and the functions "
        "share the machine. Floor and chat are measured in the same run, one after the other. "
        f"Load average (1 min) {load['before']} before, {load['after']} after: other work on "
        f"the machine inflates the tails. Messages in the order of seed {out['message_seed']}; "
        "`model cache hits` are the chat function's prediction-cache hits of its lookups during "
        "the cell (its /healthz counters before and after): a hit is a turn the model did not "
        "answer.",
    ]
    for title, rows in (
        (f"Conversations (think time {think:g} s mean)", [r for r in results if r["think_s"]]),
        ("Saturation (no think time)", [r for r in results if not r["think_s"]]),
    ):
        if rows:
            lines += ["", f"## {title}", "", *_table(rows, machine["cores"])]
    for r in results:  # where a turn's time goes in the conversations, the floor's beside it
        if r["think_s"] and r.get("phases"):
            what = "turn" if r["target"] == "chat" else "floor request"
            lines += [
                "",
                f"## {r['target']}, {r['concurrency']} concurrent: where the time goes",
                "",
                *phases.render(r["phases"], what),
            ]
    return "\n".join(lines) + "\n"


async def warm_up(seconds: float) -> None:
    """Closed-loop load on the floor, then on chat, not measured. The stack has just started,
    and its emulators are JVMs that compile their hot paths under load: without this, the first
    cells would measure that (Google's services do not do it in production)."""
    for target in ("floor", "chat"):
        print(f"… warm-up: {target}, 10 closed-loop users, {seconds / 2:g} s", flush=True)
        r = await run_cell(target, 10, seconds / 2, 0.0)
        print(
            f"  p50 {r['p50_ms']} ms  p95 {phases.cell(r['p95_ms'])} ms  (not measured)", flush=True
        )


async def main_async(
    levels: list[int], seconds: float, think: float, saturation: int, warmup: float
) -> None:
    load_before = round(os.getloadavg()[0], 2)
    if warmup > 0:
        await warm_up(warmup)
    cells = [(c, think) for c in levels] + ([(saturation, 0.0)] if saturation else [])
    results = []
    for concurrency, think_s in cells:
        for target in ("floor", "chat"):
            print(
                f"… {target}: {concurrency} concurrent, think {think_s:g} s, {seconds:g} s",
                flush=True,
            )
            r = await run_cell(target, concurrency, seconds, think_s)
            results.append(r)
            print(
                f"  n {r['requests']}  p50 {r['p50_ms']} ms  p95 {phases.cell(r['p95_ms'])} ms  "
                f"p99 {phases.cell(r['p99_ms'])} ms  {r['throughput_rps']} req/s  "
                f"errors {r['errors']}",
                flush=True,
            )
    out = {
        "machine": describe(),
        "load_average_1min": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        "message_seed": MESSAGE_SEED,
        "warmup_s": warmup,
        "seconds_per_cell": seconds,
        "think_s": think,
        "results": results,
    }
    report = render(out)
    print("\n" + report)
    where = ROOT / "benchmarks" / "results"
    where.mkdir(exist_ok=True)
    (where / "chat_turns.json").write_text(json.dumps(out, indent=2) + "\n")
    (where / "chat_turns.md").write_text(report)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--levels", default="1,10,50", help="concurrent users of each level, comma-separated"
    )
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="seconds measured at each level"
    )
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    parser.add_argument("--saturation", type=int, default=10, help="closed-loop users (0: skip)")
    parser.add_argument(
        "--warmup", type=float, default=20.0, help="seconds of load first, not measured (0: none)"
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    asyncio.run(main_async(levels, args.seconds, args.think, args.saturation, args.warmup))


if __name__ == "__main__":
    main()
