"""Cold start of each function, the part we control: in a fresh process (median of 5) that
finds only the packages production installs (`benchmarks/production_packages.py`), the time
to import the function (functions-framework's `create_app` on its main.py, as the runtime loads
it) and the time of its first request (a real request of that function through the app's test
client against the local stack's emulators: a chat turn, a rating, a profile read, a push of a
Pub/Sub event ...; the first request creates the cloud clients the import deferred), then a
second request (warm) for comparison. Without a running stack only the import is measured.

    scripts/with_stack.sh .venv/bin/python -m benchmarks.import_time     (`make bench` runs it)

Target: <= 1,000 ms of cold start (import and first request: what a request that starts an
instance waits for, our part of it) for every HTTP function. Import alone was the target until
2026-12-05, and it rewarded moving work into the first request. Prints a table and writes
benchmarks/results/import_time.{json,md}."""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from benchmarks.machine import describe
from benchmarks.production_packages import hide_others

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
TARGET_COLD_START_MS = 1000  # import + first request
PROBE = """
import json, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
import functions_framework
app = functions_framework.create_app({target!r}, {path!r})
t1 = time.perf_counter()
out = {{"import_ms": (t1 - t0) * 1000, "requests": []}}
client = app.test_client()
for req in json.loads({requests!r}):
    started = time.perf_counter()
    r = client.open(req["path"], method=req["method"], json=req.get("json"),
                    headers=req.get("headers") or {{}})
    out["requests"].append({{"ms": (time.perf_counter() - started) * 1000,
                            "status": r.status_code}})
print(json.dumps(out))
"""

# What a worker's first full collection copies of the pages it shares with the process that
# imported the function and forked it, as gunicorn does (Private_Dirty, Linux).
COPIED_PROBE = """
import gc, json, os, sys
sys.path.insert(0, {root!r})
import functions_framework
functions_framework.create_app({target!r}, {path!r})
def dirty():
    return next(int(l.split()[1]) for l in open("/proc/self/smaps_rollup")
                if l.startswith("Private_Dirty"))
r, w = os.pipe()
if os.fork() == 0:
    before = dirty()
    gc.collect()
    os.write(w, json.dumps((dirty() - before) / 1024).encode())
    os._exit(0)
os.close(w)
print(os.read(r, 100).decode())
"""
# The numpy warm-up's thread (common/warmup.py) would add its import to the worker's figure.
COPIED_CONFIG = {"PERSONALIZATION_POLICY": "static"}

# Production's chat configuration (terraform/stack: Gemini replies), import only: its import
# adds google-genai's (common/warmup.py; no network), and its first turn would call Gemini.
GEMINI_ROW = "functions/chat (gemini)"

# What configuration the figures are of (the probe's environment: this one with the local
# stack's EMULATOR_ENV over it, and a row's own configuration over that; `make bench` sets
# neither RESPONSE_GENERATOR nor MODEL_GOOGLE_AUTH).
CONFIGURATION = (
    "Configuration measured: `common.config.Settings` defaults under the local stack's "
    "environment (`scripts.stack.EMULATOR_ENV`): the template reply generator "
    "(`RESPONSE_GENERATOR` unset) and no Vertex AI authentication (`MODEL_GOOGLE_AUTH` unset, "
    "so no token). Production's chat function (`terraform/stack`: Gemini replies by default, "
    "`MODEL_GOOGLE_AUTH=true`) also imports the Gemini SDK at import: the row "
    f"`{GEMINI_ROW}` (`RESPONSE_GENERATOR=gemini`, import only: its first turn would call "
    "Gemini). It also makes the Gemini client and fetches the Vertex AI token; that work starts "
    "in the worker gunicorn forks after the import "
    "(`common/prefork.py`), which this probe does not measure: it serves its requests with the "
    "app's test client in the process that imported it, with no fork. The chat function loads "
    "its libraries and data at import (`common/warmup.py`), before gunicorn listens: an instance "
    "started ahead of its first request (a minimum instance) has paid that part before anyone "
    "asks. Against the Auth emulator firebase-admin fetches no public keys and no token; in "
    "production the first request also does. The chat probe's first turn is a new user's, "
    "whom the static router ranks: a learned policy's first choice also imports numpy "
    "(130-210 ms, measured once by hand), which a deployed worker loads on a thread of its own "
    "as it starts (`common/warmup.py`)."
)

Request = dict
Maker = Callable[[], list[Request]]  # the first and the second (warm) request of one process


def _push(topic: str, envelope: dict) -> Request:
    """A Pub/Sub push as the emulator sends it to an event-driven function."""
    return {
        "method": "POST",
        "path": f"/projects/demo-ion/topics/{topic}",
        "json": {
            "message": {
                "data": base64.b64encode(json.dumps(envelope).encode()).decode(),
                "attributes": {
                    "event_id": envelope.get("event_id", ""),
                    "type": envelope["type"],
                    "subject": envelope.get("user_key", ""),
                },
                "messageId": str(uuid.uuid4().int)[:16],
                "publishTime": "2026-11-22T10:00:00.000Z",
            },
            "subscription": f"projects/demo-ion/subscriptions/{topic}-import-time",
        },
    }


def _feedback_event() -> dict:
    subject = uuid.uuid4().hex
    return {
        "event_id": str(uuid.uuid4()),
        "type": "feedback.submitted",
        "schema_version": 1,
        "occurred_at": "2026-11-22T10:00:00+00:00",
        "user_key": subject,
        "session_id": uuid.uuid4().hex,
        "data": {
            "turn_id": uuid.uuid4().hex,
            "persona": "elro",
            "rating": 5,
            "reward": 1.0,
            "previous_reward": None,
            "tone": "curious",
            "intent": "learning",
        },
    }


def request_makers() -> dict[str, Maker]:
    """What the first request of each function is (needs the stack: users from the Auth
    emulator, a stored turn to rate)."""
    import httpx

    from scripts.auth_emulator import set_claims, sign_in, sign_up
    from scripts.stack import GATEWAY_URL

    def auth(user) -> dict:
        return {"Authorization": f"Bearer {user.id_token}"}

    def turn(message: str) -> Request:
        body = {"client_turn_id": uuid.uuid4().hex, "message": message}
        return {"method": "POST", "path": "/v2/chat/turns", "json": body}

    def chat() -> list[Request]:
        h = auth(sign_up())
        return [
            {**turn("My tests keep failing and the demo is tomorrow"), "headers": h},
            {**turn("I tried clearing the cache but that didn't work"), "headers": h},
        ]

    def feedback() -> list[Request]:
        user = sign_up()
        stored = httpx.post(
            f"{GATEWAY_URL}/v2/chat/turns",
            json={"client_turn_id": uuid.uuid4().hex, "message": "How do I plan my week?"},
            headers=auth(user),
            timeout=30,
        ).json()
        body = {"turn_id": stored["turn_id"], "session_id": stored["session_id"]}
        return [
            {"method": "POST", "path": "/v2/feedback", "json": {**body, "rating": r},
             "headers": auth(user)}
            for r in ("up", "down")
        ]  # fmt: skip

    def get(path: str, user_fn=sign_up) -> Maker:
        def make() -> list[Request]:
            h = auth(user_fn())
            return [{"method": "GET", "path": path, "headers": h}] * 2

        return make

    def operator():
        user = sign_up()
        set_claims(user.uid, {"role": "operator"})
        return sign_in(user.email)

    def devices() -> list[Request]:
        h = auth(sign_up())
        return [
            {"method": "POST", "path": "/v2/devices", "headers": h,
             "json": {"token": f"import-time-{uuid.uuid4().hex}", "platform": "android"}}
            for _ in range(2)
        ]  # fmt: skip

    def job(body: dict) -> Maker:
        return lambda: [{"method": "POST", "path": "/", "json": body}] * 2

    def floor() -> list[Request]:
        h = auth(sign_up())
        return [{"method": "POST", "path": "/_bench/floor", "json": {}, "headers": h}] * 2

    release = {"type": "notification.release_due"}
    return {
        "functions/chat": chat,
        "functions/feedback": feedback,
        "functions/profile": get("/v2/profile"),
        "functions/devices": devices,
        "functions/insights": get("/v2/insights/metrics", operator),
        "functions/outbox_relay": job({}),
        "functions/session_cleanup": job({}),
        "functions/notification_producers": job({"producer": "reengagement"}),
        "functions/analytics_sink": lambda: [_push("events", _feedback_event()) for _ in "12"],
        "functions/profile_updater": lambda: [_push("events", _feedback_event()) for _ in "12"],
        "functions/push_sender": lambda: [_push("notifications", release)] * 2,
        "benchmarks/floor": floor,
    }


# Bytecode kept between the probes, as the Cloud Functions build compiles it (`compileall`):
# with PYTHONDONTWRITEBYTECODE (set in some shells) every probe compiled every module, which
# doubled the figures.
PYCACHE = Path(tempfile.gettempdir()) / "ion-import-time-pycache"


def probe(path: Path, requests: list[Request], config: dict[str, str] | None = None) -> dict:
    """One fresh process: the import of `path` and its `requests`, under the stack's
    environment with `config` over it."""
    code = PROBE.format(
        root=str(ROOT), target=_target(path), path=str(path), requests=json.dumps(requests)
    )
    res = _run(code, config)
    out = json.loads(res.stdout.strip().splitlines()[-1])
    if any(r["status"] >= 500 for r in out["requests"]):  # the table says 500: the log says why
        print(f"{path}: a request failed; its log:\n{res.stderr[-4000:]}", file=sys.stderr)
    return out


def copied_mb(path: Path, config: dict[str, str] | None = None) -> float:
    """MB a forked worker's first full collection copies (COPIED_PROBE), in one process."""
    code = COPIED_PROBE.format(root=str(ROOT), target=_target(path), path=str(path))
    res = _run(code, {**(config or {}), **COPIED_CONFIG})
    return round(json.loads(res.stdout.strip().splitlines()[-1]), 1)


def _run(code: str, config: dict[str, str] | None) -> subprocess.CompletedProcess:
    """`code` in a fresh process that finds only what production installs, in the stack's
    environment with `config` over it."""
    from scripts.stack import EMULATOR_ENV

    code = hide_others() + code

    env = {**os.environ, **EMULATOR_ENV, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    env.update(config or {})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )


def targets() -> list[tuple[str, Path, dict[str, str]]]:
    """The table's rows: name, main.py and the configuration over the stack's environment."""
    paths = sorted(ROOT.glob("functions/*/main.py")) + [ROOT / "benchmarks/floor/main.py"]
    rows: list[tuple[str, Path, dict[str, str]]] = [
        (str(p.parent.relative_to(ROOT)), p, {}) for p in paths
    ]
    chat = next(i for i, (name, _, _) in enumerate(rows) if name == "functions/chat")
    rows.insert(chat + 1, (GEMINI_ROW, rows[chat][1], {"RESPONSE_GENERATOR": "gemini"}))
    return rows


def _target(path: Path) -> str:
    return "floor" if path.parent.name == "floor" else path.parent.name


def _is_http(path: Path) -> bool:
    return "@functions_framework.http" in path.read_text()


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def render(out: dict) -> str:
    m = out["machine"]
    lines = [
        "# Cold start: import and first request of each function",
        "",
        f"{m['date']} · {m['cpu']} · {m['cores']} cores · Python {m['python']}; median of "
        f"{out['runs']} fresh processes each; load average before {out['load_average']} "
        "(1, 5, 15 min, a machine others share). Import: functions-framework's `create_app` "
        "on the function's main.py, its bytecode compiled by an unmeasured run first (as the "
        "Cloud Functions build compiles it), with only the packages production installs in "
        "sight (requirements.txt and what it requires: `benchmarks/production_packages.py` "
        "hides the rest of the dev venv, such as pyarrow, which BigQuery's client imports when "
        "it finds it). First request: one real request through the app's "
        "test client against the local emulators (it creates the clients the import deferred); "
        "warm: the same kind of request right after. Cold start: each run's import and first "
        "request. Copied MB: what a worker's first full collection copies of the pages it "
        "shares with the process that imported the function and forked it, as gunicorn does "
        "(Private_Dirty before and after `gc.collect()`, one fork; `PERSONALIZATION_POLICY="
        "static`, so that no numpy import adds to it); chat freezes its import's objects before "
        "the fork (`common/prefork.py`).",
        "",
        CONFIGURATION,
        "",
        "| function | kind | import ms | first request ms | cold start ms | warm request ms | "
        f"status | cold start <= {TARGET_COLD_START_MS} ms | copied MB |",
        "|---|---|---:|---:|---:|---:|---|---|---:|",
    ]
    for name, r in out["modules"].items():
        cold = r.get("cold_start_median_ms")
        ok = "—" if cold is None else "yes" if cold <= TARGET_COLD_START_MS else "**no**"
        lines.append(
            f"| {name} | {r['kind']} | {r['median_ms']} | {r['first_request_median_ms'] or '—'} |"
            f" {cold or '—'} | {r['warm_request_median_ms'] or '—'} | {r['status'] or '—'} | "
            f"{ok if r['kind'] == 'http' else '(' + ok + ')'} | {r.get('copied_mb', '—')} |"
        )
    if not out["stack"]:
        lines += ["", "The stack was not running: first requests were not measured."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv or [])
    from scripts.stack import is_up

    stack_up = is_up()
    makers = request_makers() if stack_up else {}
    rows = {}
    load = os.getloadavg()
    print(f"{'module':36} {'import ms':>9} {'first ms':>9} {'warm ms':>8} {'copied MB':>9}  status")
    for name, path, config in targets():
        probe(path, makers[name]() if name in makers else [], config)  # compiles, as the build does
        results = [
            probe(path, makers[name]() if name in makers else [], config) for _ in range(RUNS)
        ]
        imports = [r["import_ms"] for r in results]
        first = [r["requests"][0]["ms"] for r in results if r["requests"]]
        cold = [r["import_ms"] + r["requests"][0]["ms"] for r in results if r["requests"]]
        warm = [r["requests"][1]["ms"] for r in results if len(r["requests"]) > 1]
        statuses = sorted({str(q["status"]) for r in results for q in r["requests"]})
        rows[name] = {
            "kind": "http" if _is_http(path) else "event",
            "median_ms": _median(imports),
            "runs_ms": [round(x, 1) for x in imports],
            "first_request_median_ms": _median(first),
            "first_request_runs_ms": [round(x, 1) for x in first],
            "cold_start_median_ms": _median(cold),  # of each run's sum, not the medians' sum
            "warm_request_median_ms": _median(warm),
            "status": "/".join(statuses) or None,
            "copied_mb": copied_mb(path, config),
        }
        r = rows[name]
        print(
            f"{name:36} {r['median_ms']:9.1f} {r['first_request_median_ms'] or 0:9.1f} "
            f"{r['warm_request_median_ms'] or 0:8.1f} {r['copied_mb']:9.1f}  {r['status']}",
            flush=True,
        )
    out = {
        "machine": describe(),
        "runs": RUNS,
        "stack": stack_up,
        "load_average": [round(x, 2) for x in load],
        "modules": rows,
    }
    results_dir = ROOT / "benchmarks/results"
    (results_dir / "import_time.json").write_text(json.dumps(out, indent=2) + "\n")
    (results_dir / "import_time.md").write_text(render(out))


if __name__ == "__main__":
    main(sys.argv[1:])
