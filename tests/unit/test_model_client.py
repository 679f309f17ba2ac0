"""The persona model client against a local HTTP server: timeout, circuit breaker, cache."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from common.analysis.with_model import analyze
from common.breaker import CircuitBreaker
from common.labels import INTENTS, PACES, PERSONA_IDS, TONES
from common.model_client import (
    ModelUnavailable,
    PersonaModelClient,
    PredictionCache,
    normalise,
)


def _head(labels, top):
    return {
        "label": top,
        "probs": {x: 0.7 if x == top else 0.3 / (len(labels) - 1) for x in labels},
    }


def _prediction(text: str) -> dict:
    crisis = "goodbye forever" in text
    return {
        "tone": _head(TONES, "sad" if crisis else "curious"),
        "pace": _head(PACES, "steady"),
        "intent": _head(INTENTS, "learning"),
        "persona": _head(PERSONA_IDS, "elro"),
        "crisis": {"probability": 0.99 if crisis else 0.01, "flag": crisis},
        "model_version": "test-1",
    }


class Server:
    def __init__(self):
        self.mode = "ok"
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.calls += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if outer.mode == "slow":
                    time.sleep(0.5)
                if outer.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                payload = (
                    {"nonsense": True}
                    if outer.mode == "garbage"
                    else {
                        "predictions": [_prediction(i["text"]) for i in body["instances"]],
                        "deployedModelId": "local",
                    }
                )
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/predict"


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()


def _client(url, *, failures=2, reset=0.3, cache=16):
    return PersonaModelClient(
        url=url,
        timeout_seconds=0.2,
        breaker=CircuitBreaker(failures=failures, reset_seconds=reset),
        cache=PredictionCache(cache),
    )


def test_prediction_is_parsed_into_distributions(server):
    p = _client(server.url).predict("How does a B-tree work?")
    assert (p.tone.label, p.intent.label, p.persona.label) == ("curious", "learning", "elro")
    assert abs(sum(p.tone.probs.values()) - 1) < 1e-9
    assert p.model_version == "test-1" and p.crisis_flag is False


def test_repeated_text_is_served_from_the_cache(server):
    client = _client(server.url)
    client.predict("Hello there")
    client.predict("  hello   THERE ")
    assert server.calls == 1
    stats = client.health()["cache"]
    assert (stats["hits"], stats["misses"], stats["hit_rate"]) == (1, 1, 0.5)


def test_the_cache_is_bounded_lru(server):
    client = _client(server.url, cache=2)
    for text in ("a1", "a2", "a1", "a3", "a1"):
        client.predict(text)
    assert server.calls == 3  # a2 was evicted, a1 stayed hot
    assert client.health()["cache"]["size"] == 2


@pytest.mark.parametrize("mode", ["error", "slow", "garbage"])
def test_failures_raise_model_unavailable(server, mode):
    server.mode = mode
    with pytest.raises(ModelUnavailable):
        _client(server.url).predict("anything")


def test_the_circuit_opens_after_repeated_failures_and_recovers(server):
    client = _client(server.url, failures=2, reset=0.3)
    server.mode = "error"
    for _ in range(2):
        with pytest.raises(ModelUnavailable):
            client.predict(f"x{_}")
    calls = server.calls
    with pytest.raises(ModelUnavailable, match="circuit open"):
        client.predict("y")
    assert server.calls == calls  # no request while open
    assert client.health()["circuit"] == "open"
    server.mode = "ok"
    time.sleep(0.35)
    assert client.predict("z").tone.label == "curious"  # the half-open trial succeeds
    assert client.health()["circuit"] == "closed"


def test_a_dead_endpoint_fails_fast():
    client = _client("http://127.0.0.1:9/predict")
    started = time.perf_counter()
    with pytest.raises(ModelUnavailable):
        client.predict("hello")
    assert time.perf_counter() - started < 2  # generous: only a hang would fail this


def test_analysis_uses_the_model_and_falls_back_to_the_baseline(server):
    client = _client(server.url)
    analysis, degraded = analyze("How does a B-tree work?", model=client)
    assert (analysis.source, degraded) == ("test-1", [])
    assert analysis.persona.label == "elro"
    server.mode = "error"
    analysis, degraded = analyze("My build fails and the demo is in an hour!!", model=client)
    assert (analysis.source, degraded) == ("baseline", ["persona_model"])
    assert analysis.persona is None


def test_crisis_is_the_model_flag_or_the_patterns(server):
    client = _client(server.url)
    assert analyze("so this is goodbye forever", model=client)[0].safety.crisis
    # The model says no, the high-precision patterns say yes: crisis.
    assert analyze("I want to kill myself", model=client)[0].safety.crisis
    assert not analyze("this deadline is killing me", model=client)[0].safety.crisis


def test_normalise():
    assert normalise("  Hello\n  World ") == "hello world"
