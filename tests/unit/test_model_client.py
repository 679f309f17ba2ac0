"""The persona model client against a local HTTP server: timeout, circuit breaker, cache."""

import contextlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import google.auth
import pytest
from google.auth.credentials import Credentials

from common.analysis.with_model import analyze
from common.breaker import CircuitBreaker
from common.labels import INTENTS, PACES, PERSONA_IDS, TONES
from common.model_client import (
    ModelUnavailable,
    PersonaModelClient,
    PredictionCache,
    normalise,
    parse_prediction,
)
from tests.fakes.clock import FakeClock

HANG_GUARD = 10  # seconds a stand-in holds at most, so that a broken client fails, not hangs
TRICKLE_INTERVAL = 0.01  # between bytes: far within the client's 0.2 s read timeout
TRICKLE_BYTES = 1000  # 10 s in all: only the 0.4 s deadline on the whole call stops it


def _head(labels, top):
    return {
        "label": top,
        "probs": {x: 0.7 if x == top else 0.3 / (len(labels) - 1) for x in labels},
    }


def _prediction(text: str, version: str = "test-1") -> dict:
    crisis = "goodbye forever" in text
    return {
        "tone": _head(TONES, "sad" if crisis else "curious"),
        "pace": _head(PACES, "steady"),
        "intent": _head(INTENTS, "learning"),
        "persona": _head(PERSONA_IDS, "elro"),
        "crisis": {"probability": 0.99 if crisis else 0.01, "flag": crisis},
        "model_version": version,
    }


class Server:
    def __init__(self):
        self.mode = "ok"
        self.calls = 0
        self.version = "test-1"
        self.texts: list[str] = []  # what the model was asked to read
        self.auth: list[str | None] = []
        self.release = threading.Event()  # set as the test ends: "slow" and "trickle" finish
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.calls += 1
                outer.auth.append(self.headers.get("Authorization"))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.texts += [i["text"] for i in body["instances"]]
                if outer.mode == "slow":
                    outer.release.wait(HANG_GUARD)
                if outer.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                payload = (
                    {"nonsense": True}
                    if outer.mode == "garbage"
                    else {
                        "predictions": [
                            _prediction(i["text"], outer.version) for i in body["instances"]
                        ],
                        "deployedModelId": "local",
                    }
                )
                if outer.mode == "nan":  # a broken or proxied answer: json allows NaN
                    payload["predictions"][0]["tone"]["probs"]["sad"] = float("nan")
                data = json.dumps(payload).encode()
                pad = TRICKLE_BYTES if outer.mode == "trickle" else 0
                data = b" " * pad + data  # JSON allows leading spaces
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # "trickle": a valid answer, each byte well within the read timeout, the whole
                # far over the call's deadline; the rest is sent at once when the test ends.
                sent = 0
                while sent < pad and not outer.release.wait(TRICKLE_INTERVAL):
                    self.wfile.write(data[sent : sent + 1])
                    self.wfile.flush()
                    sent += 1
                self.wfile.write(data[sent:])

            def log_message(self, *args):
                pass

            def handle(self):
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()  # the client gave up on a slow answer, as it should

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/predict"


@pytest.fixture
def server():
    s = Server()
    yield s
    s.release.set()
    s.httpd.shutdown()


def _client(
    url, *, failures=2, reset=0.3, cache=16, max_age=60.0, google_auth=False, clock=time.monotonic
):
    return PersonaModelClient(
        url=url,
        timeout_seconds=0.2,
        breaker=CircuitBreaker(failures=failures, reset_seconds=reset, clock=clock),
        cache=PredictionCache(cache, max_age_seconds=max_age, clock=clock),
        google_auth=google_auth,
        clock=clock,
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


def test_cached_predictions_expire_so_a_new_model_is_seen(server):
    clock = FakeClock()
    client = _client(server.url, max_age=300, clock=clock)
    assert client.predict("hello").model_version == "test-1"
    server.version = "test-2"  # retrained, or the canary promoted
    clock.advance(300)
    assert client.predict("hello").model_version == "test-1"  # cached: not older than 300 s
    clock.advance(1)
    assert client.predict("hello").model_version == "test-2"
    assert server.calls == 2
    stats = client.health()["cache"]
    assert (stats["hits"], stats["misses"], stats["size"]) == (1, 2, 1)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("error", "HTTPStatusError"),
        ("slow", "Timeout"),  # the read timeout (or the deadline, on a loaded machine)
        ("garbage", "KeyError"),
        ("trickle", "TimeoutError: no answer within 0.4 s"),  # only the whole call's deadline
        ("nan", "not a probability"),
    ],
)
def test_failures_raise_model_unavailable(server, mode, reason):
    server.mode = mode
    with pytest.raises(ModelUnavailable, match=reason):
        _client(server.url).predict("anything")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.1, 1.5, "NaN", "0.5", True, None])
def test_a_prediction_that_is_no_probability_is_refused(bad):
    # Taken as one, it would rank the personas, be stored and be answered (a bare NaN in JSON,
    # which a phone's JSON.parse rejects); refused, the turn falls back to the baseline.
    for head in ("tone", "crisis"):
        raw = _prediction("hello")
        if head == "crisis":
            raw["crisis"]["probability"] = bad
        else:
            raw["tone"]["probs"]["sad"] = bad
        with pytest.raises((ValueError, TypeError)):
            parse_prediction(raw)
    assert parse_prediction(_prediction("hello")).tone.label == "curious"


@pytest.mark.parametrize("bad", ["false", "true", 0, 1, None])
def test_a_crisis_flag_that_is_no_boolean_is_refused(bad):
    # bool("false") is True: a misbehaving server would flag every turn as a crisis.
    raw = _prediction("hello")
    raw["crisis"]["flag"] = bad
    with pytest.raises(ValueError):
        parse_prediction(raw)


def test_the_circuit_opens_after_repeated_failures_and_recovers(server, caplog):
    clock = FakeClock()
    client = _client(server.url, failures=2, reset=30, clock=clock)
    server.mode = "error"
    with caplog.at_level("WARNING", logger="common.model_client"):
        for _ in range(2):
            with pytest.raises(ModelUnavailable):
                client.predict(f"x{_}")
    # the cause, logged once as the circuit opens (besides the failed call's own line)
    (opened,) = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert "use the baseline" in opened.getMessage() and "HTTPStatusError" in opened.getMessage()
    calls = server.calls
    with pytest.raises(ModelUnavailable, match="circuit open"):
        client.predict("y")
    assert server.calls == calls  # no request while open
    assert client.health()["circuit"] == "open"
    assert client.health()["last_error"] == "HTTPStatusError"
    server.mode = "ok"
    clock.advance(29.9)
    with pytest.raises(ModelUnavailable, match="circuit open"):
        client.predict("z")
    assert server.calls == calls  # still none before the reset period is over
    clock.advance(0.1)
    assert client.predict("z").tone.label == "curious"  # the half-open trial succeeds
    assert client.health()["circuit"] == "closed"


def test_failed_calls_are_logged_at_most_every_30_s_with_their_count(server, caplog):
    """A slow replica or a canary answering NaN fails some turns but never 3 in a row: the
    circuit stays closed and each turn fell back to the baseline without a line (the
    observability review); httpx logged the NaN answers as "200 OK"."""
    clock = FakeClock()
    client = _client(server.url, failures=3, reset=15, clock=clock)
    with caplog.at_level("WARNING", logger="common.model_client"):
        for turn in range(4):  # failures at 0, 10, 20 and 30 s, each between two good calls
            server.mode = "nan"
            with pytest.raises(ModelUnavailable):
                client.predict(f"failed {turn}")
            server.mode = "ok"
            client.predict(f"answered {turn}")
            clock.advance(10)
    assert client.health()["circuit"] == "closed"
    lines = [(r.levelname, r.error, r.endpoint, r.failures) for r in caplog.records]
    assert lines == [
        ("WARNING", "ValueError", server.url, 1),
        ("WARNING", "ValueError", server.url, 3),
    ]
    assert "persona model call failed (ValueError)" in caplog.records[0].getMessage()


def test_failures_held_back_are_told_once_the_model_answers_again(server, caplog):
    """Six failures in 25 s gave one line (failures: 1): the other five waited for a failure 30 s
    after it, and the endpoint recovered first: never told."""
    clock = FakeClock()
    client = _client(server.url, failures=99, reset=15, clock=clock)
    server.mode = "nan"
    with caplog.at_level("WARNING", logger="common.model_client"):
        for turn in range(6):  # at 0, 5, ... 25 s
            with pytest.raises(ModelUnavailable):
                client.predict(f"failed {turn}")
            clock.advance(5)
        server.mode = "ok"
        client.predict("answered at 30 s")
        client.predict("answered again")
    lines = [(r.levelname, r.failures) for r in caplog.records]
    assert lines == [("WARNING", 1), ("WARNING", 5)]
    assert caplog.records[1].getMessage().startswith("5 more persona model calls failed")
    assert caplog.records[1].endpoint == server.url


def test_a_good_call_within_30_s_of_the_last_line_leaves_the_count_to_the_next(server, caplog):
    # A flaky endpoint answers between its failures: a line each time it answers again would
    # undo the rate limit.
    clock = FakeClock()
    client = _client(server.url, failures=99, reset=15, clock=clock)
    with caplog.at_level("WARNING", logger="common.model_client"):
        for at in (0, 10):
            server.mode = "nan"
            with pytest.raises(ModelUnavailable):
                client.predict(f"failed at {at}")
            server.mode = "ok"
            client.predict(f"answered at {at}")
            clock.advance(10)
        assert [r.failures for r in caplog.records] == [1]  # the one at 10 s held back
        clock.advance(10)  # 30 s
        client.predict("answered at 30 s")
    assert [r.failures for r in caplog.records] == [1, 1]


def test_a_dead_endpoint_is_model_unavailable():
    client = _client("http://127.0.0.1:9/predict")
    with pytest.raises(ModelUnavailable, match="ConnectError"):
        client.predict("hello")


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
    # Full-width (CJK keyboards) and mathematical bold ("fancy text" apps) read as plain letters.
    assert normalise("\uff49 \uff57\uff41\uff4e\uff54\u3000\uff54\uff4f") == "i want to"
    assert normalise("\U0001d408 \U0001d430\U0001d41a\U0001d427\U0001d42d") == "i want"


def test_the_model_reads_compatibility_forms_as_plain_letters(server):
    client = _client(server.url)
    plain = "so this is goodbye forever"
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in plain)
    analysis, degraded = analyze(full_width, model=client)
    assert server.texts == [plain]
    assert (analysis.source, degraded, analysis.safety.crisis) == ("test-1", [], True)
    client.predict("SO THIS IS GOODBYE FOREVER")  # the same cache entry
    assert server.calls == 1
    client.predict("\ufdfa" * 300)  # NFKC makes each one 18 characters: cut to the limit
    assert len(server.texts[-1]) == 4000


def test_the_model_reads_typographic_quotes_as_plain_ones(server):
    """iOS "Smart Punctuation" sends ’ for ': the model was trained on ', and ’ and ' share a
    cache entry. ´ too, though NFKC alone would make it a space and an accent."""
    client = _client(server.url)
    analysis, _ = analyze("i can\u2019t do this, \u201cgoodbye forever\u201d", model=client)
    assert server.texts == ['i can\'t do this, "goodbye forever"']
    assert analysis.safety.crisis
    client.predict('i can\'t do this, "goodbye forever"')
    analyze("i can\u00b4t do this, \u201egoodbye forever\u201f", model=client)
    assert server.calls == 1


def test_the_model_reads_dictation_as_typed(server):
    """A spoken "period" hid a crisis from the model too: "i took them all period" scored
    0.196, under its threshold, "i took them all." 0.304 (the dictation review)."""
    client = _client(server.url)
    client.predict("i took them all period")
    client.predict("um so this is goodbye forever full stop")
    assert server.texts == ["i took them all.", "so this is goodbye forever."]


class SlowCredentials(Credentials):
    """A service account whose token fetch waits until the test sets `released` (a slow
    metadata server)."""

    def __init__(self, token: str | None, expires_in: timedelta) -> None:
        super().__init__()
        self.token = token
        self.expiry = _naive_utc() + expires_in
        self.refreshes = 0
        self.released = threading.Event()
        self.refreshed = threading.Event()

    def refresh(self, request) -> None:
        self.released.wait(HANG_GUARD)
        self.refreshes += 1
        self.token, self.expiry = f"token-{self.refreshes}", _naive_utc() + timedelta(hours=1)
        self.refreshed.set()


def _naive_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # google-auth compares naive UTC expiries


def test_a_slow_token_fetch_is_bounded_by_the_timeout_and_opens_the_circuit(server, monkeypatch):
    credentials = SlowCredentials(None, timedelta(0))
    monkeypatch.setattr(google.auth, "default", lambda scopes: (credentials, "demo-ion"))
    client = _client(server.url, failures=2, reset=30, google_auth=True)
    try:
        for attempt in range(2):
            with pytest.raises(ModelUnavailable, match="TimeoutError: no answer within"):
                client.predict(f"hello {attempt}")
        assert credentials.refreshes == 0  # both gave up while the fetch was still held
        assert client.health()["circuit"] == "open"  # the chat path now falls back at once
        assert server.calls == 0
    finally:
        credentials.released.set()


def test_a_token_near_expiry_is_refreshed_without_holding_up_calls(server, monkeypatch):
    credentials = SlowCredentials("token-0", timedelta(minutes=1))
    monkeypatch.setattr(google.auth, "default", lambda scopes: (credentials, "demo-ion"))
    client = _client(server.url, google_auth=True)
    try:
        client.predict("hello")  # the token still works: sent while a new one is fetched
        assert credentials.refreshes == 0  # answered while the fetch was still held
    finally:
        credentials.released.set()
    assert server.auth == ["Bearer token-0"]
    assert credentials.refreshed.wait(HANG_GUARD)
    client.predict("hello again")
    assert server.auth[-1] == "Bearer token-1"


def test_a_prepared_client_has_its_token_before_the_first_call(server, monkeypatch):
    credentials = SlowCredentials(None, timedelta(0))
    monkeypatch.setattr(google.auth, "default", lambda scopes: (credentials, "demo-ion"))
    client = _client(server.url, google_auth=True)
    client.prepare()  # as the instance starts
    credentials.released.set()  # the metadata server answers
    assert credentials.refreshed.wait(HANG_GUARD)
    client.predict("the first message")  # not a fallback: the token is there
    assert server.auth == ["Bearer token-1"]
    assert credentials.refreshes == 1  # the call itself fetched nothing


def test_the_failure_that_opens_the_circuit_is_the_only_one_that_says_so():
    # What the client logs the cause on: once per outage, however many threads fail at once.
    clock = FakeClock()
    breaker = CircuitBreaker(failures=2, reset_seconds=30, clock=clock)
    assert [breaker.failure() for _ in range(3)] == [False, True, False]
    clock.advance(30)
    assert breaker.allow() and breaker.failure() is False  # a failed trial: open already
    breaker.success()
    assert [breaker.failure() for _ in range(2)] == [False, True]


def test_healthz_asks_the_model_where_it_has_no_health_route(server, monkeypatch):
    """Production (Vertex AI) has no health URL: /healthz reported the instance's breaker, which
    says nothing on a fresh instance and "half open", so ok, 15 s after its last failed turn,
    however long the model stays down. The probe asks the model, past the cache."""
    from common import clients, health
    from common.config import Settings

    monkeypatch.setattr(health, "PROBE_SECONDS", 0.0)  # every check asks (see test_health)
    clock = FakeClock()
    client = _client(server.url, failures=1, reset=15, clock=clock)
    monkeypatch.setattr(clients, "persona_model", lambda: client)
    monkeypatch.setattr(clients, "session_store", lambda: Ping())
    monkeypatch.setattr(clients, "event_publisher", lambda: Ping())
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("BIGQUERY_EMULATOR_HOST", raising=False)
    settings = Settings(model_health_url=None)

    def model_health() -> tuple[bool, list[str]]:
        report = health.check_all(settings)
        return report["dependencies"]["persona_model"]["ok"], report["degraded"]

    assert model_health() == (True, [])
    server.mode = "error"
    with pytest.raises(ModelUnavailable):  # a turn finds the model down: the circuit opens
        client.predict("should I take the offer?")
    clock.advance(16)  # no turn since: the breaker alone would say "half open"
    assert model_health() == (False, ["persona_model"])
    server.mode = "ok"
    clock.advance(16)
    assert model_health() == (True, [])
    assert client.breaker.state == "half_open"  # the probes count for the turns' circuit not
    assert server.texts.count("health check") == 3 and client.cache.stats()["size"] == 0


class Ping:
    def ping(self) -> None: ...


def test_cache_keys_take_the_same_room_whatever_the_message_length():
    cache = PredictionCache(4)
    long_text = normalise("长" * 4000)
    cache.put(long_text, parse_prediction(_prediction("x")))
    assert cache.get(long_text) is not None and cache.get(normalise("长" * 3999)) is None
    assert [len(k) for k in cache._items] == [32]
