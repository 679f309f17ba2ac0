"""The local stack: emulators, functions under functions-framework, the gateway and a stand-in
for Cloud Scheduler, each a detached process with its log in `.stack/logs/`.

    python -m scripts.stack up [--with-floor] [--record FILE]
                                start what is not running, return when /healthz is green
                                (FILE: the names of the services this call started)
    python -m scripts.stack down [--record FILE]
                                stop every service, or only those FILE names
    python -m scripts.stack status              one line per service
    python -m scripts.stack stop NAME / start NAME   (fault tests)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".stack"
LOGS = STATE / "logs"
PIDS = STATE / "pids"
TOOLS = ROOT / ".tools"
VENV_BIN = ROOT / ".venv" / "bin"

PROJECT = "demo-ion"
GATEWAY_URL = "http://127.0.0.1:8080"

# The environment every function sees locally: the emulators stand in for the cloud.
EMULATOR_ENV = {
    "GOOGLE_CLOUD_PROJECT": PROJECT,
    "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8086",
    "PUBSUB_EMULATOR_HOST": "127.0.0.1:8085",
    "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099",
    "BIGQUERY_EMULATOR_HOST": "127.0.0.1:9050",
    "MODEL_PREDICT_URL": "http://127.0.0.1:8081/predict",
    "MODEL_HEALTH_URL": "http://127.0.0.1:8081/health",
    "MODEL_BREAKER_RESET_SECONDS": "2",  # recover quickly from the fault tests' restarts
    "FCM_BASE_URL": "http://127.0.0.1:8102",  # the local FCM v1 server (tests/fakes/fcm_server.py)
    "ION_ENV": "local",
    "SERVER_TIMING": "true",  # phase timings on every response, for the benchmarks
    "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "true",
    "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "true",
    "NO_UPDATE_NOTIFIER": "1",
    # The tests write users under uids Firebase Auth never had, and the scheduler runs the
    # cleanup job every minute: its account sweep would erase them under the tests' feet
    # (tests/integration/test_account_sweep.py runs it on data of its own).
    "ACCOUNT_SWEEP": "false",
    # The end-to-end suites (test_hostile_input.py, schemathesis) send hundreds of requests as
    # one user within seconds: the production budgets would answer most of them 429 and leave
    # the paths they test unexercised. The budget itself is tested in process.
    "USER_REQUESTS_PER_SECOND": "100",
    "USER_REQUEST_BURST": "1000",
    "EXPORTS_PER_MINUTE": "600",
    "EXPORT_BURST": "100",
}

TOPICS = ("events", "notifications", "events-dead-letter")
# (subscription, topic, push function or None for pull). Event-driven functions join here.
SUBSCRIPTIONS: tuple[tuple[str, str, str | None], ...] = (
    ("events-profile-updater", "events", "profile_updater"),
    ("events-analytics-sink", "events", "analytics_sink"),
    ("notifications-push-sender", "notifications", "push_sender"),
)


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    cmd: tuple[str, ...]
    ready_path: str | None = None  # HTTP path answering 200 once ready; None = port open
    env: dict[str, str] = field(default_factory=dict)
    optional: bool = False  # started only on request (the benchmark floor)
    # Off a request's path (analytics, event consumers, scheduled jobs): run at the idle CPU
    # priority, so on this shared 2-core machine they wait for the cores instead of the turns.
    # In production they run on instances (and Google machines) of their own.
    background: bool = False


def _function(name: str, port: int) -> Service:
    return Service(
        name=f"fn-{name}",
        port=port,
        cmd=(
            str(VENV_BIN / "functions-framework"),
            f"--target={name}",
            f"--source={ROOT / 'functions' / name / 'main.py'}",
            "--host=127.0.0.1",
            f"--port={port}",
        ),
        env={"PYTHONPATH": str(ROOT)},
        background=name in BACKGROUND_FUNCTIONS,
    )


# name -> port of each function; the gateway routes production paths to these.
FUNCTION_PORTS = {
    "chat": 8090,
    "outbox_relay": 8092,
    "feedback": 8093,
    "profile": 8094,
    "profile_updater": 8095,
    "analytics_sink": 8096,
    "push_sender": 8100,
    "devices": 8101,
    "session_cleanup": 8098,
    "insights": 8097,
    "notification_producers": 8103,  # scheduled in production; run on demand here
}
# Pub/Sub consumers and scheduled jobs: no user waits on them.
BACKGROUND_FUNCTIONS = {
    "outbox_relay",
    "profile_updater",
    "analytics_sink",
    "push_sender",
    "session_cleanup",
    "notification_producers",
}
# SCHED_IDLE rather than a nice level: a woken request thread preempts an idle-policy task at
# once; in alternating load runs the turns' p95 was lower with it than with nice 10
# (benchmarks/results/load_priority.md). `chrt` execs the command: the pid stays the service's.
BACKGROUND_PRIORITY = ("chrt", "--idle", "0")
FLOOR_PORT = 8099
FCM_PORT = 8102

SERVICES: tuple[Service, ...] = (
    Service(
        "firestore",
        8086,
        (
            "gcloud",
            "beta",
            "emulators",
            "firestore",
            "start",
            "--host-port=127.0.0.1:8086",
            f"--rules={ROOT / 'firestore.rules'}",
        ),
        ready_path="/",
    ),
    Service(
        "pubsub",
        8085,
        ("gcloud", "beta", "emulators", "pubsub", "start", "--host-port=127.0.0.1:8085"),
        ready_path=f"/v1/projects/{PROJECT}/topics",
    ),
    Service(
        "bigquery",
        9050,
        # bqemulator without its copy of the table after every write (the script says why)
        (
            str(VENV_BIN / "python"),
            str(ROOT / "scripts" / "bigquery_emulator.py"),
            "start",
            "--project",
            PROJECT,
            "--log-level",
            "warning",
        ),
        ready_path=f"/bigquery/v2/projects/{PROJECT}/datasets",
        env={"HOME": str(TOOLS / "bqhome")},
        background=True,
    ),
    Service(
        "auth",
        9099,
        (
            str(TOOLS / "node_modules" / ".bin" / "firebase"),
            "emulators:start",
            "--only",
            "auth",
            "--project",
            PROJECT,
            "--config",
            str(ROOT / "firebase.json"),
        ),
        ready_path="/",
    ),
    Service(
        "model",
        8081,
        (
            str(ROOT / ".venv-model" / "bin" / "python"),
            "-m",
            "model_serving.server",
            "--host=127.0.0.1",
        ),
        ready_path="/health",
        # The same container contract as Vertex AI; the artifact named by artifacts/CURRENT.
        env={
            "AIP_HTTP_PORT": "8081",
            "AIP_HEALTH_ROUTE": "/health",
            "AIP_PREDICT_ROUTE": "/predict",
            # Here the model shares 2 cores with the emulators and every function: its two
            # threads sleep when idle instead of spinning (a Vertex AI replica has its cores to
            # itself and keeps them spinning). Two sleeping threads beat one on this host both
            # idle and loaded (2026-12-06: 200 users, turn p95 193 vs 248 ms and no turn
            # degraded vs 69; model_serving/HISTORY.md).
            "MODEL_INTRA_OP_THREADS": "2",
            "MODEL_INTRA_OP_SPINNING": "0",
        },
    ),
    Service(  # FCM's HTTP v1 API, locally: the push sender's firebase-admin sends here
        "fcm",
        FCM_PORT,
        (str(VENV_BIN / "python"), "-m", "tests.fakes.fcm_server", f"--port={FCM_PORT}"),
        ready_path="/_fake/requests",
        env={"PYTHONPATH": str(ROOT)},
    ),
    *(_function(name, port) for name, port in FUNCTION_PORTS.items()),
    Service(
        "fn-floor",
        FLOOR_PORT,
        (
            str(VENV_BIN / "functions-framework"),
            "--target=floor",
            f"--source={ROOT / 'benchmarks' / 'floor' / 'main.py'}",
            "--host=127.0.0.1",
            f"--port={FLOOR_PORT}",
        ),
        env={"PYTHONPATH": str(ROOT)},
        optional=True,
    ),
    Service(
        "gateway",
        8080,
        (
            str(VENV_BIN / "uvicorn"),
            "scripts.gateway:app",
            "--host=127.0.0.1",
            "--port=8080",
            "--no-access-log",
            "--log-level=warning",
        ),
        ready_path="/_gateway/ready",
    ),
    Service("scheduler", 0, (sys.executable, "-m", "scripts.scheduler"), background=True),
)
BY_NAME = {s.name: s for s in SERVICES}


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _listening_inodes(port: int) -> set[str]:
    """The socket inodes listening on the port, from /proc/net/tcp and tcp6 (Linux)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()  # sl local_address rem_address st ... uid timeout inode
                if fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port:
                    inodes.add(fields[9])
    return inodes


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:  # closed meanwhile
        return ""


def port_owner(port: int) -> str:
    """Who listens on the port: its pid and command line, or "unknown" (not Linux, or another
    user's process, whose open files /proc does not show)."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not sockets:
        return "unknown"
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):  # ended meanwhile, or not ours to read
            if any(_readlink(fd) in sockets for fd in (proc / "fd").iterdir()):
                argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
                return f"pid {proc.name}: {' '.join(argv).strip()[:120]}"
    return "unknown"


def ports_taken_message(services: list[Service]) -> str:
    """What `up` says when ports it needs are held by processes it did not start: which ones."""
    owners = "; ".join(f"{s.port} ({s.name}) by {port_owner(s.port)}" for s in services)
    return f"ports already in use by other processes: {owners}. Free them and retry."


def _pid_file(name: str) -> Path:
    return PIDS / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot, /proc/<pid>/stat field 22), None if it
    is gone. With the pid it names one process: a pid is reused once its process has died."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[19])  # fields after the name, which may hold spaces


def _written_before_boot(path: Path) -> bool:
    with open("/proc/stat") as f:
        boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    return path.stat().st_mtime < boot


def running_pid(name: str) -> int | None:
    """The service's pid if the process its pid file names still runs: the same pid with the
    same start time (after a reboot, or once it has died, the pid may be another process's)."""
    path = _pid_file(name)
    try:
        pid, *started = map(int, path.read_text().split())
    except (OSError, ValueError):
        return None
    now = _start_time(pid)
    if now is None:
        return None
    if not started:  # a pid file from before start times were written: stale after a reboot
        return None if _written_before_boot(path) else pid
    return pid if now == started[0] else None


def _http_ok(port: int, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_ready(service: Service, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = running_pid(service.name)
        if pid is None:
            raise SystemExit(
                f"{service.name} exited during start-up; see {LOGS / (service.name + '.log')}"
            )
        if service.port == 0:
            return
        if service.ready_path is None and port_in_use(service.port):
            return
        if service.ready_path is not None and _http_ok(service.port, service.ready_path):
            return
        time.sleep(0.1)
    raise SystemExit(
        f"{service.name} was not ready on port {service.port} after {timeout:.0f} s; "
        f"see {LOGS / (service.name + '.log')}"
    )


def start(service: Service, *, wait: bool = True, extra_env: dict | None = None) -> bool:
    """Start the service unless it runs; True if this call started it."""
    if running_pid(service.name):
        return False
    if service.port and port_in_use(service.port):
        raise SystemExit(
            f"port {service.port} ({service.name}) is already in use by another process "
            f"({port_owner(service.port)}); stop it (or run `make down`) and try again"
        )
    LOGS.mkdir(parents=True, exist_ok=True)
    PIDS.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **EMULATOR_ENV, **service.env, **(extra_env or {})}
    log = open(LOGS / f"{service.name}.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        (*BACKGROUND_PRIORITY, *service.cmd) if service.background else service.cmd,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so `down` stops its children too
    )
    _pid_file(service.name).write_text(f"{proc.pid} {_start_time(proc.pid) or 0}")
    if wait:
        wait_ready(service)
    return True


def stop(name: str, timeout: float = 10) -> None:
    stop_all([name], timeout)


def stop_all(names: list[str], timeout: float = 10) -> None:
    """SIGTERM to every named process group first, then wait for each (SIGKILL for whatever is
    left at the deadline, e.g. emulator JVMs) and for its port to close: one slow shutdown no
    longer holds up the others."""
    pids = {}
    for name in names:
        if (pid := running_pid(name)) is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            pids[name] = pid
    deadline = time.monotonic() + timeout
    for name in names:
        if (pid := pids.get(name)) is not None:
            while _alive(pid) and time.monotonic() < deadline:
                _reap(pid)
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _reap(pid)
        _pid_file(name).unlink(missing_ok=True)
    for name in names:
        service = BY_NAME.get(name)
        if service and service.port:
            while port_in_use(service.port) and time.monotonic() < deadline:
                time.sleep(0.1)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


PUBSUB_API = f"http://127.0.0.1:8085/v1/projects/{PROJECT}"


def create_topic(topic: str) -> None:
    """A topic on the emulator (one that exists already is kept)."""
    _put(f"{PUBSUB_API}/topics/{topic}", {})


def provision_pubsub() -> None:
    """Create the topics and subscriptions (the emulator keeps nothing across restarts)."""
    for topic in TOPICS:
        create_topic(topic)
    for sub, topic, push_fn in SUBSCRIPTIONS:
        body: dict = {"topic": f"projects/{PROJECT}/topics/{topic}", "ackDeadlineSeconds": 30}
        if push_fn:
            port = FUNCTION_PORTS[push_fn]
            # The topic in the path makes functions-framework fill the CloudEvent source.
            body["pushConfig"] = {
                "pushEndpoint": f"http://127.0.0.1:{port}/projects/{PROJECT}/topics/{topic}"
            }
        _put(f"{PUBSUB_API}/subscriptions/{sub}", body)


def provision_bigquery() -> None:
    """The analytics dataset, events table, table functions and views (the emulator keeps nothing
    either)."""
    from common.analytics.local import provision_emulator

    provision_emulator(PROJECT)


def _put(url: str, body: dict) -> None:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    try:
        urllib.request.urlopen(req, timeout=5).close()
    except urllib.error.HTTPError as e:
        if e.code != 409:  # already exists
            raise


def wait_healthy(timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    last: dict | str = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{GATEWAY_URL}/healthz", timeout=2) as r:
                last = report = json.load(r)
                if r.status == 200 and report.get("status") == "ok":
                    return report
        except urllib.error.HTTPError as e:
            last = e.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as e:
            last = str(e)
        time.sleep(0.25)
    raise SystemExit(f"/healthz did not turn green within {timeout:.0f} s: {last}")


def up(*, with_floor: bool = False, record: Path | None = None) -> list[str]:
    """Start what is not running and wait for /healthz; the names of the services this call
    started, also written to `record` as they start. Failed or interrupted (Ctrl-C, SIGTERM), it
    stops them again: each runs in a session of its own, which a Ctrl-C never reaches."""
    todo = [s for s in SERVICES if not s.optional or with_floor]
    taken = [s for s in todo if s.port and not running_pid(s.name) and port_in_use(s.port)]
    if taken:
        raise SystemExit(ports_taken_message(taken))
    started: list[str] = []

    def launch(services: list[Service], timeout: float) -> None:
        for s in services:  # start together, then wait: they boot in parallel
            if start(s, wait=False):
                started.append(s.name)
                if record is not None:
                    record.write_text("".join(f"{name}\n" for name in started))
        for s in services:
            wait_ready(s, timeout)

    try:
        emulators = [s for s in todo if not s.name.startswith("fn-") and s.name != "gateway"]
        emulators = [s for s in emulators if s.name != "scheduler"]
        launch(emulators, timeout=90)
        provision_pubsub()
        provision_bigquery()
        launch([s for s in todo if s not in emulators], timeout=60)
        health = wait_healthy()
    except BaseException:
        stop_all(started[::-1])
        if record is not None:
            record.write_text("")  # nothing of this call's is left running
        raise
    print(f"stack is up: {GATEWAY_URL} ({', '.join(health.get('dependencies', {}))} healthy)")
    print(f"logs: {LOGS}")
    return started


def is_up(*, with_floor: bool = False, timeout: float = 3) -> bool:
    """Every service running and /healthz green within `timeout` (a stack that is not running
    is known at once: its pid files)."""
    todo = [s for s in SERVICES if not s.optional or with_floor]
    if not all(running_pid(s.name) for s in todo):
        return False
    try:
        wait_healthy(timeout=timeout)
    except SystemExit:
        return False
    return True


def down(record: Path | None = None) -> None:
    """Stop every service with a pid file, or with `record` only the services it names (those
    an `up --record` started): a stack someone else started stays up."""
    if record is not None:
        names = record.read_text().split() if record.exists() else []
        if not names:
            print("stack left running: this command started none of it")
            return
        stop_all(names[::-1])
        print(f"stopped what this command started: {', '.join(names)}")
        return
    names = [s.name for s in reversed(SERVICES)]
    leftovers = [p.stem for p in PIDS.glob("*.pid")] if PIDS.exists() else []
    if not leftovers:  # what holds the ports, if anything does, is none of this checkout's
        print("no pid files: nothing started by this checkout is running")
        return
    stop_all(names + [n for n in leftovers if n not in names])  # + services renamed since
    print("stack is down")


def status() -> None:
    for s in SERVICES:
        pid = running_pid(s.name)
        state = f"running (pid {pid})" if pid else "stopped"
        print(f"{s.name:12} {s.port or '-':>5}  {state}")


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.stack")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up")
    p_up.add_argument("--with-floor", action="store_true")
    p_up.add_argument("--record", type=Path, help="write the names of the services started here")
    p_is = sub.add_parser("is-up", help="exit 0 when every service runs and /healthz is green")
    p_is.add_argument("--with-floor", action="store_true")
    p_down = sub.add_parser("down")
    p_down.add_argument("--record", type=Path, help="stop only the services this file names")
    sub.add_parser("status")
    sub.add_parser("provision")
    for verb in ("start", "stop"):
        p = sub.add_parser(verb)
        p.add_argument("name", choices=sorted(BY_NAME))
    args = parser.parse_args(argv)
    if args.command == "up":
        signal.signal(signal.SIGTERM, _exit_on_sigterm)  # so that up() stops what it started
        up(with_floor=args.with_floor, record=args.record)
    elif args.command == "is-up":
        sys.exit(0 if is_up(with_floor=args.with_floor) else 1)
    elif args.command == "down":
        down(args.record)
    elif args.command == "status":
        status()
    elif args.command == "provision":
        provision_pubsub()
        provision_bigquery()
    elif args.command == "start":
        start(BY_NAME[args.name])
        if args.name == "pubsub":
            provision_pubsub()
        if args.name == "bigquery":
            provision_bigquery()
    elif args.command == "stop":
        stop(args.name)


if __name__ == "__main__":
    main()
