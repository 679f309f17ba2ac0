"""A message over 4,000 characters that the crisis patterns flag at its start or end (the
dictation review: an 874-word voice note ending "and i want to die" got a bare 400, no
helplines): answered with the crisis reply, as past the request budget, never refused; any
other over-long message is the 400 it was. In process, through the chat function."""

from __future__ import annotations

import json
import logging
from types import ModuleType, SimpleNamespace

import flask
import pytest

from common import clients, edge
from common.adapters.firestore_sessions import FirestoreSessionStore
from common.analysis.with_model import MODEL_DOWN
from common.auth import Caller
from common.chat import service
from common.chat.models import MAX_MESSAGE_CHARS
from common.config import Settings
from common.ratelimit import TokenBuckets
from common.safety import crisis_reply, resources_for
from tests.fakes import turns
from tests.fakes.clock import FakeClock
from tests.fakes.firestore_rpc import FirestoreRpc
from tests.fakes.functions import load_main

UID = "u1"
RAMBLE = (
    "so today i woke up late again and missed the bus and then work was just the same as "
    "always and my manager did not even look at me and i sat there thinking about nothing "
)
OVER = MAX_MESSAGE_CHARS + 300
ENDS_IN_CRISIS = (RAMBLE * 30)[: OVER - 20].rsplit(" ", 1)[0] + " and i want to die"
STARTS_IN_CRISIS = "i want to die and " + (RAMBLE * 30)[: OVER - 20]
ORDINARY = (RAMBLE * 30)[:OVER]
LONGER_THAN = f"'message': the message is longer than {MAX_MESSAGE_CHARS} characters."
app = flask.Flask(__name__)


@pytest.fixture(scope="module")
def chat() -> ModuleType:
    return load_main("chat")


@pytest.fixture
def turn_rpc(chat: ModuleType, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The chat function's turns over Firestore's RPCs (`rpc.calls` counts them), signed in as
    UID, with a request budget of its own."""
    rpc = FirestoreRpc()
    ports = turns.turn_ports(FirestoreSessionStore(rpc.client, settings=Settings()))
    monkeypatch.setattr(chat, "turn_ports", lambda: ports)
    monkeypatch.setattr(chat, "authenticate", lambda request, **_: Caller(uid=UID))
    monkeypatch.setattr(clients, "session_store", lambda: None)
    defaults = Settings()
    requests = TokenBuckets(
        rate=defaults.user_requests_per_second, burst=defaults.user_request_burst, clock=FakeClock()
    )
    monkeypatch.setattr(edge, "request_budget", lambda: requests)
    return SimpleNamespace(rpc=rpc, publisher=ports["publisher"])


def _post(chat: ModuleType, path: str, body: dict) -> flask.Response:
    with app.test_request_context(path, method="POST", json=body):
        return chat.chat(flask.request)


def _turn(chat: ModuleType, message: str, stream: bool = False) -> flask.Response:
    return _post(
        chat, "/v2/chat/turns", {"client_turn_id": "c1", "message": message, "stream": stream}
    )


def _final(r: flask.Response) -> dict:
    """A streamed turn's final event."""
    last = r.get_data(as_text=True).strip().split("\n\n")[-1].split("\n", 1)
    assert last[0] == "event: final"
    return json.loads(last[1][6:])


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("message", [ENDS_IN_CRISIS, STARTS_IN_CRISIS])
def test_an_over_long_message_the_patterns_flag_gets_the_crisis_reply(
    chat, turn_rpc, message, stream
):
    assert len(message) > MAX_MESSAGE_CHARS
    r = _turn(chat, message, stream)
    said = _final(r) if stream else r.get_json()
    assert r.status_code == (200 if stream else 201)
    reply = crisis_reply(resources_for(None, default_locale=Settings().safety_default_locale))
    assert said["reply"] == reply and said["safety"]["crisis"] is True
    assert said["safety"]["resources"]
    # as past the budget: the lexicon read it, nothing was read or stored
    assert said["degraded"] == [MODEL_DOWN, service.NOT_STORED]
    assert turn_rpc.rpc.calls == {}
    (event,) = turn_rpc.publisher.events
    assert event.type == "safety.crisis_detected" and event.data["stored"] is False


def test_an_over_long_legacy_message_the_patterns_flag_gets_the_crisis_reply(
    chat, turn_rpc, caplog
):
    legacy = {"userId": UID, "message": ENDS_IN_CRISIS, "conversationHistory": []}
    with caplog.at_level(logging.WARNING, logger=service.__name__):
        r = _post(chat, "/api/chat/enhanced", legacy)
    assert r.status_code == 200 and r.get_json()["safety"]["crisis"] is True
    assert r.get_json()["degraded"] == [MODEL_DOWN, service.NOT_STORED]
    # the operators' line names the limit it is past (not the request budget)
    assert "a crisis turn past the message length limit: answered, not stored" in caplog.text


def test_any_other_over_long_message_is_the_400_it_was(chat, turn_rpc):
    r = _turn(chat, ORDINARY)
    error = r.get_json()["error"]
    assert (r.status_code, error) == (
        400,
        {"code": "invalid_input", "message": LONGER_THAN, "field": "message"},
    )
    legacy = {"userId": UID, "message": ORDINARY}
    assert _post(chat, "/api/chat/enhanced", legacy).get_json()["error"]["message"] == LONGER_THAN
    # a crisis in the middle is not read; nor is a body at fault elsewhere
    middle = ORDINARY + " i want to die " + ORDINARY
    assert _turn(chat, middle).status_code == 400
    bad_id = {"client_turn_id": "a/b", "message": ENDS_IN_CRISIS}
    assert _post(chat, "/v2/chat/turns", bad_id).status_code == 400
    assert turn_rpc.rpc.calls == {} and turn_rpc.publisher.events == []


def test_past_a_spent_budget_an_over_long_crisis_is_answered_and_any_other_refused(chat, turn_rpc):
    # Its scan is counted as a turn's: a script cannot scan 8,000 characters at will.
    for _ in range(Settings().user_request_burst):
        edge.within_budget(UID)
    assert _turn(chat, ORDINARY).status_code == 429
    r = _turn(chat, ENDS_IN_CRISIS)
    assert r.status_code == 201 and r.get_json()["safety"]["crisis"] is True
