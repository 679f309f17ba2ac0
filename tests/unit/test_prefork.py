"""Background work started with an instance must run in the worker gunicorn forks, not in the
functions-framework process that imported the function: checked under the real
functions-framework, as production runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
FRAMEWORK = Path(sys.executable).parent / "functions-framework"

HOLDS_A_LOCK = """
import os, threading, time
import functions_framework
from common.prefork import in_each_worker

LOCK = threading.Lock()

def warm():
    def hold():
        with LOCK:
            time.sleep(3)  # a token fetch, an import: the worker is forked meanwhile
    threading.Thread(target=hold, daemon=True).start()

if os.environ["WARM"] == "at_import":
    warm()
else:
    in_each_worker(warm)

@functions_framework.http
def handler(request):
    return "free" if LOCK.acquire(timeout=8) else "held for good"
"""

LOADS_GEMINI = """
import functions_framework
from common.prefork import in_each_worker
from common.replies.gemini import GeminiGenerator, _client

URL = "http://127.0.0.1:9/"
in_each_worker(GeminiGenerator(project="p", location="global", model="m", base_url=URL).prepare)

@functions_framework.http
def handler(request):
    return type(_client("p", "global", URL, 8000)).__name__
"""


def _serve(tmp_path: Path, source: str, **env: str) -> str:
    """Start functions-framework on `source`, make one request, stop it; the answer."""
    (tmp_path / "main.py").write_text(source)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [str(FRAMEWORK), "--source", str(tmp_path / "main.py"), "--target", "handler"]
    proc = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/", timeout=20).text
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(("warm", "answer"), [("at_import", "held for good"), ("worker", "free")])
def test_work_started_at_import_is_lost_in_the_worker_and_in_each_worker_is_not(
    tmp_path, warm, answer
) -> None:
    assert _serve(tmp_path, HOLDS_A_LOCK, WARM=warm) == answer


def test_the_gemini_warm_up_leaves_the_worker_a_whole_sdk(tmp_path) -> None:
    # Started at import, the worker got google.genai half imported ("partially initialized
    # module 'google.genai' has no attribute 'Client'") or hung on its import lock.
    assert _serve(tmp_path, LOADS_GEMINI) == "Client"
