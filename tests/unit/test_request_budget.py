"""Each signed-in user's requests an instance takes: a token bucket per uid, in memory
(common/ratelimit.py), checked where every signed-in request passes (common/edge.py). The
abuse review: one user could fill a function's shared request slots (chat 80 at once) and run
up reads (an export of a 2,000-turn account: 2,008 reads) with nothing but the turn limits in
the way."""

from __future__ import annotations

import json
from types import ModuleType, SimpleNamespace

import flask
import pytest

from common import after_answer, clients, edge
from common.adapters.firestore_sessions import FirestoreSessionStore
from common.analysis import safety
from common.analysis.with_model import MODEL_DOWN
from common.auth import Caller
from common.chat import service
from common.config import Settings, get_settings
from common.ratelimit import TokenBuckets
from common.safety import crisis_reply, resources_for
from tests.fakes import turns
from tests.fakes.clock import FakeClock
from tests.fakes.firestore_rpc import FirestoreRpc
from tests.fakes.functions import load_main

SESSION = "5d41402abc4b2a76b9719d911017c592"
CRISIS = "I want to kill myself tonight."
app = flask.Flask(__name__)


# --- The bucket --------------------------------------------------------------------------------


def test_a_burst_then_the_rate_and_a_refusal_says_how_long_to_wait():
    clock = FakeClock()
    buckets = TokenBuckets(rate=10, burst=40, clock=clock)
    assert [buckets.take("a") for _ in range(40)] == [0.0] * 40
    assert buckets.take("a") == pytest.approx(0.1)
    clock.advance(0.05)
    assert buckets.take("a") == pytest.approx(0.05)  # half a token back: half the wait left
    clock.advance(0.05)
    assert buckets.take("a") == 0.0  # a refused request took nothing
    assert buckets.take("a") == pytest.approx(0.1)


def test_keys_have_buckets_of_their_own_and_an_idle_one_refills_only_to_its_burst():
    clock = FakeClock()
    buckets = TokenBuckets(rate=1 / 60, burst=2, clock=clock)  # the export's defaults
    assert (buckets.take("a"), buckets.take("a")) == (0.0, 0.0)
    assert buckets.take("a") == pytest.approx(60)
    assert buckets.take("b") == 0.0
    clock.advance(3600)  # an hour idle: two requests at once again, not 60
    assert [buckets.take("a") > 0 for _ in range(3)] == [False, False, True]


def test_the_buckets_are_bounded_and_the_least_recently_used_goes_first():
    clock = FakeClock()
    buckets = TokenBuckets(rate=1, burst=1, max_keys=3, clock=clock)
    for key in ("a", "b", "c"):
        assert buckets.take(key) == 0.0
    assert buckets.take("a") > 0  # "a" is now the most recently used
    assert buckets.take("d") == 0.0
    assert len(buckets) == 3
    assert buckets.take("a") > 0  # kept: its bucket is still empty
    assert buckets.take("b") == 0.0  # dropped, so full again (as it would be a second later)


def test_the_instances_buckets_are_the_settings():
    settings = get_settings()
    requests, exports = clients.request_budget(), clients.export_budget()
    assert (requests._rate, requests._burst) == (
        settings.user_requests_per_second,
        settings.user_request_burst,
    )
    assert (exports._rate * 60, exports._burst) == (
        pytest.approx(settings.exports_per_minute),
        settings.export_burst,
    )
    defaults = Settings()
    assert (defaults.user_requests_per_second, defaults.user_request_burst) == (10, 40)
    assert (defaults.exports_per_minute, defaults.export_burst) == (1, 2)


# --- Through the functions, in process --------------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The real sign-in path, a token naming its user (`operator` for an operator), and the
    instance's buckets at their default sizes on a clock the test moves."""
    clock, defaults = FakeClock(), Settings()
    verifier = type(
        "Verifier",
        (),
        {
            "verify": lambda self, token: Caller(
                uid=token, claims={"role": "operator"} if token == "operator" else {}
            )
        },
    )()
    monkeypatch.setattr(edge, "token_verifier", lambda: verifier)
    requests = TokenBuckets(
        rate=defaults.user_requests_per_second, burst=defaults.user_request_burst, clock=clock
    )
    exports = TokenBuckets(
        rate=defaults.exports_per_minute / 60, burst=defaults.export_burst, clock=clock
    )
    monkeypatch.setattr(edge, "request_budget", lambda: requests)
    monkeypatch.setattr(edge, "export_budget", lambda: exports)
    return clock


@pytest.fixture(scope="module")
def chat() -> ModuleType:
    return load_main("chat")


@pytest.fixture
def sessions(chat: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    out = turns.session_out(SESSION)
    monkeypatch.setattr(clients, "session_store", lambda: None)
    monkeypatch.setattr(service, "get_session", lambda **_: out)


def _call(
    function: ModuleType, entry: str, path: str, user: str, headers: dict | None = None, **kw
) -> flask.Response:
    headers = {"Authorization": f"Bearer {user}", **(headers or {})}
    with app.test_request_context(path, headers=headers, **kw):
        return getattr(function, entry)(flask.request)


def _refused(r: flask.Response, retry_after: str) -> bool:
    error = r.get_json()["error"]
    return (r.status_code, error["code"], r.headers["Retry-After"]) == (
        429,
        "rate_limited",
        retry_after,
    )


def test_past_the_burst_a_users_request_is_a_429_and_other_users_go_on(chat, sessions, clock):
    burst = Settings().user_request_burst
    path = f"/v2/sessions/{SESSION}"
    assert [_call(chat, "chat", path, "u1").status_code for _ in range(burst)] == [200] * burst
    refused = _call(chat, "chat", path, "u1")
    assert _refused(refused, "1")  # 0.1 s to the next token, rounded up
    assert refused.get_json()["error"]["message"]
    assert _call(chat, "chat", path, "u2").status_code == 200
    clock.advance(0.1)
    assert _call(chat, "chat", path, "u1").status_code == 200  # the rate refills it
    assert _refused(_call(chat, "chat", path, "u1"), "1")


@pytest.fixture
def turn_rpc(chat: ModuleType, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The chat function's turns over Firestore's RPCs (`rpc.calls` counts them) and the real
    adapter, with the model's analyses counted (`analyses`)."""
    rpc, analyses = FirestoreRpc(), []
    store = FirestoreSessionStore(rpc.client, settings=Settings())

    def analyze(text: str):
        analyses.append(text)
        return turns.analyze_offline(text)

    ports = turns.turn_ports(store, outbox=store, analyze=analyze)
    monkeypatch.setattr(chat, "turn_ports", lambda: ports)
    return SimpleNamespace(rpc=rpc, analyses=analyses, publisher=ports["publisher"])


def _final(r: flask.Response) -> tuple[list[str], dict]:
    """A streamed turn's tokens and its final event."""
    events = [block.split("\n", 1) for block in r.get_data(as_text=True).strip().split("\n\n")]
    tokens = [json.loads(data[6:])["text"] for kind, data in events if kind == "event: token"]
    assert events[-1][0] == "event: final"
    return tokens, json.loads(events[-1][1][6:])


@pytest.mark.parametrize("stream", [False, True])
def test_past_a_spent_budget_a_crisis_gets_the_resources_with_nothing_read_or_stored(
    chat, turn_rpc, clock, stream
):
    # The abuse review: crisis words went through a spent budget into a whole turn, each a
    # context read and a model analysis: 2,000 requests in a row all passed.
    for _ in range(Settings().user_request_burst):
        edge.within_budget("u1")
    calm = {"client_turn_id": "t1", "message": "How do I plan my week?", "stream": stream}
    assert _refused(_call(chat, "chat", "/v2/chat/turns", "u1", method="POST", json=calm), "1")
    crisis = {"client_turn_id": "t2", "message": CRISIS, "stream": stream}
    r = _call(chat, "chat", "/v2/chat/turns", "u1", method="POST", json=crisis)
    reply = crisis_reply(resources_for(None, default_locale=Settings().safety_default_locale))
    if stream:
        tokens, said = _final(r)
        assert r.status_code == 200 and tokens == [reply]
    else:
        said = r.get_json()
        assert r.status_code == 201 and r.headers["Idempotent-Replayed"] == "false"
    assert said["reply"] == reply and said["safety"]["crisis"] is True
    assert said["safety"]["resources"] and said["persona"]["id"] == "lua"
    # The lexicon read it, not the model (as past the analysis caps), and it was not stored.
    assert said["degraded"] == [MODEL_DOWN, service.NOT_STORED]
    assert turn_rpc.rpc.calls == {} and turn_rpc.analyses == []
    # Its crisis event, straight to Pub/Sub (nothing is written), inside the request (streamed:
    # the body ends once the turn's thread has): none is left for after the answer.
    (event,) = turn_rpc.publisher.events
    assert event.type == "safety.crisis_detected" and event.data["stored"] is False
    r.close()
    assert after_answer.wait_settled() and len(turn_rpc.publisher.events) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_a_crisis_past_a_spent_budget_is_scanned_once(chat, turn_rpc, clock, monkeypatch, stream):
    # The regex review: the budget's check and the crisis reply's reading each scanned it.
    scanned, scan = [], safety.matched_patterns
    monkeypatch.setattr(safety, "matched_patterns", lambda t: scanned.append(t) or scan(t))
    for _ in range(Settings().user_request_burst):
        edge.within_budget("u1")
    crisis = {"client_turn_id": "t2", "message": CRISIS, "stream": stream}
    r = _call(chat, "chat", "/v2/chat/turns", "u1", method="POST", json=crisis)
    said = _final(r)[1] if stream else r.get_json()
    assert said["safety"]["crisis"] is True and len(scanned) == 1


def test_a_legacy_crisis_past_a_spent_budget_gets_the_resources_with_nothing_read(
    chat, turn_rpc, clock
):
    for _ in range(Settings().user_request_burst):
        edge.within_budget("u1")
    legacy = {"userId": "u1", "message": CRISIS, "conversationHistory": []}
    german = {"Accept-Language": "de-DE"}
    r = _call(chat, "chat", "/api/chat/enhanced", "u1", german, method="POST", json=legacy)
    # in the message's language (English), around Germany's lines
    reply = crisis_reply(resources_for("de-DE", default_locale="en-US"), language="en")
    assert r.status_code == 200 and r.get_json()["response"] == reply
    assert r.get_json()["safety"]["crisis"] is True
    assert r.get_json()["degraded"] == [MODEL_DOWN, service.NOT_STORED]
    assert turn_rpc.rpc.calls == {} and turn_rpc.analyses == []


def test_with_budget_left_a_crisis_turn_is_read_analysed_and_stored(chat, turn_rpc, clock):
    crisis = {"client_turn_id": "t2", "message": CRISIS}
    r = _call(chat, "chat", "/v2/chat/turns", "u1", method="POST", json=crisis)
    said = r.get_json()
    assert r.status_code == 201 and said["safety"]["crisis"] is True
    assert said["degraded"] == []
    assert turn_rpc.analyses == [CRISIS]
    assert turn_rpc.rpc.calls["batch_get_documents"] == 1 and turn_rpc.rpc.stored_turns() == 1


def test_a_third_export_within_a_minute_is_a_429_until_the_bucket_refills(monkeypatch, clock):
    profile = load_main("profile")
    monkeypatch.setattr(clients, "profile_store", lambda: None)
    monkeypatch.setattr(profile.service, "export_profile", lambda **_: {"uid": "u1"})
    path = "/v2/profile/export"
    assert [_call(profile, "profile", path, "u1").status_code for _ in range(2)] == [200, 200]
    assert _refused(_call(profile, "profile", path, "u1"), "60")
    assert _call(profile, "profile", path, "u2").status_code == 200
    clock.advance(60)
    assert _call(profile, "profile", path, "u1").status_code == 200


def test_operators_insights_requests_are_not_counted(monkeypatch, clock):
    insights = load_main("insights")
    many = Settings().user_request_burst + 10
    statuses = {
        _call(insights, "insights", "/v2/insights/metrics", "operator").status_code
        for _ in range(many)
    }
    assert statuses == {200}
