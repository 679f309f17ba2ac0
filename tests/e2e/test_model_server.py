"""The persona model server, end to end: a fresh `python -m model_serving.server` process (in
.venv-model, with the real CURRENT artifact) on a free port, spoken to over HTTP like the chat
path and Vertex AI do. It needs neither the local stack nor onnxruntime in this venv."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from common.labels import INTENTS, PACES, PERSONA_IDS, TONES

ROOT = Path(__file__).resolve().parents[2]
MODEL_PYTHON = ROOT / ".venv-model" / "bin" / "python"
CURRENT = ROOT / "model_serving" / "artifacts" / "CURRENT"
HEALTH = "/v1/health"  # not the defaults: proves the routes come from AIP_* at app creation
PREDICT = "/v1/models/persona:predict"
LABELS = {"tone": TONES, "pace": PACES, "intent": INTENTS, "persona": PERSONA_IDS}
MESSAGES = [
    "this deadline is killing me",
    "GOT THE JOB!!! 🎉🎉",
    "how does a hash map actually work under the hood?",
    "should I take the startup offer or stay at the bank?",
    "i just want to sleep and not wake up",
    "ok tried it, now what",
    "can you look at my portfolio site and tell me what you think",
    "I can't make myself start the thesis, I've been staring at it for weeks",
    "my manager moved the deadline to tomorrow and nothing compiles!!",
    "lately I've been wondering if I even like coding anymore",
    "kill the process and restart it, that's what the docs say",
    "thanks, that helped a lot",
]


@pytest.fixture(scope="module", autouse=True)
def running_stack() -> None:
    """Overrides the e2e suite's check for the local stack: this module starts its own server."""


@dataclass
class Server:
    url: str
    version: str
    proc: subprocess.Popen
    early: list[tuple[float, int, dict]] = field(default_factory=list)
    early_predict: tuple[int, dict] | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if not MODEL_PYTHON.exists():
        pytest.fail(
            f"{MODEL_PYTHON} is missing: create it with `python3 -m venv .venv-model && "
            ".venv-model/bin/pip install -r model_serving/requirements-train.txt`"
        )
    if not CURRENT.exists():
        pytest.fail(
            "no trained persona model (model_serving/artifacts/CURRENT is missing): run "
            "`.venv-model/bin/python -m model_serving.train` first (make test does)"
        )
    port = free_port()
    env = {
        **os.environ,
        "AIP_HTTP_PORT": str(port),
        "AIP_HEALTH_ROUTE": HEALTH,
        "AIP_PREDICT_ROUTE": PREDICT,
        "AIP_DEPLOYED_MODEL_ID": "e2e-test-model",
        "AIP_LOAD_DELAY_SECONDS": "1.5",  # long enough to see the 503 phase for sure
    }
    env.pop("MODEL_ARTIFACT_DIR", None)
    log = tempfile.NamedTemporaryFile("w+", prefix="model-server-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [str(MODEL_PYTHON), "-m", "model_serving.server", "--host", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    srv = Server(url=url, version=CURRENT.read_text().strip(), proc=proc)
    try:
        with httpx.Client(base_url=url, timeout=5) as client:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    log.seek(0)
                    pytest.fail(f"the model server exited early:\n{log.read()[-3000:]}")
                try:
                    r = client.get(HEALTH)
                except httpx.TransportError:
                    time.sleep(0.05)
                    continue
                srv.early.append((time.monotonic(), r.status_code, r.json()))
                if r.status_code == 200:
                    break
                if srv.early_predict is None:
                    p = client.post(PREDICT, json={"instances": [{"text": "hello"}]})
                    srv.early_predict = (p.status_code, p.json())
                time.sleep(0.05)
            else:
                log.seek(0)
                pytest.fail(f"the model server never became healthy:\n{log.read()[-3000:]}")
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        os.unlink(log.name)


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def predict(client: httpx.Client, texts: list[str]) -> dict:
    r = client.post(PREDICT, json={"instances": [{"text": t} for t in texts]})
    assert r.status_code == 200, r.text
    return r.json()


# --- health --------------------------------------------------------------------------------------


def test_health_is_503_while_loading_then_200(server: Server, client: httpx.Client) -> None:
    statuses = [status for _, status, _ in server.early]
    assert statuses[0] == 503, statuses
    assert statuses[-1] == 200
    _, _, body = server.early[0]
    assert body["error"]["code"] == "UNAVAILABLE"
    assert server.early_predict is not None
    status, body = server.early_predict
    assert status == 503 and body["error"]["code"] == "UNAVAILABLE"
    r = client.get(HEALTH)
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "model_version": server.version}


def test_routes_come_from_the_environment(client: httpx.Client) -> None:
    assert client.get("/health").status_code == 404
    r = client.post("/predict", json={"instances": [{"text": "hi"}]})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "NOT_FOUND"


# --- predictions ---------------------------------------------------------------------------------


def check_prediction(p: dict, version: str) -> None:
    for head, labels in LABELS.items():
        assert set(p[head]["probs"]) == set(labels), head
        assert p[head]["label"] in labels
        assert abs(sum(p[head]["probs"].values()) - 1) < 1e-6, head
        assert p[head]["label"] == max(p[head]["probs"], key=p[head]["probs"].get)
        assert all(0 <= v <= 1 for v in p[head]["probs"].values())
    assert 0 <= p["crisis"]["probability"] <= 1
    assert isinstance(p["crisis"]["flag"], bool)
    assert p["model_version"] == version


def test_predict_one(server: Server, client: httpx.Client) -> None:
    body = predict(client, ["ugh it broke again"])
    assert body["deployedModelId"] == "e2e-test-model"
    assert len(body["predictions"]) == 1
    check_prediction(body["predictions"][0], server.version)


def test_batch_of_64_keeps_order(server: Server, client: httpx.Client) -> None:
    texts = [f"{m} ({i})" if i >= len(MESSAGES) else m for i, m in enumerate(MESSAGES * 6)][:64]
    texts[-1] = "a much longer message " * 40  # lengths vary a lot inside one batch
    batch = predict(client, texts)["predictions"]
    assert len(batch) == 64
    for text, got in zip(texts, batch, strict=True):
        check_prediction(got, server.version)
        alone = predict(client, [text])["predictions"][0]
        for head in LABELS:
            assert got[head]["label"] == alone[head]["label"], (text, head)
            for label, p in alone[head]["probs"].items():
                assert abs(got[head]["probs"][label] - p) < 1e-5, (text, head, label)
        assert abs(got["crisis"]["probability"] - alone["crisis"]["probability"]) < 1e-5
        assert got["crisis"]["flag"] == alone["crisis"]["flag"]


def test_known_examples_get_sensible_labels(client: httpx.Client) -> None:
    texts = [
        "i've written letters to everyone and given my cat to my sister. i won't be here next week",
        "this deadline is killing me",
        "how does a hash map actually work under the hood?",
        "should I take the startup offer or stay at the bank?",
        "GOT THE JOB!!! 🎉🎉 starting monday",
    ]
    crisis, deadline, hashmap, offer, job = predict(client, texts)["predictions"]
    assert crisis["crisis"]["flag"] is True
    assert crisis["persona"]["label"] == "lua"
    assert deadline["crisis"]["flag"] is False
    assert hashmap["intent"]["label"] == "learning"
    assert offer["intent"]["label"] == "decision_making"
    assert job["tone"]["label"] == "excited"


# --- bad requests --------------------------------------------------------------------------------

BAD_BODIES: dict[str, bytes] = {
    "not json": b"{instances: nope",
    "not utf-8": b'{"instances": [{"text": "\xff\xfe"}]}',
    "json array": b'[{"text": "hi"}]',
    "json string": b'"hello"',
    "no instances": b'{"inputs": [{"text": "hi"}]}',
    "instances not a list": b'{"instances": {"text": "hi"}}',
    "empty instances": b'{"instances": []}',
    "too many instances": json.dumps({"instances": [{"text": "hi"}] * 65}).encode(),
    "instance not an object": b'{"instances": ["hi"]}',
    "missing text": b'{"instances": [{"message": "hi"}]}',
    "text is a number": b'{"instances": [{"text": 42}]}',
    "text is null": b'{"instances": [{"text": null}]}',
    "text is a list": b'{"instances": [{"text": ["hi"]}]}',
    "empty text": b'{"instances": [{"text": ""}]}',
    "blank text": b'{"instances": [{"text": "   \\n "}]}',
    "text too long": json.dumps({"instances": [{"text": "x" * 4001}]}).encode(),
    "one bad among good": json.dumps(
        {"instances": [{"text": "fine"}, {"text": ""}, {"text": "fine too"}]}
    ).encode(),
    "huge body": json.dumps({"instances": [{"text": "y" * 4000}], "pad": "z" * 4_000_000}).encode(),
    # The tokenizer cannot take a lone surrogate; json.loads refuses these two with other errors.
    "lone surrogate": b'{"instances": [{"text": "fine"}, {"text": "hi \\ud800"}]}',
    "integer over 4300 digits": b'{"instances": [{"text": ' + b"9" * 5000 + b"}]}",
    "100k nested brackets": b'{"instances": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_requests_are_400_with_a_json_error(client: httpx.Client, case: str) -> None:
    r = client.post(PREDICT, content=BAD_BODIES[case], headers={"Content-Type": "application/json"})
    assert r.status_code == 400, (case, r.status_code, r.text[:200])
    error = r.json()["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert isinstance(error["message"], str) and error["message"]


def test_exactly_64_instances_of_4000_chars_are_fine(client: httpx.Client) -> None:
    body = predict(client, ["word " * 800] * 64)
    assert len(body["predictions"]) == 64


def test_server_still_healthy_after_errors(client: httpx.Client) -> None:
    assert client.get(HEALTH).status_code == 200
