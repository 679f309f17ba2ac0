"""The chat function's HTTP answers, in process (no stack): /healthz's 503, the sessions ETag,
a streamed replay's header, what the legacy endpoint accepts and the turns page's bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import ModuleType

import flask
import pytest

from common import after_answer, clients, edge
from common.auth import Caller
from common.chat import service
from common.chat.models import TurnPage
from scripts.function_client import function_client
from tests.fakes import turns
from tests.fakes.functions import load_main

UID = "u1"
SESSION = "5d41402abc4b2a76b9719d911017c592"
app = flask.Flask(__name__)


@pytest.fixture(scope="module")
def chat() -> ModuleType:
    return load_main("chat")


@pytest.fixture
def signed_in(chat: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "authenticate", lambda request, **_: Caller(uid=UID))


def _call(chat: ModuleType, path: str, method: str = "GET", **kw) -> flask.Response:
    with app.test_request_context(path, method=method, **kw):
        return chat.chat(flask.request)


# --- /healthz ------------------------------------------------------------------------------

DEGRADED = {
    "status": "degraded",
    "dependencies": {"persona_model": {"ok": False, "error": "ConnectError"}},
    "degraded": ["persona_model"],
}


def test_a_degraded_healthz_is_a_503_with_its_report_and_retry_after(chat, monkeypatch):
    monkeypatch.setattr(chat, "check_all", lambda settings: DEGRADED)
    r = _call(chat, "/healthz")
    assert r.status_code == 503
    assert r.get_json() == DEGRADED  # the report the uptime check reads, not the error shape
    assert r.headers["Retry-After"] == str(chat.HEALTH_RETRY_AFTER)


@pytest.mark.parametrize("down", [["pubsub"], ["bigquery"], ["bigquery", "pubsub"]])
def test_healthz_is_a_200_naming_what_waits_while_only_background_work_is_down(
    chat, monkeypatch, down
):
    # Events wait in the outbox and insights are operators': a 503 for them counted the uptime
    # checks' probes in the API's 5xx ratio at night, with every user's turn answered.
    deps = {"firestore": {"ok": True}} | {name: {"ok": False, "error": "Timeout"} for name in down}
    report = {"status": "degraded", "dependencies": deps, "degraded": ["insights"]}
    monkeypatch.setattr(chat, "check_all", lambda settings: report)
    r = _call(chat, "/healthz")
    assert (r.status_code, r.get_json()) == (200, report)
    assert "Retry-After" not in r.headers
    # with a dependency users need down as well, it is a 503 again
    deps["firestore"] = {"ok": False, "error": "Timeout"}
    assert _call(chat, "/healthz").status_code == 503


def test_a_healthy_healthz_is_a_200_without_retry_after(chat, monkeypatch):
    report = {"status": "ok", "dependencies": {}, "degraded": []}
    monkeypatch.setattr(chat, "check_all", lambda settings: report)
    r = _call(chat, "/healthz")
    assert (r.status_code, r.get_json()) == (200, report)
    assert "Retry-After" not in r.headers


# --- GET /v2/sessions/{id}: ETag and 304 ----------------------------------------------------


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch, signed_in: None) -> None:
    out = turns.session_out(SESSION)
    monkeypatch.setattr(clients, "session_store", lambda: None)
    monkeypatch.setattr(service, "get_session", lambda **_: out)


def _get_session(chat: ModuleType, if_none_match: str | None = None) -> flask.Response:
    headers = {"If-None-Match": if_none_match} if if_none_match else {}
    return _call(chat, f"/v2/sessions/{SESSION}", headers=headers)


def test_a_session_has_an_etag_and_is_private(chat, session):
    r = _get_session(chat)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "private, no-cache"
    assert r.headers["ETag"].startswith('"')


@pytest.mark.parametrize("form", ['"{}"', 'W/"{}"', '"other", W/"{}"', "*"])
def test_a_matching_etag_strong_or_weak_is_a_304_with_the_same_headers(chat, session, form):
    etag = _get_session(chat).headers["ETag"].strip('"')
    r = _get_session(chat, form.format(etag))
    assert r.status_code == 304
    assert r.get_data() == b""
    assert r.headers["ETag"] == f'"{etag}"'
    assert r.headers["Cache-Control"] == "private, no-cache"


def test_another_etag_gets_the_session(chat, session):
    assert _get_session(chat, 'W/"0123"').status_code == 200


# --- POST /v2/chat/turns with "stream": true ----------------------------------------------

REPLY = {"session_id": SESSION, "reply": "Stored reply."}


def _stream(chat: ModuleType, monkeypatch, fake_turn) -> tuple[flask.Response, list[str]]:
    monkeypatch.setattr(chat, "_turn", fake_turn)
    body = {"client_turn_id": "t1", "message": "hello", "stream": True}
    r = _call(chat, "/v2/chat/turns", "POST", json=body)
    lines = r.get_data(as_text=True).splitlines()
    return r, [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]


def test_a_streamed_replay_says_so_in_its_headers(chat, monkeypatch, signed_in):
    r, events = _stream(chat, monkeypatch, lambda *a, **kw: (REPLY, True))
    assert r.status_code == 200
    assert r.headers["Idempotent-Replayed"] == "true"
    assert events == ["reset", "token", "final"]


def test_a_new_streamed_turn_is_not_a_replay(chat, monkeypatch, signed_in):
    def new_turn(uid, body, locale, client, sink=None, **_):
        sink.token("Fresh ")
        return REPLY, False

    r, events = _stream(chat, monkeypatch, new_turn)
    assert r.headers["Idempotent-Replayed"] == "false"
    assert events == ["token", "final"]


# --- POST /api/chat/enhanced: what old clients send -----------------------------------------


def _legacy(chat: ModuleType, monkeypatch, body: dict) -> flask.Response:
    turn = {
        "session_id": SESSION,
        "reply": "Hi.",
        "persona": {"id": "lua", "name": "Lua", "score": 0.5, "reasons": []},
        "alternatives": [],
        "safety": {"crisis": False, "resources": []},
        "degraded": [],
        "analysis": {},
    }
    monkeypatch.setattr(chat, "_turn", lambda *a, **kw: (turn, False))
    return _call(chat, "/api/chat/enhanced", "POST", json=body)


def test_legacy_history_is_taken_as_old_clients_send_it(chat, monkeypatch, signed_in):
    history = [
        {"role": "bot", "content": "x" * 5000, "timestamp": 1700000000, "id": "m1"},
        {"role": "assistant-with-a-long-role-name-from-an-old-app", "content": None},
        *({"role": "user", "content": "hi", "meta": {"client": "web"}} for _ in range(200)),
    ]
    body = {"userId": UID, "message": "hello", "conversationHistory": history}
    r = _legacy(chat, monkeypatch, body)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["success"] is True


def test_a_legacy_history_item_must_be_an_object(chat, monkeypatch, signed_in):
    body = {"userId": UID, "message": "hello", "conversationHistory": ["hi"]}
    r = _legacy(chat, monkeypatch, body)
    assert r.status_code == 400
    assert r.get_json()["error"]["field"].startswith("conversationHistory")


def test_a_legacy_history_over_the_body_limit_is_a_413(chat, monkeypatch, signed_in):
    history = [{"role": "user", "content": "hello there"}] * 3000  # about 100 KB
    body = {"userId": UID, "message": "hello", "conversationHistory": history}
    r = _legacy(chat, monkeypatch, body)
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "payload_too_large"


# --- Retries: the same turn stored once ----------------------------------------------------

BOUNDARY = datetime(2026, 12, 5, 12, 2, tzinfo=UTC)  # a multiple of two minutes since the epoch


class RacingStore(turns.MemoryStore):
    """Runs `meanwhile` (another request, whole) before the next commit: that request read its
    context before the other committed, as a retry sent while the first is answered does."""

    meanwhile = None

    def commit_turn(self, **kw):
        if self.meanwhile:
            other, self.meanwhile = self.meanwhile, None
            other()
        return super().commit_turn(**kw)


@pytest.fixture
def store(chat, monkeypatch, signed_in) -> RacingStore:
    """The turns the function takes, through the service, stored in memory."""
    store = RacingStore()
    ports = turns.turn_ports(store)
    monkeypatch.setattr(chat, "turn_ports", lambda: ports)
    monkeypatch.setattr(clients, "session_store", lambda: store)  # should anything read it
    return store


def _post(chat, monkeypatch, at: datetime, path: str, body: dict, **headers) -> flask.Response:
    monkeypatch.setattr(chat, "utcnow", lambda: at)
    return _call(chat, path, "POST", json=body, headers=headers)


def _hi(chat, monkeypatch, at: datetime, **headers) -> dict:
    """What a web client sends to start a conversation."""
    body = {"userId": UID, "message": "hi", "sessionId": None, "conversationHistory": []}
    r = _post(chat, monkeypatch, at, "/api/chat/enhanced", body, **headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_a_legacy_retry_sent_while_the_first_is_answered_is_the_same_turn(chat, monkeypatch, store):
    """The gateway gave up on the first request after 15 s; the client sent it again while it
    was still being answered, across the end of a two-minute slot (the concurrency review:
    the retry got another client_turn_id and was stored as a second new session)."""
    first_at, retry_at = BOUNDARY - timedelta(seconds=10), BOUNDARY + timedelta(seconds=6)
    retry = {}
    store.meanwhile = lambda: retry.update(_hi(chat, monkeypatch, retry_at))
    first = _hi(chat, monkeypatch, first_at)
    assert retry["sessionId"] == first["sessionId"]
    assert retry["response"] == first["response"]
    assert len(store.sessions) == 1 and len(store.keys) == 1


def test_the_same_legacy_message_two_minutes_later_is_a_new_turn(chat, monkeypatch, store):
    """A user who starts every conversation with "hi": a new session each time, and a retry of
    the later one is that one, not the first."""
    first = _hi(chat, monkeypatch, BOUNDARY)
    assert _hi(chat, monkeypatch, BOUNDARY + timedelta(seconds=119)) == first  # a retry
    later_at = BOUNDARY + timedelta(seconds=120)
    later = _hi(chat, monkeypatch, later_at)
    assert later["sessionId"] != first["sessionId"]
    assert _hi(chat, monkeypatch, later_at + timedelta(seconds=30)) == later
    assert len(store.sessions) == 2


def test_a_clients_own_key_replays_its_turn_for_as_long_as_it_is_kept(chat, monkeypatch, store):
    """/v2's client_turn_id and a legacy Idempotency-Key name one turn, not only for two
    minutes."""
    body = {"client_turn_id": "c-1", "message": "hi"}
    first = _post(chat, monkeypatch, BOUNDARY, "/v2/chat/turns", body)
    again = _post(chat, monkeypatch, BOUNDARY + timedelta(hours=1), "/v2/chat/turns", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["turn_id"] == first.get_json()["turn_id"]

    keyed = _hi(chat, monkeypatch, BOUNDARY, **{"Idempotency-Key": "k-1"})
    later = BOUNDARY + timedelta(hours=1)
    assert _hi(chat, monkeypatch, later, **{"Idempotency-Key": "k-1"}) == keyed
    assert len(store.sessions) == 2


# --- A turn's events go out once its answer has ---------------------------------------------


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v2/chat/turns", {"client_turn_id": "c-2", "message": "How do I learn SQL?"}),
        ("/api/chat/enhanced", {"userId": UID, "message": "How do I learn SQL?"}),
        ("/v2/chat/turns", {"client_turn_id": "c-3", "message": "Hi there", "stream": True}),
    ],
)
def test_a_turns_events_are_published_after_its_answer_is_sent(
    chat, monkeypatch, store, path, body
):
    """The client does not wait for Pub/Sub: the events, committed in the outbox with the turn,
    are published when the server closes the sent response (WSGI close), not before."""
    publisher = chat.turn_ports()["publisher"]
    r = _post(chat, monkeypatch, BOUNDARY, path, body)
    assert r.status_code in (200, 201) and b"session" in r.get_data().lower()  # the answer
    assert publisher.events == []
    r.close()
    assert after_answer.wait_settled()
    assert sorted(e.type for e in publisher.events) == ["chat.turn.completed", "session.started"]


# --- GET /v2/sessions/{id}/turns: after and limit, as functions-framework serves it ----------


@pytest.fixture
def paged(monkeypatch) -> list[dict]:
    """The chat function's app, signed in as UID; the pages it asked the service for."""
    verifier = type("Verifier", (), {"verify": lambda self, token: Caller(uid=UID)})()
    monkeypatch.setattr(edge, "token_verifier", lambda: verifier)
    monkeypatch.setattr(clients, "session_store", lambda: None)
    asked: list[dict] = []

    def list_turns(**kw) -> TurnPage:
        asked.append(kw)
        return TurnPage(session_id=kw["session_id"], turns=[], next_after=None)

    monkeypatch.setattr(service, "list_turns", list_turns)
    return asked


@pytest.mark.parametrize(
    ("query", "field"),
    [("after=abc", "after"), ("after=-2", "after"), ("limit=0", "limit"), ("limit=201", "limit")],
)
def test_a_turns_page_out_of_bounds_is_a_400_naming_its_field(paged, query, field):
    app = function_client("chat")
    r = app.get(f"/v2/sessions/{SESSION}/turns?{query}", headers={"Authorization": "Bearer t"})
    assert r.status_code == 400
    assert (r.json["error"]["code"], r.json["error"]["field"]) == ("invalid_input", field)
    assert paged == []  # nothing was read


def test_a_turns_page_at_its_bounds_is_read(paged):
    app = function_client("chat")
    headers = {"Authorization": "Bearer t"}
    assert app.get(f"/v2/sessions/{SESSION}/turns", headers=headers).status_code == 200
    r = app.get(f"/v2/sessions/{SESSION}/turns?after=-1&limit=200", headers=headers)
    assert r.status_code == 200
    assert [(kw["after"], kw["limit"]) for kw in paged] == [(-1, 50), (-1, 200)]
