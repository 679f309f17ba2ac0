"""The predict benchmark measures and names the server configuration the target is about (the
local stack's) beside the Vertex AI container's defaults, and shows a p95 or p99 only from
enough requests."""

from __future__ import annotations

import pytest

from model_serving import bench
from scripts import stack


def test_the_local_configuration_is_the_stacks_own():
    configs = bench.server_configurations()
    model_env = stack.BY_NAME["model"].env
    assert configs[bench.LOCAL] == {
        k: v for k, v in model_env.items() if k.startswith("MODEL_INTRA_OP_")
    }
    assert configs[bench.LOCAL]  # the stack does set them (else both rows would be the same)
    assert configs[bench.VERTEX] == {}
    assert bench.threading_of(configs[bench.VERTEX]) == {"intra_op_threads": 2, "spinning": True}


def test_each_server_gets_its_own_threading_not_this_process(monkeypatch):
    monkeypatch.setenv("MODEL_INTRA_OP_THREADS", "4")
    monkeypatch.setenv("MODEL_INTRA_OP_SPINNING", "0")
    vertex = bench.server_env({}, 9999)
    assert "MODEL_INTRA_OP_THREADS" not in vertex and "MODEL_INTRA_OP_SPINNING" not in vertex
    assert vertex["AIP_HTTP_PORT"] == "9999" and vertex["AIP_PREDICT_ROUTE"] == "/predict"
    local = bench.server_env({"MODEL_INTRA_OP_THREADS": "1"}, 9999)
    assert local["MODEL_INTRA_OP_THREADS"] == "1" and "MODEL_INTRA_OP_SPINNING" not in local


def test_tails_need_enough_requests():
    assert bench.summarise([0.001] * 12, 64)["p95_ms"] is None
    twenty = bench.summarise([0.001 * i for i in range(1, 21)], 32)
    assert (twenty["n"], twenty["p95_ms"], twenty["p99_ms"]) == (20, 19.05, None)
    assert bench.summarise([0.001] * 400, 1)["p99_ms"] == 1.0


def _run(path: str, threads: int | None, spinning: bool | None, p95: float | None) -> dict:
    one = {"n": 400, "p50_ms": 5.0, "p95_ms": p95, "p99_ms": 14.0, "ms_per_message_p50": 5.0}
    few = {"n": 12, "p50_ms": 400.0, "p95_ms": None, "p99_ms": None, "ms_per_message_p50": 6.2}
    return {
        "path": path,
        "intra_op_threads": threads,
        "spinning": spinning,
        "batches": {"1": one, "64": few},
    }


def _results(*runs: dict) -> dict:
    return {
        "machine": {"cpu": "c", "cores": 2, "memory_gib": 1, "python": "3", "date": "d"},
        "model_version": "pm-x",
        "load_average_1min_before": 0.5,
        "load_average_1min_after": 0.9,
        "runs": list(runs),
    }


def test_the_report_names_the_configuration_of_each_row_and_verdict():
    text = bench.render(
        _results(
            _run("in-process", 2, True, 9.0),
            _run(bench.LOCAL, 1, False, 9.5),
            _run(bench.VERTEX, 2, True, 13.1),
        )
    )
    assert (
        "| HTTP, local stack | 1 thread, no spinning | 1 | 400 | 5.0 | 9.5 | 14.0 | 5.0 |" in text
    )
    assert "| HTTP, Vertex AI defaults | 2 threads, spinning | 64 | 12 | 400.0 | – | – |" in text
    assert "too few samples for that percentile" in text
    assert (
        "- HTTP, local stack (the configuration the target names), 1 thread, no spinning: "
        "9.5 ms, met." in text
    )
    assert "- HTTP, Vertex AI defaults, 2 threads, spinning: 13.1 ms, missed." in text
    assert "in-process, " not in text.split("Target:")[1]  # no verdict for in-process


def test_a_server_given_by_url_is_reported_as_it_was_started():
    text = bench.render(_results(_run("HTTP, http://127.0.0.1:8081/predict", None, None, 8.0)))
    assert "- HTTP, http://127.0.0.1:8081/predict, as the server was started: 8.0 ms, met." in text


@pytest.mark.parametrize("url", ["localhost:8081/predict", "https://example.com/predict"])
def test_a_url_the_plain_http_client_cannot_reach_is_a_usage_error(url, capsys):
    # Not a traceback after the in-process runs, nor a TLS endpoint asked in plain HTTP.
    with pytest.raises(SystemExit) as e:
        bench.main(["--url", url])
    assert e.value.code == 2 and "http://" in capsys.readouterr().err
