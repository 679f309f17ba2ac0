"""Predict latency of the persona model, in-process and through the HTTP server.

    python -m model_serving.bench [--url http://127.0.0.1:8081/predict] [--scale 1]

In-process times `Predictor(instances)` (validation, encoder, heads, response dicts); over HTTP
it times one POST round trip on a kept-alive connection (JSON both ways). The server is started
on a free port with this interpreter twice, one configuration after the other: with the local
stack's encoder threading (scripts/stack.py: the server the target "through the local server"
names) and with the Vertex AI container's defaults (no MODEL_INTRA_OP_* set). With --url, only
that server is measured, as it was started. Messages are held-out corpus texts, so lengths are
realistic. A p95 or p99 is shown only from enough requests (benchmarks/phases.py: tail_pct).
Writes benchmarks/results/predict.json and predict.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from benchmarks.machine import describe
from benchmarks.phases import TOO_FEW_NOTE, cell, tail_pct
from model_serving import split
from model_serving.check_corpus import load
from model_serving.predictor import Predictor, threading_from_env

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BATCHES = (1, 8, 32, 64)
ROUNDS = {1: 400, 8: 60, 32: 20, 64: 12}
TARGET_P95_MS = 10  # one message, through the local server
THREADING = "MODEL_INTRA_OP_"  # the encoder's threading settings (model_serving/predictor.py)
LOCAL = "HTTP, local stack"  # the server configuration the target names
VERTEX = "HTTP, Vertex AI defaults"


def threading_of(env: Mapping[str, str]) -> dict:
    """The encoder's intra-op threading under env, as the Encoder reads it."""
    threads, spin = threading_from_env(env)
    return {"intra_op_threads": threads, "spinning": spin != "0"}


def server_configurations() -> dict[str, dict[str, str]]:
    """The server's configurations, each with its MODEL_INTRA_OP_* settings: the local stack's
    model server on :8081 (scripts/stack.py sets them), and the Vertex AI container (none)."""
    from scripts import stack

    local = {k: v for k, v in stack.BY_NAME["model"].env.items() if k.startswith(THREADING)}
    return {LOCAL: local, VERTEX: {}}


def texts_for_bench() -> list[str]:
    records, _ = load(split.corpus_paths())
    _, heldout, _ = split.partition(records)
    heldout.sort(key=lambda r: split.key(r["text"]))
    return [r["text"] for r in heldout]


def median_words(texts: list[str], scale: float) -> float:
    """The median word count of the texts the batches send: each batch size cycles through the
    texts from the first, the largest run of them reaching furthest."""
    sent = max(size * max(5, int(ROUNDS[size] * scale)) for size in BATCHES)
    return statistics.median(len(t.split()) for t in texts[: min(sent, len(texts))])


def batches(texts: list[str], size: int, rounds: int) -> list[list[dict]]:
    """`rounds` different batches, cycling through the texts."""
    out, pos = [], 0
    for _ in range(rounds):
        out.append([{"text": texts[(pos + i) % len(texts)]} for i in range(size)])
        pos += size
    return out


def summarise(seconds: list[float], size: int) -> dict[str, float | None]:
    ms = np.array(seconds) * 1e3
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": tail_pct(ms.tolist(), 0.95, 2),  # None: too few requests (n says how many)
        "p99_ms": tail_pct(ms.tolist(), 0.99, 2),
        "mean_ms": round(float(ms.mean()), 2),
        "ms_per_message_p50": round(float(np.percentile(ms, 50)) / size, 2),
    }


def bench_inprocess(predictor: Predictor, texts: list[str], scale: float) -> dict[str, dict]:
    out = {}
    for size in BATCHES:
        work = batches(texts, size, max(5, int(ROUNDS[size] * scale)))
        for instances in work[:3]:
            predictor(instances)  # warm-up
        seconds = []
        for instances in work:
            t0 = time.perf_counter()
            predictor(instances)
            seconds.append(time.perf_counter() - t0)
        out[str(size)] = summarise(seconds, size)
        print(f"  in-process batch {size:2}: {out[str(size)]}", flush=True)
    return out


def _plain_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and bool(parts.hostname)


def bench_http(url: str, texts: list[str], scale: float) -> dict[str, dict]:
    parts = urlsplit(url)
    if not parts.hostname:  # main refuses such a --url (_plain_http)
        raise ValueError(f"{url}: no host")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Content-Type": "application/json"}
    out = {}
    for size in BATCHES:
        work = [
            json.dumps({"instances": b}).encode()
            for b in batches(texts, size, max(5, int(ROUNDS[size] * scale)))
        ]
        seconds = []
        for i, body in enumerate(work[:3] + work):
            t0 = time.perf_counter()
            conn.request("POST", parts.path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - t0
            if response.status != 200:
                raise SystemExit(f"HTTP {response.status}: {payload[:300]!r}")
            if i >= 3:
                seconds.append(elapsed)
        out[str(size)] = summarise(seconds, size)
        print(f"  http       batch {size:2}: {out[str(size)]}", flush=True)
    conn.close()
    return out


def server_env(settings: dict[str, str], port: int) -> dict[str, str]:
    """This process's environment with the encoder's threading replaced by `settings` (none:
    the defaults), and the Vertex AI container contract on `port`."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(THREADING)},
        **settings,
        "AIP_HTTP_PORT": str(port),
        "AIP_HEALTH_ROUTE": "/health",
        "AIP_PREDICT_ROUTE": "/predict",
    }


def start_server(settings: dict[str, str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = server_env(settings, port)
    proc = subprocess.Popen(
        [sys.executable, "-m", "model_serving.server", "--host", "127.0.0.1"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc, f"http://127.0.0.1:{port}/predict"
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not become healthy")


def describe_threading(run: dict) -> str:
    if run["intra_op_threads"] is None:
        return "as the server was started"
    threads = run["intra_op_threads"]
    spinning = "spinning" if run["spinning"] else "no spinning"
    return f"{threads} thread{'s' if threads != 1 else ''}, {spinning}"


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    words = results.get("message_words_median")  # absent from results before it was recorded
    median = "" if words is None else f" (median {words:g} words)"
    lines = [
        "# Persona model predict latency",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m.get('memory_gib')} GiB, Python "
        f"{m['python']}; {m['date']}. Model {results['model_version']} (int8 MiniLM encoder "
        f"in onnxruntime, numpy heads). Messages are held-out corpus texts{median}. "
        "HTTP: the model server (uvicorn with httptools and uvloop), one kept-alive connection, "
        "one request at a time, client and server on the same cores. The server is started "
        "once per configuration, one after the other in the order of the table: "
        f"*{LOCAL}* with the local stack's settings (scripts/stack.py: the model server on "
        f":8081, which the target names), *{VERTEX}* with none set, as the Vertex AI "
        "container runs. In-process: this process's settings. Load "
        f"average (1 min) {results['load_average_1min_before']} before, "
        f"{results['load_average_1min_after']} after: other work on the machine inflates "
        "the tails.",
        "",
        "| path | intra-op threading | batch | requests | p50 ms | p95 ms | p99 ms "
        "| ms/message (p50) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        for size, s in run["batches"].items():
            lines.append(
                f"| {run['path']} | {describe_threading(run)} | {size} | {s['n']} | "
                f"{s['p50_ms']} | {cell(s['p95_ms'])} | {cell(s['p99_ms'])} | "
                f"{s['ms_per_message_p50']} |"
            )
    if any(
        None in (s["p95_ms"], s["p99_ms"]) for r in results["runs"] for s in r["batches"].values()
    ):
        lines += ["", f"{TOO_FEW_NOTE} `requests` is the number of samples."]
    lines += [
        "",
        f"Target: one-message predict p95 <= {TARGET_P95_MS} ms through the local server.",
    ]
    for run in results["runs"]:
        if run["path"] == "in-process":
            continue
        one = run["batches"]["1"]["p95_ms"]
        verdict = (
            "too few requests for a p95"
            if one is None
            else ("met" if one <= TARGET_P95_MS else "missed")
        )
        named = " (the configuration the target names)" if run["path"] == LOCAL else ""
        lines.append(
            f"- {run['path']}{named}, {describe_threading(run)}: {cell(one)} ms, {verdict}."
        )
    return "\n".join(lines + [""])


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "predict.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "predict.md").write_text(render(results))
    print(f"wrote {RESULTS / 'predict.json'} and predict.md")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_serving.bench")
    parser.add_argument("--url", help="a running server's predict URL (default: start one)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the request counts")
    args = parser.parse_args(argv)
    if args.url and not _plain_http(args.url):
        parser.error(
            f"--url {args.url}: give an http:// URL with a host (the client speaks plain HTTP)"
        )

    texts = texts_for_bench()
    predictor = Predictor()
    predictor.load()
    print(f"model {predictor.version}, {len(texts)} held-out texts", flush=True)
    results: dict[str, Any] = {
        "machine": describe(),
        "model_version": predictor.version,
        "load_average_1min_before": round(os.getloadavg()[0], 2),
        "message_words_median": median_words(texts, args.scale),
        "runs": [
            {
                "path": "in-process",
                **threading_of(os.environ),
                "batches": bench_inprocess(predictor, texts, args.scale),
            }
        ],
    }
    del predictor  # the server gets the cores to itself
    if args.url:
        results["runs"].append(
            {
                "path": f"HTTP, {args.url}",
                "intra_op_threads": None,
                "spinning": None,
                "batches": bench_http(args.url, texts, args.scale),
            }
        )
    else:
        for path, settings in server_configurations().items():
            print(f"{path}: {settings or 'no MODEL_INTRA_OP_* set'}", flush=True)
            proc, url = start_server(settings)
            try:
                batches = bench_http(url, texts, args.scale)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            results["runs"].append({"path": path, **threading_of(settings), "batches": batches})
    results["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
