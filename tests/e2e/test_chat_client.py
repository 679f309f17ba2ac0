"""The terminal client against the local stack, driven by scripted input as a user would type."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from scripts.chat_client import Chat, Session, repl
from tests.stack_fixtures import GATEWAY

AUTH = "http://127.0.0.1:9099"


@pytest.fixture
def http():
    with httpx.Client(timeout=60) as client:
        yield client


@pytest.fixture
def session(http) -> Session:
    return Session.sign_in(http, AUTH, f"client-{uuid.uuid4().hex[:10]}@example.com", "pw-123456")


def test_a_scripted_conversation(session, http):
    chat = Chat(session, GATEWAY)
    out = io.StringIO()
    repl(
        chat,
        [
            "My tests keep failing and the demo is tomorrow!!",
            "/persona elro",
            "How should I plan the fixes?",
            "/up",
            "/persona nobody",
            "Who answers now?",
            "/persona auto",
            "/history",
            "/quit",
            "never sent",
        ],
        out,
    )
    text = out.getvalue()
    assert chat.streamed_last, "the reply was not streamed"
    assert "alternatives: " in text and "mentor: " in text
    first_session = chat.session_id
    # The switch to Elro shows on the next turn, and the rating reached the server.
    assert "— Elro (" in text.split("(persona: elro)")[1].split("(rated")[0]
    assert "(rated up: thanks)" in text
    # An unknown persona is the API's 400, said plainly; the conversation goes on.
    assert "error: " in text and "invalid_input" in text
    # /history pages through both stored turns, oldest first.
    assert "[0] you: My tests keep failing" in text and "[1] you: How should I plan" in text
    assert "never sent" not in text
    turns = list(chat.history(page_size=1))  # one turn a page: the paging itself
    assert [t["turn_index"] for t in turns] == [0, 1]
    again = http.post(
        f"{GATEWAY}/v2/feedback",
        json={"turn_id": turns[1]["turn_id"], "session_id": first_session, "rating": "up"},
        headers={"Authorization": f"Bearer {session.id_token}"},
    )
    assert again.status_code == 200 and again.json()["created"] is False, again.text

    out = io.StringIO()
    repl(chat, ["/new", "A fresh start", "/history"], out)
    assert chat.session_id != first_session
    assert "[0] you: A fresh start" in out.getvalue()


def test_whole_replies_when_not_streaming(session):
    chat = Chat(session, GATEWAY, stream=False)
    out = io.StringIO()
    repl(chat, ["Quick check-in: I finished the report!"], out)
    assert not chat.streamed_last
    assert chat.last_turn["reply"] in out.getvalue()


def test_the_token_is_refreshed_before_it_expires(session):
    chat = Chat(session, GATEWAY)
    chat.send("Hello there")
    session.expires_at = 0  # as if the hour were up: the next call refreshes first
    assert [t["turn_index"] for t in chat.history()] == [0]
    assert session.expires_at > time.time() + 600  # a new token, valid for about an hour


def test_signing_in_again_is_the_same_user(http, session):
    email = f"again-{uuid.uuid4().hex[:10]}@example.com"
    first = Session.sign_in(http, AUTH, email, "pw-123456")
    second = Session.sign_in(http, AUTH, email, "pw-123456")
    assert first.uid == second.uid != session.uid


def test_python_dash_m_reads_commands_from_stdin():
    email = f"cli-{uuid.uuid4().hex[:10]}@example.com"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.chat_client", "--email", email, "--password", "pw-123456"],
        input="I keep putting off my thesis\n/down\n/history\n/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "alternatives: " in done.stdout
    assert "(rated down: thanks)" in done.stdout
    assert "[0] you: I keep putting off my thesis" in done.stdout
