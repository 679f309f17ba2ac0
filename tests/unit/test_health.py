"""/healthz's dependency checks: a hung dependency is reported down, on time."""

import threading

import pytest

from common import clients, health
from common.config import Settings
from common.replies.gemini import DOWN_AFTER_FAILURES, GeminiGenerator


class Ping:
    def __init__(self, hang: threading.Event | None = None) -> None:
        self.hang = hang
        self.answered = threading.Event()

    def ping(self) -> None:
        if self.hang is not None:
            self.hang.wait(30)  # a dependency that never answers (no timeout of its own)
        self.answered.set()


@pytest.fixture
def hung(monkeypatch: pytest.MonkeyPatch):
    release = threading.Event()
    monkeypatch.setattr(health, "CHECK_TIMEOUT", 0.2)
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("BIGQUERY_EMULATOR_HOST", raising=False)
    firestore = Ping(hang=release)
    monkeypatch.setattr(clients, "session_store", lambda: firestore)
    monkeypatch.setattr(clients, "event_publisher", lambda: Ping())
    monkeypatch.setattr(clients, "persona_model", lambda: None)
    yield firestore
    release.set()


def test_a_hung_check_is_reported_down_on_time(hung: Ping) -> None:
    report = health.check_all(Settings(model_health_url=None))
    assert not hung.answered.is_set()  # reported while the check still hangs, not after it
    assert report["dependencies"]["firestore"]["ok"] is False
    assert report["dependencies"]["firestore"]["error"] == "Timeout"
    assert report["dependencies"]["pubsub"]["ok"] is True
    assert (report["status"], report["degraded"]) == ("degraded", ["chat", "sessions"])


@pytest.fixture
def healthy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("BIGQUERY_EMULATOR_HOST", raising=False)
    monkeypatch.setattr(clients, "session_store", lambda: Ping())
    monkeypatch.setattr(clients, "event_publisher", lambda: Ping())
    monkeypatch.setattr(clients, "persona_model", lambda: None)


def _gemini(monkeypatch: pytest.MonkeyPatch) -> GeminiGenerator:
    gen = GeminiGenerator(project="demo-ion", location="us-central1", model="gemini-3.5-flash-lite")
    monkeypatch.setattr(clients, "response_generator", lambda: gen)
    return gen


def test_a_failing_gemini_degrades_the_reply_generator(
    healthy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = _gemini(monkeypatch)
    settings = Settings(model_health_url=None, response_generator="gemini")
    report = health.check_all(settings)
    assert report["dependencies"]["reply_generator"]["ok"] is True
    assert report["status"] == "ok"
    for _ in range(DOWN_AFTER_FAILURES):  # what the turns' failed calls leave behind
        gen._failed(ConnectionError("Vertex AI unreachable"))
    report = health.check_all(settings)
    entry = report["dependencies"]["reply_generator"]
    assert entry["ok"] is False and entry["last_error"] == "ConnectionError"
    assert (report["status"], report["degraded"]) == ("degraded", ["reply_generator"])
    gen.outcomes.success()  # a turn reached Gemini again
    assert health.check_all(settings)["status"] == "ok"


def test_the_template_generator_is_not_reported(
    healthy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gemini(monkeypatch)
    report = health.check_all(Settings(model_health_url=None, response_generator="template"))
    assert "reply_generator" not in report["dependencies"]
    assert report["status"] == "ok"


def test_production_asks_the_auth_service_every_new_token_needs(
    healthy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the emulator there was no auth check: with the Auth service down every request
    was a 503 auth_unavailable while /healthz said ok."""
    from firebase_admin import auth, exceptions

    asked: list[str] = []

    def no_such_user(uid: str, app: object = None) -> None:
        asked.append(uid)
        raise auth.UserNotFoundError("no user record")

    def down(uid: str, app: object = None) -> None:
        raise exceptions.UnavailableError("identitytoolkit.googleapis.com unreachable")

    monkeypatch.setattr(health, "PROBE_SECONDS", 0.0)  # every check asks
    monkeypatch.setattr(clients, "firebase_app", lambda: None)
    monkeypatch.setattr(auth, "get_user", no_such_user)
    production = Settings(ion_env="prod", model_health_url=None)
    report = health.check_all(production)
    assert report["dependencies"]["auth"]["ok"] is True and report["status"] == "ok"
    assert asked == [health.AUTH_PROBE_UID]
    monkeypatch.setattr(auth, "get_user", down)
    report = health.check_all(production)
    assert report["dependencies"]["auth"] == {
        "ok": False,
        "error": "UnavailableError",
        "latency_ms": report["dependencies"]["auth"]["latency_ms"],
    }
    assert report["degraded"] == ["sign_in"]
    # The local stack without the Auth emulator (unit tests) has nothing to ask.
    assert "auth" not in health.check_all(Settings(model_health_url=None))["dependencies"]


def test_a_public_healthz_asks_a_managed_service_at_most_every_30_s(
    healthy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/healthz has no caller to limit: a hit per millisecond must not become a prediction and
    an Auth lookup per millisecond (the diff review). The last outcome is reported meanwhile."""
    from firebase_admin import auth, exceptions

    asked: list[str] = []

    def down(uid: str, app: object = None) -> None:
        asked.append(uid)
        raise exceptions.UnavailableError("identitytoolkit.googleapis.com unreachable")

    now = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(health, "_AUTH_PROBE", health._Probe(health._auth_answers))
    monkeypatch.setattr(clients, "firebase_app", lambda: None)
    monkeypatch.setattr(auth, "get_user", down)
    production = Settings(ion_env="prod", model_health_url=None)
    for _ in range(5):
        assert health.check_all(production)["degraded"] == ["sign_in"]
    assert len(asked) == 1
    now[0] += health.PROBE_SECONDS
    health.check_all(production)
    assert len(asked) == 2


def test_a_probe_that_answers_after_healthz_gave_up_is_a_timeout_not_ok(
    healthy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dependency slower than /healthz waits must not read as healthy for the next 30 s
    because its late answer was recorded as a success (the last review)."""
    import time as real_time

    from firebase_admin import auth

    started: list[float] = []

    def slow(uid: str, app: object = None) -> None:
        started.append(real_time.monotonic())
        real_time.sleep(0.3)  # longer than this test's CHECK_TIMEOUT, then "no such user"
        raise auth.UserNotFoundError("no user record")

    monkeypatch.setattr(health, "CHECK_TIMEOUT", 0.1)
    monkeypatch.setattr(health, "_AUTH_PROBE", health._Probe(health._auth_answers))
    monkeypatch.setattr(clients, "firebase_app", lambda: None)
    monkeypatch.setattr(auth, "get_user", slow)
    production = Settings(ion_env="prod", model_health_url=None)
    first = health.check_all(production)["dependencies"]["auth"]
    assert first["ok"] is False and first["error"] == "Timeout"  # answered after CHECK_TIMEOUT
    again = health.check_all(production)["dependencies"]["auth"]  # within PROBE_SECONDS
    assert again["ok"] is False and again["error"] == "Timeout"
    assert len(started) == 1  # one probe, however many checks
    # Checks arriving while a probe runs report the last outcome instead of starting another.
    monkeypatch.setattr(health, "_AUTH_PROBE", health._Probe(health._auth_answers))  # a new one
    at_once = [threading.Thread(target=health.check_all, args=(production,)) for _ in range(5)]
    for t in at_once:
        t.start()
    for t in at_once:
        t.join()
    assert len(started) == 2


def test_a_public_healthz_pings_firestore_and_pubsub_at_most_every_5_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Anyone may call /healthz: a request each must not be a Firestore read and a Pub/Sub
    admin call each (the security review counted 50 of each for 50 requests)."""
    firestore, pubsub = Ping(), Ping()
    pings = {"firestore": 0, "pubsub": 0}

    def counted(name: str, client: Ping) -> Ping:
        def ping() -> None:
            pings[name] += 1

        client.ping = ping  # type: ignore[method-assign]
        return client

    now = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: now[0])
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("BIGQUERY_EMULATOR_HOST", raising=False)
    monkeypatch.setattr(clients, "session_store", lambda: counted("firestore", firestore))
    monkeypatch.setattr(clients, "event_publisher", lambda: counted("pubsub", pubsub))
    monkeypatch.setattr(clients, "persona_model", lambda: None)
    for _ in range(50):
        assert health.check_all(Settings(model_health_url=None))["status"] == "ok"
    assert pings == {"firestore": 1, "pubsub": 1}
    now[0] += health.STORAGE_PROBE_SECONDS
    health.check_all(Settings(model_health_url=None))
    assert pings == {"firestore": 2, "pubsub": 2}


def test_a_change_in_what_is_failing_is_logged_once(monkeypatch, caplog) -> None:
    """A degraded /healthz wrote no line (the observability review); one per call would flood
    the log, as /healthz is public: a line when this instance's failing set changes."""
    down: dict[str, Exception] = {}

    def check(name: str):
        def run() -> None:
            if name in down:
                raise down[name]

        return run

    monkeypatch.setattr(health, "_checks", lambda s: {n: check(n) for n in ("firestore", "pubsub")})
    monkeypatch.setattr(clients, "persona_model", lambda: None)
    monkeypatch.setattr(health, "_failing", frozenset(), raising=False)  # as a fresh instance
    settings = Settings(model_health_url=None, response_generator="template")

    def lines(**now_down: Exception) -> list[tuple[str, str]]:
        down.clear()
        down.update(now_down)
        caplog.clear()
        health.check_all(settings)
        return [(r.levelname, r.getMessage()) for r in caplog.records]

    with caplog.at_level("INFO", logger="common.health"):
        assert lines() == []
        assert lines(firestore=TimeoutError()) == [
            ("WARNING", "healthz degraded: firestore (TimeoutError)")
        ]
        assert caplog.records[0].failing == {"firestore": "TimeoutError"}
        assert lines(firestore=TimeoutError()) == []  # the same: said already
        assert lines(firestore=TimeoutError(), pubsub=ConnectionError()) == [
            ("WARNING", "healthz degraded: firestore (TimeoutError), pubsub (ConnectionError)")
        ]
        assert lines() == [("INFO", "healthz ok again: every dependency answers")]
        assert lines() == []
