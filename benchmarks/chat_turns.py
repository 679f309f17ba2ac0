"""Chat-turn latency and throughput through the local gateway at 1, 10 and 50 concurrent
conversations, side by side with the floor (a bare function that verifies the token, runs one
Firestore transaction and publishes one event), measured in the same run so the ratio shows what
our own code costs. Needs the stack with the floor: `make bench` starts it.

Prints a table and writes benchmarks/results/chat_turns.json and .md."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path

import httpx

from benchmarks.machine import describe
from scripts.auth_emulator import sign_up

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = "http://127.0.0.1:8080"
MESSAGES = (
    "I have a deadline tomorrow and my Python tests keep failing",
    "I tried clearing the cache but that didn't work",
    "should I ask my manager for more time or push through tonight?",
    "how do I explain this delay to the client without sounding unprepared?",
    "ok I feel a bit calmer now, thanks",
    "what should I learn next month to get better at testing?",
    "honestly I'm exhausted and a bit overwhelmed by everything",
    "GOT IT WORKING!!! 🎉",
)
TURNS_PER_SESSION = 8


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def conversation(client, headers, target: str, deadline: float, lat: list, errors: list):
    session_id = None
    n = 0
    while time.perf_counter() < deadline:
        if target == "chat":
            body = {
                "session_id": session_id,
                "client_turn_id": uuid.uuid4().hex,
                "message": MESSAGES[n % len(MESSAGES)],
            }
            path = "/v2/chat/turns"
        else:
            body, path = {}, "/_bench/floor"
        t = time.perf_counter()
        try:
            r = await client.post(path, json=body, headers=headers)
            elapsed = (time.perf_counter() - t) * 1000
            if r.status_code in (200, 201):
                lat.append(elapsed)
                if target == "chat":
                    session_id = r.json()["session_id"]
            else:
                errors.append(r.status_code)
        except httpx.HTTPError as e:
            errors.append(type(e).__name__)
        n += 1
        if n % TURNS_PER_SESSION == 0:
            session_id = None


async def run_level(target: str, users, concurrency: int, seconds: float) -> dict:
    limits = httpx.Limits(
        max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5
    )
    async with httpx.AsyncClient(base_url=GATEWAY, timeout=30, limits=limits) as client:
        # Warm-up: every connection and every cache once, not measured.
        warm_lat: list[float] = []
        await asyncio.gather(
            *(
                conversation(
                    client,
                    users[i % len(users)].headers,
                    target,
                    time.perf_counter() + 1.0,
                    warm_lat,
                    [],
                )
                for i in range(concurrency)
            )
        )
        lat: list[float] = []
        errors: list = []
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(
                conversation(client, users[i % len(users)].headers, target, deadline, lat, errors)
                for i in range(concurrency)
            )
        )
        wall = time.perf_counter() - started
    return {
        "target": target,
        "concurrency": concurrency,
        "requests": len(lat),
        "errors": len(errors),
        "error_kinds": sorted({str(e) for e in errors}),
        "p50_ms": round(pct(lat, 0.50), 1),
        "p95_ms": round(pct(lat, 0.95), 1),
        "p99_ms": round(pct(lat, 0.99), 1),
        "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
        "throughput_rps": round(len(lat) / wall, 1),
    }


def render(results: list[dict], machine: dict, seconds: float) -> str:
    lines = [
        "# Chat turns through the local gateway",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Python {machine['python']}; {machine['date']}. {seconds:.0f} s per cell, closed loop "
        "(each conversation sends its next turn when the last one is answered), load generator "
        "on the same machine.",
        "",
        "| concurrency | target | requests | errors | p50 ms | p95 ms | p99 ms | req/s "
        "| p95 ratio |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    floors = {r["concurrency"]: r for r in results if r["target"] == "floor"}
    for r in results:
        ratio = ""
        if r["target"] == "chat" and r["concurrency"] in floors:
            ratio = f"{r['p95_ms'] / floors[r['concurrency']]['p95_ms']:.2f}×"
        lines.append(
            f"| {r['concurrency']} | {r['target']} | {r['requests']} | {r['errors']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['throughput_rps']} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


async def main_async(levels: list[int], seconds: float) -> None:
    users = [sign_up() for _ in range(max(levels))]
    results = []
    for c in levels:
        for target in ("floor", "chat"):
            print(f"… {target} at {c} concurrent for {seconds:.0f} s", flush=True)
            r = await run_level(target, users, c, seconds)
            results.append(r)
            print(
                f"  p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  p99 {r['p99_ms']} ms  "
                f"{r['throughput_rps']} req/s  errors {r['errors']}",
                flush=True,
            )
    machine = describe()
    table = render(results, machine, seconds)
    print()
    print(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "chat_turns.json").write_text(
        json.dumps({"machine": machine, "seconds_per_cell": seconds, "results": results}, indent=2)
        + "\n"
    )
    (out / "chat_turns.md").write_text(table)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(main_async([int(x) for x in args.levels.split(",")], args.seconds))


if __name__ == "__main__":
    main()
