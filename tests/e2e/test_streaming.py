"""Streaming replies ("stream": true) through the gateway: Server-Sent Events with token events
and one final event, a turn stored exactly once even when the client hangs up mid-stream, and
retries that return the stored turn."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from scripts import stack
from tests.fakes.gemini_server import FakeGeminiServer
from tests.stack_fixtures import new_turn


def _events(lines: Iterator[str]) -> Iterator[tuple[str, dict]]:
    """(event, data) pairs from an SSE body."""
    event, data = "message", []
    for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line.split(":", 1)[1].strip())
        elif line == "" and data:
            yield event, json.loads("\n".join(data))
            event, data = "message", []


def _stream(
    api: httpx.Client, user, message: str, *, on_event: Callable[[], object] | None = None, **body
) -> tuple[httpx.Response, list]:
    """The response and its (event, data) pairs; `on_event` is called as each one arrives."""
    payload = {"client_turn_id": uuid.uuid4().hex, "message": message, "stream": True, **body}
    with api.stream("POST", "/v2/chat/turns", json=payload, headers=user.headers) as r:
        if r.status_code != 200:
            r.read()
            return r, []
        events = []
        for event in _events(r.iter_lines()):
            events.append(event)
            if on_event:
                on_event()
    return r, events


def _turns(api: httpx.Client, user, session_id: str) -> list[dict]:
    r = api.get(f"/v2/sessions/{session_id}/turns", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["turns"]


def test_a_streamed_reply_arrives_in_pieces_then_the_whole_turn(api, user):
    r, events = _stream(api, user, "I keep putting off my thesis chapter, how do I start?")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    kinds = [kind for kind, _ in events]
    assert kinds.count("final") == 1 and kinds[-1] == "final"
    tokens = [data["text"] for kind, data in events if kind == "token"]
    assert len(tokens) >= 2, "the template generator streams in word groups"
    final = events[-1][1]
    assert "".join(tokens) == final["reply"]
    assert final["persona"]["id"] and len(final["alternatives"]) == 2
    [stored] = _turns(api, user, final["session_id"])
    assert stored["turn_id"] == final["turn_id"]


def test_a_retry_of_a_streamed_turn_returns_the_stored_one(api, user):
    body = {"client_turn_id": uuid.uuid4().hex}
    first_r, first = _stream(api, user, "Should I take the team lead offer?", **body)
    again_r, again = _stream(api, user, "Should I take the team lead offer?", **body)
    assert first_r.headers["Idempotent-Replayed"] == "false"
    assert again_r.headers["Idempotent-Replayed"] == "true"
    # the stored reply in one piece, after a reset (nothing to discard here)
    assert [k for k, _ in again] == ["reset", "token", "final"]
    assert again[-1][1]["turn_id"] == first[-1][1]["turn_id"]
    plain = api.post(
        "/v2/chat/turns",
        json={**body, "message": "Should I take the team lead offer?"},
        headers=user.headers,
    )
    assert plain.status_code == 200 and plain.headers["Idempotent-Replayed"] == "true"
    assert plain.json() == again[-1][1]
    assert len(_turns(api, user, first[-1][1]["session_id"])) == 1


def test_an_error_before_the_first_byte_is_a_plain_error(api, user):
    r, _ = _stream(api, user, "hello again", session_id="0" * 32)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] == "session_not_found"


@pytest.fixture
def slow_gemini() -> Iterator[FakeGeminiServer]:
    """The chat function writing replies with a slow, streaming Gemini."""
    with FakeGeminiServer(stream_chunks=6, chunk_delay=0.4) as server:
        stack.stop("fn-chat")
        stack.start(
            stack.BY_NAME["fn-chat"],
            extra_env={"RESPONSE_GENERATOR": "gemini", "GEMINI_BASE_URL": server.base_url},
        )
        try:
            yield server
        finally:
            stack.stop("fn-chat")
            stack.start(stack.BY_NAME["fn-chat"])


# Through the gateway, and straight to the function (so the hang-up reaches the function
# itself, not only the gateway).
@pytest.mark.parametrize(
    "base_url", [stack.GATEWAY_URL, f"http://127.0.0.1:{stack.FUNCTION_PORTS['chat']}"]
)
def test_a_client_that_hangs_up_mid_stream_still_has_its_turn_stored_once(
    api, user, slow_gemini, base_url
):
    first = new_turn(api, user, "I start a new job on Monday")
    assert first.status_code == 201, first.text
    session_id = first.json()["session_id"]
    body = {
        "session_id": session_id,
        "client_turn_id": uuid.uuid4().hex,
        "message": "how do I make a good first impression?",
        "stream": True,
    }
    with (
        httpx.Client(base_url=base_url, timeout=30) as direct,
        direct.stream("POST", "/v2/chat/turns", json=body, headers=user.headers) as r,
    ):
        assert r.status_code == 200
        kind, data = next(_events(r.iter_lines()))
        assert kind == "token" and data["text"]
    # Hung up after the first piece; the rest is generated and the turn stored regardless.
    deadline = time.monotonic() + 20
    while len(turns := _turns(api, user, session_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert len(turns) == 2
    assert turns[1]["reply"] == slow_gemini.reply_text  # every chunk, not the part we saw
    retry = api.post("/v2/chat/turns", json={**body, "stream": False}, headers=user.headers)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["turn_id"] == turns[1]["turn_id"]
    assert len(_turns(api, user, session_id)) == 2


def _assembled(events: list) -> str:
    """The reply a client shows: the tokens after the last reset."""
    text: list[str] = []
    for kind, data in events:
        if kind == "reset":
            text = []
        elif kind == "token":
            text.append(data["text"])
    return "".join(text)


def test_two_streams_of_one_turn_each_show_the_stored_reply(api, user, slow_gemini):
    # A phone retries a streamed turn while the first request is still writing: both stream a
    # reply of their own, one stores it, the other finds it stored and must make its client
    # discard what it streamed. Numbered replies tell the two apart (the same text for both
    # would pass without the discard).
    slow_gemini.numbered = True
    session_id = new_turn(api, user, "I start a new job on Monday").json()["session_id"]
    body = {"session_id": session_id, "client_turn_id": uuid.uuid4().hex}
    message = "how do I make a good first impression?"
    streaming = threading.Event()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(_stream, api, user, message, on_event=streaming.set, **body)
        assert streaming.wait(20), "the first stream sent nothing"
        second = pool.submit(_stream, api, user, message, **body)
        results = [first.result(), second.result()]
    finals = set()
    for r, events in results:
        assert r.status_code == 200
        assert [k for k, _ in events].count("final") == 1
        final = events[-1][1]
        assert _assembled(events) == final["reply"]
        finals.add(final["turn_id"])
    assert len(finals) == 1 and len(_turns(api, user, session_id)) == 2
    stored = _turns(api, user, session_id)[1]["reply"]
    assert stored in slow_gemini.replies
    # Exactly one stream found the turn stored: its own reply, a reset, then the stored reply
    # in one piece. The other streamed the stored reply and nothing else.
    (lost,) = [events for _, events in results if ("reset", {}) in events]
    reset = lost.index(("reset", {}))
    own = "".join(data["text"] for kind, data in lost[:reset] if kind == "token")
    assert own in slow_gemini.replies and own != stored
    assert lost[reset + 1 : -1] == [("token", {"text": stored})]
    (won,) = [events for _, events in results if events is not lost]
    assert all(kind == "token" for kind, _ in won[:-1])
    assert "".join(data["text"] for _, data in won[:-1]) == stored
