"""A p95 or p99 is shown only from enough samples for it (20 and 100), everywhere a benchmark
prints one, with the number of samples beside it."""

from __future__ import annotations

from benchmarks import chat_turns, phases


def test_a_tail_percentile_needs_one_sample_beyond_it():
    assert phases.tail_pct([1.0] * 19, 0.95) is None  # the 19th of 19 would be the maximum
    assert phases.tail_pct(list(range(20)), 0.95) == 18.1
    assert phases.tail_pct(list(range(99)), 0.99) is None
    assert phases.tail_pct(list(range(100)), 0.99) == 98.0
    assert phases.tail_pct([], 0.95) is None
    assert phases.cell(None) == "–" and phases.cell(12.5) == "12.5"


def _cell(target: str, n: int) -> dict:
    lat = [float(i) for i in range(1, n + 1)]
    return {
        "target": target,
        "concurrency": 1,
        "think_s": 1.0,
        "requests": n,
        "errors": 0,
        "p50_ms": 1.0,
        "p95_ms": phases.tail_pct(lat, 0.95),
        "p99_ms": phases.tail_pct(lat, 0.99),
        "throughput_rps": 1.0,
        "model_fallbacks": 0 if target == "chat" else None,
        "model_cache": {"hits": 0, "lookups": n} if target == "chat" else None,
    }


def test_chat_turns_withholds_the_tails_of_a_cell_of_19_requests():
    lines = chat_turns._table([_cell("floor", 19), _cell("chat", 19)])
    assert lines[2] == "| 1 | floor | 19 | 0 | 1.0 | – | – | 1.0 |  |  |  |"
    assert lines[3] == "| 1 | chat | 19 | 0 | 1.0 | – | – | 1.0 |  | 0 | 0 of 19 |"  # no ratio
    assert "too few samples" in lines[-1] and "`requests` is the number of samples" in lines[-1]


def test_chat_turns_shows_a_p95_from_20_requests_and_a_p99_from_100():
    lines = chat_turns._table([_cell("floor", 20), _cell("chat", 100)])
    assert lines[2] == "| 1 | floor | 20 | 0 | 1.0 | 19.1 | – | 1.0 |  |  |  |"
    assert lines[3] == "| 1 | chat | 100 | 0 | 1.0 | 95.0 | 99.0 | 1.0 | 4.97× | 0 | 0 of 100 |"
    both = chat_turns._table([_cell("floor", 100), _cell("chat", 100)])
    assert not any("too few" in line for line in both)


def test_the_phase_table_of_few_requests_withholds_its_p95():
    few = phases.breakdown([(10.0 + i, {"total": 5.0 + i}) for i in range(19)])
    assert few["total"]["p95_ms"] is None
    text = "\n".join(phases.render(few))
    assert "| **total** | 14.0 | – |" in text
    assert "client's p95" not in text and "too few samples" in text
    enough = phases.breakdown([(10.0 + i, {"total": 5.0 + i}) for i in range(20)])
    assert "client's p95 of 28.1 ms" in "\n".join(phases.render(enough))
