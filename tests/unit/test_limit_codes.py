"""A 429 says which limit refused the turn: a message repeated too often is `repeated_message`,
whose Retry-After holds back that text only; every other limit (and a mix) is `rate_limited`.
The client review: after a 4th "yes" in ten minutes an app that honoured Retry-After held back
every message for 7 minutes, though "yes please" went through at once. (A short "yes" is no
longer counted as a repeat at all: common.chat.limits.REPEAT_MIN_CHARS.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import ModuleType

import flask
import pytest

from common import clients
from common.auth import Caller
from common.chat.limits import activity_doc, unsalted_hash
from common.config import Settings
from tests.fakes import turns
from tests.fakes.functions import load_main

UID = "u1"
SAID = "that sounds like a plan"  # long enough to count as a repeat
T0 = datetime(2026, 12, 2, 12, 0, 0, 500000, tzinfo=UTC)
MINUTE = Settings().anomaly_burst_minute_max  # turns a minute allowed
app = flask.Flask(__name__)


@pytest.fixture(scope="module")
def chat() -> ModuleType:
    return load_main("chat")


@pytest.fixture
def store(chat: ModuleType, monkeypatch: pytest.MonkeyPatch) -> turns.ActivityStore:
    """The turns the function takes, through the service, with the user's activity record."""
    store = turns.ActivityStore()
    ports = turns.turn_ports(store)
    monkeypatch.setattr(chat, "authenticate", lambda request, **_: Caller(uid=UID))
    monkeypatch.setattr(chat, "turn_ports", lambda: ports)
    monkeypatch.setattr(clients, "session_store", lambda: store)
    return store


class Client:
    """One user's app: each message with its own client_turn_id, at a given time."""

    def __init__(self, chat: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
        self.chat, self.monkeypatch, self.sent = chat, monkeypatch, 0

    def send(self, message: str, at: datetime, **extra) -> flask.Response:
        self.sent += 1
        body = {"client_turn_id": f"t{self.sent}", "message": message, **extra}
        return self._post("/v2/chat/turns", body, at)

    def legacy(self, message: str, at: datetime) -> flask.Response:
        self.sent += 1
        body = {"userId": UID, "message": message, "conversationHistory": []}
        return self._post("/api/chat/enhanced", body, at, {"Idempotency-Key": f"k{self.sent}"})

    def _post(self, path: str, body: dict, at: datetime, headers=None) -> flask.Response:
        self.monkeypatch.setattr(self.chat, "utcnow", lambda: at)
        with app.test_request_context(path, method="POST", json=body, headers=headers or {}):
            response = self.chat.chat(flask.request)
            response.get_data()  # a stream, read while its request lasts
            return response


def minutes(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


def said_three_times(client: Client, message: str = SAID) -> None:
    for m, text in ((1, message), (2, message.capitalize()), (3, f" {message} ")):
        assert client.send(text, minutes(m)).status_code == 201


def _error(response: flask.Response) -> dict:
    return response.get_json()["error"]


def test_a_fourth_copy_is_repeated_message_and_another_message_goes_through(
    chat, monkeypatch, store
):
    client = Client(chat, monkeypatch)
    assert client.send("Can you help me plan my week?", minutes(0)).status_code == 201
    said_three_times(client)

    refused = client.send(SAID, minutes(4))
    assert refused.status_code == 429
    assert _error(refused) == {
        "code": "repeated_message",
        "message": "You've sent this same message several times in a few minutes; send "
        "something different, or wait to send it again.",
        "field": "message",
    }
    # Until the first copy (at minute 1) leaves the 10-minute window: for that text only.
    assert refused.headers["Retry-After"] == "420"
    assert client.send(f"{SAID}, thanks", minutes(4.1)).status_code == 201


def test_a_burst_is_rate_limited_even_when_it_repeats_a_message_too(chat, monkeypatch, store):
    client = Client(chat, monkeypatch)
    others = [f"line {i}" for i in range(MINUTE - 3)]
    for i, text in enumerate([SAID, SAID, SAID, *others]):
        assert client.send(text, T0 + timedelta(seconds=i)).status_code == 201
    burst_and_repeat = client.send(SAID, T0 + timedelta(seconds=MINUTE))
    burst = client.send("something new", T0 + timedelta(seconds=MINUTE + 1))
    for refused in (burst_and_repeat, burst):
        assert refused.status_code == 429
        assert _error(refused)["code"] == "rate_limited"
        assert "field" not in _error(refused)


def test_a_burst_of_a_short_acknowledgement_waits_for_the_minute_not_the_repeat_window(
    chat, monkeypatch, store
):
    # "ok" is no repeat (REPEAT_MIN_CHARS): the 16th in a minute is refused for the minute's
    # burst alone, and may be sent again when the first leaves it, not in 10 minutes
    client = Client(chat, monkeypatch)
    for i in range(MINUTE):
        assert client.send("ok", T0 + timedelta(seconds=i)).status_code == 201
    refused = client.send("ok", T0 + timedelta(seconds=MINUTE))
    assert refused.status_code == 429
    assert _error(refused)["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == str(60 - MINUTE)


def test_the_legacy_endpoint_says_repeated_message_too(chat, monkeypatch, store):
    client = Client(chat, monkeypatch)
    for m in (1, 2, 3):
        assert client.legacy(SAID, minutes(m)).status_code == 200
    refused = client.legacy(SAID, minutes(4))
    assert refused.status_code == 429
    assert _error(refused)["code"] == "repeated_message"
    assert refused.headers["Retry-After"] == "420"


def _events(response: flask.Response) -> list[tuple[str, dict]]:
    out = []
    for block in response.get_data(as_text=True).split("\n\n"):
        if block:
            event, data = block.split("\n")
            out.append((event.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


def test_a_streamed_turn_refused_before_it_starts_is_a_429_repeated_message(
    chat, monkeypatch, store
):
    client = Client(chat, monkeypatch)
    said_three_times(client)
    refused = client.send(SAID, minutes(4), stream=True)
    assert refused.status_code == 429
    assert _error(refused)["code"] == "repeated_message"


def test_a_streamed_turn_refused_at_its_commit_ends_with_a_repeated_message_event(
    chat, monkeypatch, store
):
    """Another device said it three times while this turn was answered: the commit refuses it
    after the tokens went out, in an `error` event with the same code."""
    client = Client(chat, monkeypatch)
    others = [(minutes(m), unsalted_hash(SAID)) for m in (1, 2, 3)]

    def meanwhile(uid: str) -> None:
        store.activity[uid] = activity_doc(others, limited_until=None)
        store.meanwhile = lambda uid: None

    store.meanwhile = meanwhile
    response = client.send(SAID, minutes(4), stream=True)
    events = _events(response)
    assert response.status_code == 200 and events[0][0] == "token"
    kind, data = events[-1]
    assert kind == "error"
    assert data["error"]["code"] == "repeated_message"
    assert data["error"]["field"] == "message"
    assert (data["error"]["status"], data["error"]["retry_after"]) == (429, 420)
