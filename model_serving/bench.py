"""Predict latency of the persona model, in-process and through the HTTP server.

    python -m model_serving.bench [--url http://127.0.0.1:8081/predict] [--seconds 1]

In-process times `Predictor(instances)` (validation, encoder, heads, response dicts); over HTTP
it times one POST round trip on a kept-alive connection (JSON both ways), against a server it
starts on a free port with this interpreter, or against --url. Messages are held-out corpus
texts, so lengths are realistic. Writes benchmarks/results/predict.json and predict.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from model_serving import split
from model_serving.check_corpus import load
from model_serving.predictor import Predictor

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BATCHES = (1, 8, 32, 64)
ROUNDS = {1: 400, 8: 60, 32: 20, 64: 12}


def texts_for_bench() -> list[str]:
    records, _ = load(split.corpus_paths())
    _, heldout, _ = split.partition(records)
    heldout.sort(key=lambda r: split.key(r["text"]))
    return [r["text"] for r in heldout]


def batches(texts: list[str], size: int, rounds: int) -> list[list[dict]]:
    """`rounds` different batches, cycling through the texts."""
    out, pos = [], 0
    for _ in range(rounds):
        out.append([{"text": texts[(pos + i) % len(texts)]} for i in range(size)])
        pos += size
    return out


def summarise(seconds: list[float], size: int) -> dict[str, float]:
    ms = np.array(seconds) * 1e3
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
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


def bench_http(url: str, texts: list[str], scale: float) -> dict[str, dict]:
    parts = urlsplit(url)
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


def start_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "AIP_HTTP_PORT": str(port),
        "AIP_HEALTH_ROUTE": "/health",
        "AIP_PREDICT_ROUTE": "/predict",
    }
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


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "predict.json").write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    lines = [
        "# Persona model predict latency",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m.get('memory_gib')} GiB, Python "
        f"{m['python']}; {m['date']}. Model {results['model_version']} (int8 MiniLM encoder "
        f"in onnxruntime with {results['intra_op_threads']} intra-op threads, numpy heads). "
        "Messages are held-out corpus texts (median 20 words). HTTP: the model server "
        "(uvicorn with httptools and uvloop), one kept-alive connection, one request at a "
        "time, client and server on the same 2 cores. Load "
        f"average (1 min) {results['load_average_1min_before']} before, "
        f"{results['load_average_1min_after']} after: other work on the machine inflates "
        "the tails.",
        "",
        "| path | batch | requests | p50 ms | p95 ms | p99 ms | ms/message (p50) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for path in ("in_process", "http"):
        for size, s in results[path].items():
            lines.append(
                f"| {path.replace('_', '-')} | {size} | {s['n']} | {s['p50_ms']} | "
                f"{s['p95_ms']} | {s['p99_ms']} | {s['ms_per_message_p50']} |"
            )
    one = results["http"]["1"]["p95_ms"]
    verdict = "met" if one <= 10 else "missed"
    lines += [
        "",
        f"Target: one-message predict p95 <= 10 ms through the local server: {one} ms, {verdict}.",
        "",
    ]
    (RESULTS / "predict.md").write_text("\n".join(lines))
    print(f"wrote {RESULTS / 'predict.json'} and predict.md")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_serving.bench")
    parser.add_argument("--url", help="a running server's predict URL (default: start one)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the request counts")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from benchmarks.machine import describe

    texts = texts_for_bench()
    predictor = Predictor()
    predictor.load()
    print(f"model {predictor.version}, {len(texts)} held-out texts", flush=True)
    results: dict[str, Any] = {
        "machine": describe(),
        "model_version": predictor.version,
        "intra_op_threads": int(os.environ.get("MODEL_INTRA_OP_THREADS", "2")),
        "load_average_1min_before": round(os.getloadavg()[0], 2),
        "in_process": bench_inprocess(predictor, texts, args.scale),
    }
    del predictor  # the server gets the cores to itself
    proc = None
    url = args.url
    if not url:
        proc, url = start_server()
    try:
        results["http"] = bench_http(url, texts, args.scale)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=10)
    results["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
