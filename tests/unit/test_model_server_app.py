"""The model server's app with a stand-in predictor (no onnxruntime in this venv; the real model
is served in tests/e2e/test_model_server.py): bad bodies, the pinned load's retries, and the
event loop staying free while a batch runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from model_serving import server
from model_serving.predictor import Predictor


class StubPredictor(Predictor):
    """Validates like the real one; no model: with `hold`, a request's work blocks until the
    test sets `release`."""

    def __init__(self, hold: bool = False) -> None:
        super().__init__()
        self.version, self.loaded, self.hold = "pm-test", True, hold
        self.running = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()

    def predict(self, texts, dense=None):
        self.running.set()
        if self.hold:
            self.release.wait(10)  # a bound only so that a broken server fails, not hangs
        self.finished.set()
        return {"n": len(texts)}

    def postprocess(self, outputs):
        return [{"model_version": self.version}] * outputs["n"]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("AIP_STORAGE_URI", "MODEL_ARTIFACT_DIR", "AIP_LOAD_DELAY_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MODEL_RELOAD_SECONDS", "0")
    return monkeypatch


def serve(env: pytest.MonkeyPatch, hold: bool = False) -> TestClient:
    env.setattr(server.ModelState, "_fresh", lambda self, artifact_dir: StubPredictor(hold))
    return TestClient(server.create_app())


def wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 5
    while client.get("/health").status_code != 200:
        assert time.monotonic() < deadline, client.get("/health").json()
        time.sleep(0.01)


BAD_BODIES = {
    "lone surrogate": (b'{"instances": [{"text": "ok"}, {"text": "hi \\ud800"}]}', "instances[1]"),
    "integer over 4300 digits": (b'{"instances": [{"text": ' + b"9" * 5000 + b"}]}", "not JSON"),
    "100k nested brackets": (b'{"instances": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_bodies_are_400_naming_the_problem(env: pytest.MonkeyPatch, case: str) -> None:
    body, message = BAD_BODIES[case]
    with serve(env) as client:
        wait_ready(client)
        r = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text[:300]
    assert r.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert message in r.json()["error"]["message"]


def test_a_failed_pinned_load_is_retried(env: pytest.MonkeyPatch) -> None:
    downloads: list[Path] = []
    gcs_is_back = threading.Event()

    def fetch(uri: str, dest: Path) -> Path:
        downloads.append(dest)
        if len(downloads) < 3 or not gcs_is_back.wait(5):
            raise OSError("metadata server: timed out")
        return dest

    env.setenv("AIP_STORAGE_URI", "gs://models/persona-model/pm-test")
    env.setattr(server, "fetch_gcs", fetch)
    env.setattr(server, "LOAD_RETRY_SECONDS", (0.05, 0.1))
    with serve(env) as client:
        deadline = time.monotonic() + 5
        while (r := client.get("/health")).json()["error"]["code"] != "MODEL_LOAD_FAILED":
            assert time.monotonic() < deadline, r.json()
            time.sleep(0.01)
        assert r.status_code == 503
        assert r.json()["error"]["message"] == "OSError: metadata server: timed out"
        gcs_is_back.set()
        wait_ready(client)
        assert client.get("/health").json() == {"status": "ok", "model_version": "pm-test"}
    assert len(downloads) == 3
    assert not any(d.exists() for d in downloads[:2])  # failed downloads do not pile up


def test_health_does_not_wait_behind_a_batch(env: pytest.MonkeyPatch) -> None:
    with serve(env, hold=True) as client:
        wait_ready(client)
        predictor = client.app.state.model.predictor
        two = {"instances": [{"text": "a"}, {"text": "b"}]}
        batch = threading.Thread(target=client.post, args=("/predict",), kwargs={"json": two})
        batch.start()
        try:
            assert predictor.running.wait(5)
            assert client.get("/health").status_code == 200
            assert not predictor.finished.is_set()  # answered while the batch was still held
        finally:
            predictor.release.set()
            batch.join()
