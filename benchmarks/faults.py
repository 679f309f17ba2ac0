"""Faults for the load benchmark (`python -m benchmarks.load --faults`): each emulator and the
model server is stopped and started again in turn with scripts/stack.py while the load runs, and
every window is logged: when the fault began, when the service was started again, and when the
API's /healthz said the dependency was healthy again (the end of the window).

The emulators keep their data in memory; Google's services do not lose data in an outage. So
each restart carries the state across as the real service keeps it, and says how:
- firestore: the functions are paused (SIGSTOP, a few hundred ms) while the emulator exports
  its data, so no write can fall between the snapshot and the stop; then the emulator is
  stopped and the functions resume (every call fails: the outage). It starts again with
  `--import-data`. (Its `--export-on-exit` does not fire on SIGTERM, SIGINT or /shutdown here.)
- auth: the users are exported through the emulator hub, and imported on restart. The
  emulator's import resets each user's `validSince`, so tokens issued before the restart are
  refused as revoked (401) afterwards and the app signs in again: an emulator artefact.
- pubsub: publishing is refused first (the topics are deleted, so a turn's publish fails and its
  events wait in the outbox), the push subscriptions are switched to pull and drained, then the
  emulator stops. After the restart the topics and subscriptions are provisioned again, with
  the functions paused meanwhile (a message published to a topic whose subscriptions do not
  exist yet would reach nobody), and the drained messages are published again (a redelivery;
  the consumers are idempotent).
- bigquery: restarted file-backed (`--persistent`) once before the load, so a stop keeps rows.
- model: stateless; stopped and started.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from scripts import stack

ORDER = ("model", "pubsub", "firestore", "auth", "bigquery")
# the dependency name /healthz reports for each service
HEALTH_NAME = {
    "model": "persona_model",
    "pubsub": "pubsub",
    "firestore": "firestore",
    "auth": "auth",
    "bigquery": "bigquery",
}
SNAPSHOTS = stack.STATE / "fault-snapshots"
PUBSUB = f"http://127.0.0.1:8085/v1/projects/{stack.PROJECT}"
FIRESTORE = "http://127.0.0.1:8086"
AUTH_HUB = "http://127.0.0.1:4400"


@dataclass
class Window:
    service: str
    down_at: float  # seconds since the run started: the fault begins
    started_at: float | None = None  # the service was started again
    healthy_at: float | None = None  # /healthz reports it healthy again: the window ends
    notes: list[str] = field(default_factory=list)

    @property
    def end(self) -> float:
        return self.healthy_at if self.healthy_at is not None else float("inf")


def _call(method: str, url: str, body: dict | None = None, timeout: float = 30) -> dict:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


def _with_args(name: str, *args: str) -> stack.Service:
    service = stack.BY_NAME[name]
    return replace(service, cmd=(*service.cmd, *args))


@contextlib.contextmanager
def functions_paused():
    """SIGSTOP every function's process group (gunicorn and its worker), SIGCONT after."""
    paused = []
    try:
        for name in stack.BY_NAME:
            if name.startswith("fn-") and (pid := stack.running_pid(name)):
                os.killpg(pid, signal.SIGSTOP)
                paused.append(pid)
        time.sleep(0.3)  # a write already received by the emulator completes there
        yield
    finally:
        for pid in paused:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGCONT)


# Persistence across restarts, one pair of hooks per stateful emulator


def prepare() -> None:
    """Before the load: forget the last run's snapshots, and restart the BigQuery emulator
    file-backed so that a stop keeps its rows."""
    shutil.rmtree(SNAPSHOTS, ignore_errors=True)
    data = SNAPSHOTS / "bigquery"
    stack.stop("bigquery")
    data.mkdir(parents=True)
    stack.start(_with_args("bigquery", "--persistent", "--data-dir", str(data)))
    stack.provision_bigquery()


def _stop_bigquery(w: Window) -> Callable[[], None]:
    stack.stop("bigquery")
    w.notes.append("file-backed: rows kept across the restart")

    def restart() -> None:
        data = SNAPSHOTS / "bigquery"
        stack.start(_with_args("bigquery", "--persistent", "--data-dir", str(data)))
        stack.provision_bigquery()

    return restart


def _stop_firestore(w: Window) -> Callable[[], None]:
    target = SNAPSHOTS / f"firestore-{int(time.time())}"
    target.mkdir(parents=True)
    with functions_paused():
        started = time.monotonic()
        _call(
            "POST",
            f"{FIRESTORE}/emulator/v1/projects/{stack.PROJECT}:export",
            {
                "database": f"projects/{stack.PROJECT}/databases/(default)",
                "export_directory": str(target),
            },
            timeout=120,
        )
        stack.stop("firestore")
        paused_ms = (time.monotonic() - started) * 1000 + 300
    meta = next(target.rglob("*.overall_export_metadata"))
    w.notes.append(f"functions paused {paused_ms:.0f} ms for the export; imported on restart")

    def restart() -> None:
        stack.start(_with_args("firestore", f"--import-data={meta}"))

    return restart


def _stop_auth(w: Window) -> Callable[[], None]:
    target = SNAPSHOTS / f"auth-{int(time.time())}"
    _call("POST", f"{AUTH_HUB}/_admin/export", {"path": str(target), "initiatedBy": "load"})
    stack.stop("auth")
    w.notes.append(
        "users exported and imported; the import revokes earlier tokens (401, re-sign-in)"
    )

    def restart() -> None:
        stack.start(_with_args("auth", "--import", str(target)))

    return restart


def _pubsub_subscription(name: str, path: str = "", body: dict | None = None) -> dict:
    return _call("POST", f"{PUBSUB}/subscriptions/{name}{path}", body or {})


def _stop_pubsub(w: Window) -> Callable[[], None]:
    for topic in stack.TOPICS:  # publishes fail from here on: the outage, for the API
        with contextlib.suppress(urllib.error.HTTPError):
            _call("DELETE", f"{PUBSUB}/topics/{topic}")
    for sub, _, _ in stack.SUBSCRIPTIONS:
        _pubsub_subscription(sub, ":modifyPushConfig", {"pushConfig": {}})
    carried: dict[str, dict[str, dict]] = {topic: {} for _, topic, _ in stack.SUBSCRIPTIONS}
    quiet_since, deadline = time.monotonic(), time.monotonic() + 45
    while time.monotonic() - quiet_since < 6 and time.monotonic() < deadline:
        got = 0
        for sub, topic, _ in stack.SUBSCRIPTIONS:
            out = _pubsub_subscription(
                sub, ":pull", {"maxMessages": 1000, "returnImmediately": True}
            )
            msgs = out.get("receivedMessages", [])
            if msgs:
                _pubsub_subscription(sub, ":acknowledge", {"ackIds": [m["ackId"] for m in msgs]})
            for m in msgs:
                carried[topic][m["message"]["messageId"]] = {
                    "data": m["message"].get("data", ""),
                    "attributes": m["message"].get("attributes", {}),
                }
            got += len(msgs)
        if got:
            quiet_since = time.monotonic()
        else:
            time.sleep(0.5)
    stack.stop("pubsub")
    total = sum(len(v) for v in carried.values())
    w.notes.append(f"{total} undelivered messages carried across the restart and published again")

    def restart() -> None:
        stack.start(stack.BY_NAME["pubsub"])
        # A message published to a topic before its subscriptions exist reaches nobody, and a
        # function whose publish succeeded deletes the outbox entry: nothing may publish
        # between the topics' creation and the subscriptions'.
        with functions_paused():
            stack.provision_pubsub()
        for topic, messages in carried.items():
            batch = list(messages.values())
            for i in range(0, len(batch), 500):
                _call("POST", f"{PUBSUB}/topics/{topic}:publish", {"messages": batch[i : i + 500]})

    return restart


def _stop_model(w: Window) -> Callable[[], None]:
    stack.stop("model")

    def restart() -> None:
        stack.start(stack.BY_NAME["model"])

    return restart


STOPPERS: dict[str, Callable[[Window], Callable[[], None]]] = {
    "model": _stop_model,
    "pubsub": _stop_pubsub,
    "firestore": _stop_firestore,
    "auth": _stop_auth,
    "bigquery": _stop_bigquery,
}


def _healthy(dependency: str) -> bool:
    try:
        with urllib.request.urlopen(f"{stack.GATEWAY_URL}/healthz", timeout=5) as r:
            report = json.load(r)
    except urllib.error.HTTPError as e:
        report = json.loads(e.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return bool(report.get("dependencies", {}).get(dependency, {}).get("ok"))


def inject(
    service: str, *, down_seconds: float, clock: Callable[[], float], log: Callable[[str], None]
) -> Window:
    """Stop one service, keep it down, start it again, and wait until /healthz says it is back."""
    w = Window(service=service, down_at=clock())
    log(f"fault: stopping {service}")
    restart = STOPPERS[service](w)
    time.sleep(max(0.0, down_seconds - (clock() - w.down_at)))
    log(f"fault: starting {service} again")
    restart()
    w.started_at = clock()
    deadline = time.monotonic() + 120
    while not _healthy(HEALTH_NAME[service]) and time.monotonic() < deadline:
        time.sleep(0.25)
    if time.monotonic() < deadline:
        w.healthy_at = clock()
        log(
            f"fault: {service} healthy again, window {w.down_at:.1f}–{w.healthy_at:.1f} s"
            + (f" ({'; '.join(w.notes)})" if w.notes else "")
        )
    else:
        log(f"fault: {service} not healthy 120 s after its restart")
    return w


def schedule(
    *,
    first_at: float,
    spacing: float,
    down_seconds: float,
    clock: Callable[[], float],
    log: Callable[[str], None],
    services: tuple[str, ...] = ORDER,
) -> tuple[threading.Thread, list[Window]]:
    """Run the faults one after the other in a thread: the first at `first_at` seconds into the
    run, each next one `spacing` seconds after the previous one began (or once it is over)."""
    windows: list[Window] = []

    def run() -> None:
        for i, service in enumerate(services):
            time.sleep(max(0.0, first_at + i * spacing - clock()))
            try:
                windows.append(inject(service, down_seconds=down_seconds, clock=clock, log=log))
            except Exception as e:  # the benchmark reports it; the load goes on
                log(f"fault: {service} injection failed: {type(e).__name__}: {e}")
                windows.append(Window(service=service, down_at=clock(), notes=[f"failed: {e}"]))

    thread = threading.Thread(target=run, name="faults", daemon=True)
    thread.start()
    return thread, windows


def as_dicts(windows: list[Window]) -> list[dict]:
    return [asdict(w) for w in windows]
