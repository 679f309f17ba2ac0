"""Dependency checks for /healthz, run in parallel with a short timeout each."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from common import clients
from common.config import Settings

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0
PROBE_SECONDS = 30.0
STORAGE_PROBE_SECONDS = 5.0  # Firestore and Pub/Sub: cheap, but /healthz is public
AUTH_PROBE_UID = "healthz-probe"  # no account has it: Firebase uids are 28 characters

# dependency -> what a user is missing while it is down
FEATURES = {
    "firestore": ["chat", "sessions"],
    "pubsub": ["analytics_events_delayed"],
    "auth": ["sign_in"],
    "bigquery": ["insights"],
    "persona_model": ["persona_model"],
    "reply_generator": ["reply_generator"],  # the name a turn's "degraded" uses
}
# Down without a request failing: events wait in the outbox (the outbox relay's failures alert),
# insights are operators' (the analytics sink's dead letters alert). /healthz is a 200 naming
# them in `degraded`, so that the uptime checks' probes are no 503s in the API's 5xx ratio.
BACKGROUND = frozenset({"pubsub", "bigquery"})


def serves_users(report: dict) -> bool:
    """Whether every dependency users' requests need answers: /healthz's 200, else a 503."""
    deps = report["dependencies"].items()
    return all(state["ok"] or name in BACKGROUND for name, state in deps)


class _ProbeFailed(Exception):
    """A probe's last outcome, reported again: the name of what failed."""


class _Probe:
    """A check that costs a call to a managed service (a prediction, an Auth lookup, a read):
    run at most every `every` seconds on an instance, since /healthz is public and anyone may
    call it; checks meanwhile (and while it runs) report its last outcome. An answer later
    than /healthz waits is a failure."""

    def __init__(self, check: Callable[[], None], every: float | None = None) -> None:
        self._check = check
        self._every = every  # None: PROBE_SECONDS, read when asked
        self._lock = threading.Lock()
        self._at = -math.inf
        self._failure: str | None = None  # the last outcome: None, or what failed

    def __call__(self) -> None:
        now = time.monotonic()
        with self._lock:
            run = now - self._at >= (PROBE_SECONDS if self._every is None else self._every)
            if run:
                self._at = now  # claimed: one probe at a time
            failure = self._failure
        if run:
            try:
                self._check()
                failure = None
            except Exception as e:
                failure = type(e).__name__
            if time.monotonic() - now > CHECK_TIMEOUT:
                failure = "Timeout"
            with self._lock:
                self._failure = failure
        if failure is not None:
            raise _ProbeFailed(failure)


def _http_ok(url: str) -> Callable[[], None]:
    def check() -> None:
        import httpx

        httpx.get(url, timeout=CHECK_TIMEOUT).raise_for_status()

    return check


def _checks(settings: Settings) -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {
        # The clients are made in the check: making one may fail too (credentials).
        "firestore": lambda: _storage_probe(clients.session_store())(),
        "pubsub": lambda: _storage_probe(clients.event_publisher())(),
    }
    if host := os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"):
        checks["auth"] = _http_ok(f"http://{host}/")
    elif settings.ion_env != "local":  # the Auth service every new token's revocation check asks
        checks["auth"] = _AUTH_PROBE
    if host := os.environ.get("BIGQUERY_EMULATOR_HOST"):
        checks["bigquery"] = _http_ok(
            f"http://{host}/bigquery/v2/projects/{settings.project_id}/datasets"
        )
    if settings.model_health_url:
        checks["persona_model"] = _http_ok(settings.model_health_url)
    elif clients.persona_model() is not None:
        checks["persona_model"] = _MODEL_PROBE  # Vertex AI: a prediction (not billed per call)
    return checks


def _auth_answers() -> None:
    """Look up a user who does not exist: the answer "no such user" is the service working."""
    from firebase_admin import auth

    with contextlib.suppress(auth.UserNotFoundError):
        auth.get_user(AUTH_PROBE_UID, app=clients.firebase_app())


_AUTH_PROBE = _Probe(_auth_answers)
_STORAGE_PROBES: dict[Any, _Probe] = {}
_STORAGE_LOCK = threading.Lock()


def _storage_probe(client: Any) -> _Probe:
    """The probe of this client's ping: one per client (an instance has one of each; a new
    client, as in a test, starts afresh)."""
    with _STORAGE_LOCK:
        probe = _STORAGE_PROBES.get(client)
        if probe is None:
            probe = _STORAGE_PROBES[client] = _Probe(client.ping, every=STORAGE_PROBE_SECONDS)
        return probe


_MODEL_PROBE = _Probe(lambda: clients.persona_model().probe())


def _timed(check: Callable[[], None]) -> dict:
    started = time.perf_counter()
    try:
        check()
        result: dict = {"ok": True}
    except Exception as e:  # a health check reports every failure, whatever its kind
        result = {"ok": False, "error": str(e) if isinstance(e, _ProbeFailed) else type(e).__name__}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_all(settings: Settings) -> dict:
    checks = _checks(settings)
    pool = ThreadPoolExecutor(max_workers=len(checks))
    futures = {name: pool.submit(_timed, check) for name, check in checks.items()}
    done, _ = wait(futures.values(), timeout=CHECK_TIMEOUT + 1)
    # Not `with pool`: its exit would wait for a hung check, and /healthz with it.
    pool.shutdown(wait=False, cancel_futures=True)
    timed_out: dict[str, Any] = {
        "ok": False,
        "error": "Timeout",
        "latency_ms": (CHECK_TIMEOUT + 1) * 1000,
    }
    deps = {name: f.result() if f in done else dict(timed_out) for name, f in futures.items()}
    if (model := clients.persona_model()) is not None:
        # This instance's view: its circuit breaker and prediction cache.
        deps.setdefault("persona_model", {"ok": True}).update(model.health())
        if model.breaker.state == "open":
            deps["persona_model"]["ok"] = False
    if settings.response_generator == "gemini":  # the template generator cannot fail
        # From the outcomes of this instance's turns: a model call per check would be billed.
        state = clients.response_generator().health()
        deps["reply_generator"] = {"ok": state["circuit"] != "open", **state}
    degraded = sorted({feat for n, d in deps.items() if not d["ok"] for feat in FEATURES[n]})
    _log_change({n: d.get("error") or d.get("last_error") for n, d in deps.items() if not d["ok"]})
    return {
        "status": "ok" if not degraded else "degraded",
        "dependencies": deps,
        "degraded": degraded,
    }


_failing: frozenset[str] = frozenset()  # what this instance's last check found down
_FAILING_LOCK = threading.Lock()


def _log_change(failing: dict[str, str | None]) -> None:
    """A line when the set of failing dependencies changes, not per check: /healthz is public,
    and the uptime checks alone call it every minute from several regions."""
    global _failing
    with _FAILING_LOCK:
        if frozenset(failing) == _failing:
            return
        _failing = frozenset(failing)
    if failing:
        said = ", ".join(f"{name} ({error})" for name, error in sorted(failing.items()))
        log.warning("healthz degraded: %s", said, extra={"failing": failing})
    else:
        log.info("healthz ok again: every dependency answers")
