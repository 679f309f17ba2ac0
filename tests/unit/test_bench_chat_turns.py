"""The chat-turn benchmark says when the chat function's prediction cache, not the model, answered
its turns (a rerun on a kept stack within the cache's 300 s), draws its message order per run,
and records the machine's load around the run."""

from __future__ import annotations

import asyncio
import inspect

import httpx

from benchmarks import chat_turns


def test_the_cache_counters_between_two_readings():
    before = {"hits": 10, "misses": 5, "size": 15}
    assert chat_turns.cache_delta(before, {"hits": 47, "misses": 368}) == {
        "hits": 37,
        "lookups": 400,
    }
    # the chat function restarted in between (its counters start again), or one was not read
    assert chat_turns.cache_delta(before, {"hits": 3, "misses": 400}) is None
    assert (
        chat_turns.cache_delta(None, before) is None
        and chat_turns.cache_delta(before, None) is None
    )


def _read(response: httpx.Response) -> dict | None:
    async def go() -> dict | None:
        transport = httpx.MockTransport(lambda request: response)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            return await chat_turns.cache_counters(client)

    return asyncio.run(go())


def test_the_counters_come_from_the_chat_functions_healthz_even_when_degraded():
    cache = {"hits": 3, "misses": 9}
    report = {"status": "degraded", "dependencies": {"persona_model": {"ok": True, "cache": cache}}}
    assert _read(httpx.Response(200, json={**report, "status": "ok"})) == cache
    assert _read(httpx.Response(503, json=report)) == cache
    assert _read(httpx.Response(502, text="bad gateway")) is None
    assert _read(httpx.Response(200, json={"dependencies": {}})) is None


def _row(target: str, cache: dict | None) -> dict:
    return {
        "target": target,
        "concurrency": 10,
        "think_s": 1.0,
        "requests": 400,
        "errors": 0,
        "p50_ms": 30.0,
        "p95_ms": 60.0,
        "p99_ms": 90.0,
        "throughput_rps": 9.5,
        "model_fallbacks": 0 if target == "chat" else None,
        "model_cache": cache,
        "phases": {},
    }


def test_the_table_shows_the_cache_hits_of_each_chat_row_and_says_what_they_mean():
    lines = chat_turns._table([_row("floor", None), _row("chat", {"hits": 37, "lookups": 400})])
    assert lines[0].endswith("| turns the baseline read | model cache hits |")
    assert lines[2].endswith("|  |  |  |")  # the floor asks no model
    assert lines[3].endswith("| 1.00× | 0 | 37 of 400 |")
    assert "(cache)" in lines[-1] and "left the model out" in lines[-1]
    clean = chat_turns._table([_row("floor", None), _row("chat", {"hits": 0, "lookups": 400})])
    assert not any("(cache)" in line for line in clean)
    unread = chat_turns._table([_row("chat", None)])
    assert unread[2].endswith("| 0 | ? |")


def test_the_message_order_is_drawn_per_run_and_recorded_with_the_load_average():
    default = inspect.signature(chat_turns.messages.__wrapped__).parameters["seed"].default
    assert default == chat_turns.MESSAGE_SEED  # not one fixed order for every run
    out = {
        "machine": {"cpu": "c", "cores": 2, "memory_gib": 1, "python": "3", "date": "d"},
        "load_average_1min": {"before": 0.53, "after": 1.46},
        "message_seed": 12345,
        "warmup_s": 20.0,
        "seconds_per_cell": 20.0,
        "think_s": 1.0,
        "results": [_row("floor", None), _row("chat", {"hits": 0, "lookups": 400})],
    }
    text = chat_turns.render(out)
    assert "Load average (1 min) 0.53 before, 1.46 after" in text
    assert "seed 12345" in text and "| 0 of 400 |" in text
