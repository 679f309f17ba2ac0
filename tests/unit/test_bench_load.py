"""The load benchmark's own arithmetic and report: CPU across restarts, each turn's wait from its
first attempt to its acknowledgement, and what the report says its figures are."""

from __future__ import annotations

import argparse
import asyncio
import itertools
from collections import defaultdict

import httpx

from benchmarks import faults, load
from benchmarks.load_report import render, summarise


def test_cpu_is_added_up_process_by_process_across_a_restart():
    # pid 100 runs 50 -> 52 s of CPU, the service restarts, its new process 200 uses 7 s
    samples = [{100: 50.0, 101: 1.0}, {100: 52.0, 101: 1.5}, {200: 3.0}, {200: 7.0}]
    # the old formula (last total - first total) said max(0, 7 - 51) = 0
    assert load.cpu_used(samples) == 2.0 + 0.5 + 7.0


def test_cpu_of_a_reused_pid_counts_from_zero():
    assert load.cpu_used([{100: 40.0}, {100: 41.0}, {100: 2.0}]) == 1.0 + 2.0
    assert load.cpu_used([{100: 40.0}]) == 0.0


def _run(**args) -> load.Run:
    defaults = {"duration": 10.0, "give_up": 30.0, "think": 12.0, "think_floor": 3.0, "ramp": 0}
    return load.Run(argparse.Namespace(**{**defaults, **args}))


def test_a_turn_records_its_wait_from_the_first_attempt_to_the_acknowledgement(monkeypatch):
    monkeypatch.setattr(load, "messages", lambda: itertools.repeat("hello"))
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "0"}, json={"error": {"code": "x"}}),
            httpx.Response(
                201,
                json={"session_id": "s", "turn_id": "t", "turn_index": 0, "degraded": []},
            ),
        ]
    )

    def answer(request: httpx.Request) -> httpx.Response:
        return next(answers)

    async def take() -> dict | None:
        transport = httpx.MockTransport(answer)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            return await load.User(run, client, load.random.Random(1)).take_turn(None)

    run = _run()
    turn = asyncio.run(take())
    assert turn["attempts"] == 2
    attempts = [s for s in run.samples if s.op == "turn"]
    assert [s.status for s in attempts] == ["503", "201"]
    assert turn["acknowledged_ms"] >= sum(s.ms for s in attempts) - 0.1
    assert run.ledger.turns[next(iter(run.ledger.turns))] is turn


def _turn(t: float, ms: float, attempts: int) -> dict:
    return {"t": t, "acknowledged_ms": ms, "attempts": attempts, "degraded": []}


def _faulty_run() -> tuple[load.Run, list[faults.Window]]:
    run = _run(faults=True)
    for i in range(30):  # 30 successful turn attempts of 10-39 ms, one failed one
        run.samples.append(load.Sample(t=float(i), op="turn", status="201", ms=10.0 + i))
    run.samples.append(load.Sample(t=5.0, op="turn", status="503", ms=2.0))
    run.ledger.turns = {f"c{i}": _turn(float(i), 10.0 + i, 1) for i in range(29)}
    run.ledger.turns["slow"] = _turn(5.0, 4000.0, 2)  # the 503, a retry wait, then the 201
    run.ledger.gave_up = [{"client_turn_id": "lost"}]
    return run, [faults.Window(service="model", down_at=4.0, healthy_at=6.0)]


def test_the_summary_reports_turns_as_their_users_waited_for_them():
    run, windows = _faulty_run()
    turn = summarise(run, windows)["operations"]["turn"]
    assert (turn["attempts"], turn["ok"], turn["n"]) == (31, 30, 30)
    assert turn["max_ms"] == 39.0  # per attempt: the retry's wait is in no attempt
    ack = turn["acknowledged"]
    assert (ack["n"], ack["retried"], ack["given_up"], ack["max_ms"]) == (30, 1, 1, 4000.0)
    assert ack["p99_ms"] is None  # 30 turns carry no p99
    # turns 4, 5 (both) and 6 overlapped the window
    assert ack["outside_fault_windows"]["n"] == 30 - 4


def _out(run: load.Run, windows: list[faults.Window]) -> dict:
    return {
        "machine": {"date": "d", "cpu": "c", "cores": 2, "memory_gib": 1, "python": "3"},
        "args": {**vars(run.args), "users": 1, "feedback_share": 0.3, "sync_share": 0.25},
        "summary": summarise(run, windows),
        "warmup": None,
        "faults": faults.as_dicts(windows),
        "outbox_left": 0,
        # the counts after the load are not what these tests are about: zeros
        "firestore": defaultdict(int),
        "analytics": defaultdict(int, complete=True),
        "views": defaultdict(int),
        "load_average": {"mean_1min": 1.0, "max_1min": 2.0},
        "memory_mib": {"model": {"peak": 100.0, "end": 90.0}},
        "measured_s": run.measured_s,
        "cpu_cores": {"model": 0.1},
        "plot": "load.png",
    }


def test_the_report_says_which_figures_are_per_attempt_and_which_per_turn():
    run, windows = _faulty_run()
    text = render(_out(run, windows))
    assert "Every attempt counts" not in text
    assert "the latency columns are of the successful attempts" in text
    assert "| turn | 31 | 30 |" in text
    assert "| all acknowledged | 30 |" in text and "| 4000.0 |" in text
    assert "| overlapping no fault window | 26 |" in text
    assert "1 of them after more than one attempt; 1 never acknowledged" in text
    assert "Chat turn p95 outside the fault windows (per successful attempt)" in text
    # the operations with no samples, and the 30 turns' p99, are shown as withheld
    assert "| feedback | 0 | 0 |" in text and "| – | – |" in text
    assert "too few samples for that percentile" in text


def test_rates_and_cpu_are_over_one_span_that_reaches_the_last_request():
    # 10 s of load; users finish what they began until 12.5 s, when the sampler's span ends
    run = _run(duration=10.0)
    for i in range(25):  # a turn every 0.5 s, the last ones after the deadline
        run.samples.append(load.Sample(t=i * 0.5, op="turn", status="201", ms=10.0))
    run.measured_s = 12.5
    chat = [{1: 0.0}, {1: 2.5}]  # 2.5 CPU seconds over the span: 0.1 s a turn
    cores = load.cpu_cores({"fn-chat": chat}, run.measured_s)["fn-chat"]
    ok_per_s = summarise(run, [])["operations"]["turn"]["ok_per_s"]
    assert ok_per_s == 2.0  # 25 turns / 12.5 s (the old 25 / 10 s said 2.5)
    assert cores / ok_per_s == 0.1  # CPU per turn, as CAPACITY.md divides them


def test_the_stack_total_leaves_the_load_generator_out():
    run, windows = _faulty_run()
    out = _out(run, windows)
    out["memory_mib"]["load generator"] = {"peak": 50.0, "end": 50.0}
    out["cpu_cores"] = {"model": 0.1, "gateway": 0.25, "load generator": 0.5}
    text = render(out)
    assert "| load generator | 50.0 | 50.0 | 0.5 |" in text
    assert "| **the stack** (all but the load generator) | | | 0.35 |" in text
    assert "Rates (ok/s) and CPU are over the 10 s measured" in text
