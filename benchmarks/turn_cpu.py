"""The CPU our own code spends on a chat turn, in-process, without the stack: the whole service
path (the offline analysis, the ranking, the reply template, the vet, the stored turn and its
events) over in-memory stores (tests/fakes/turns.py), in sessions of 10 turns.

No emulator, model server or network is involved, so the figure is what a turn costs the chat
function's process beyond its clients' calls, and it stays steady on a shared machine (CPU
time, not wall time). Messages are the labelled corpus's non-crisis texts, as the chat
benchmark's users write them, in a fixed order (`--seed`), so two checkouts compare on the same
turns. `--profile N` prints the N functions with the most cumulative time instead.

    .venv/bin/python -m benchmarks.turn_cpu --turns 2000
    .venv/bin/python -m benchmarks.turn_cpu --turns 500 --profile 25"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from datetime import timedelta
from typing import Any

from benchmarks.machine import describe
from benchmarks.stats import pct
from common.chat import service
from common.chat.models import TurnCreate
from model_serving import split
from tests.fakes.turns import NOW, MemoryStore, turn_ports

TURNS_PER_SESSION = 10
WARMUP_TURNS = 100  # first calls fill the caches and compile lazily: not a turn's cost


def messages(n: int, seed: int) -> list[str]:
    """n non-crisis corpus texts in an order fixed by `seed`."""
    texts = [r["text"] for r in split.ordinary_records()]
    random.Random(seed).shuffle(texts)
    return texts[:n]


class InlineExecutor:
    """Runs the analysis on the calling thread, so that a profile (one thread's) sees it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        done: Future = Future()
        done.set_result(fn(*args))
        return done


def cpu_ms_per_turn(texts: list[str]) -> list[float]:
    """This process's CPU time (all threads: the analysis runs on its own) for each turn,
    TURNS_PER_SESSION turns to a session, a minute apart. The ports are made once, as the chat
    function's are (it reads its settings once per instance)."""
    ports = turn_ports(MemoryStore())
    spent = []
    for start in range(0, len(texts), TURNS_PER_SESSION):
        ports["store"] = MemoryStore()
        session_id = None
        for i, text in enumerate(texts[start : start + TURNS_PER_SESSION]):
            body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=text, session_id=session_id)
            before = time.process_time()
            response, _ = service.take_turn(
                uid=f"bench-{start}", body=body, **ports, now=NOW + timedelta(minutes=i)
            )
            spent.append((time.process_time() - before) * 1000)
            session_id = response["session_id"]
    return spent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)

    cpu_ms_per_turn(messages(WARMUP_TURNS, seed=args.seed + 1))
    texts = messages(args.turns, args.seed)
    if args.profile:
        service._ANALYSIS = InlineExecutor()  # type: ignore[assignment]
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(cpu_ms_per_turn, texts)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
        return
    spent = cpu_ms_per_turn(texts)
    m = describe()
    print(
        f"{m['date']} · {m['cpu']} · {m['cores']} cores · Python {m['python']}; load average "
        f"{[round(x, 2) for x in os.getloadavg()]}"
    )
    print(
        f"{len(spent)} turns, sessions of {TURNS_PER_SESSION}: CPU ms per turn "
        f"p50 {pct(spent, 0.5):.2f}, p95 {pct(spent, 0.95):.2f}, "
        f"mean {sum(spent) / len(spent):.2f}"
    )


if __name__ == "__main__":
    main()
