"""/healthz's dependency checks: a hung dependency is reported down, on time."""

import threading
import time

import pytest

from common import clients, health
from common.config import Settings


class Ping:
    def __init__(self, hang: threading.Event | None = None) -> None:
        self.hang = hang

    def ping(self) -> None:
        if self.hang is not None:
            self.hang.wait(30)  # a dependency that never answers (no timeout of its own)


@pytest.fixture
def hung(monkeypatch: pytest.MonkeyPatch):
    release = threading.Event()
    monkeypatch.setattr(health, "CHECK_TIMEOUT", 0.2)
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("BIGQUERY_EMULATOR_HOST", raising=False)
    monkeypatch.setattr(clients, "session_store", lambda: Ping(hang=release))
    monkeypatch.setattr(clients, "event_publisher", lambda: Ping())
    monkeypatch.setattr(clients, "persona_model", lambda: None)
    yield
    release.set()


def test_a_hung_check_is_reported_down_on_time(hung: None) -> None:
    started = time.perf_counter()
    report = health.check_all(Settings(model_health_url=None))
    assert time.perf_counter() - started < 3  # CHECK_TIMEOUT + 1 s, not the 30 s hang
    assert report["dependencies"]["firestore"]["ok"] is False
    assert report["dependencies"]["firestore"]["error"] == "Timeout"
    assert report["dependencies"]["pubsub"]["ok"] is True
    assert (report["status"], report["degraded"]) == ("degraded", ["chat", "sessions"])
