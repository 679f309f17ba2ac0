"""The chat entry point in-process (functions-framework's test client) against the emulators,
with Gemini served by a local server that speaks its REST protocol."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from functions_framework import create_app

from common import clients
from common.config import get_settings
from tests.fakes.gemini_server import FakeGeminiServer, gemini_server_fixture  # noqa: F401

SOURCE = str(Path(__file__).resolve().parents[2] / "functions" / "chat" / "main.py")


@pytest.fixture
def gemini_chat(monkeypatch, gemini_server: FakeGeminiServer):
    monkeypatch.setenv("RESPONSE_GENERATOR", "gemini")
    monkeypatch.setenv("GEMINI_BASE_URL", gemini_server.base_url)
    monkeypatch.setenv("GEMINI_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    clients.response_generator.cache_clear()
    yield create_app(target="chat", source=SOURCE).test_client(), gemini_server
    get_settings.cache_clear()
    clients.response_generator.cache_clear()


def _turn(client, user, message, session_id=None):
    return client.post(
        "/v2/chat/turns",
        json={"session_id": session_id, "client_turn_id": uuid.uuid4().hex, "message": message},
        headers=user.headers,
    )


def test_gemini_writes_the_reply_with_the_persona_and_the_conversation(gemini_chat, user):
    client, server = gemini_chat
    server.reply_text = "Let's take this one step at a time."
    first = _turn(client, user, "I'm nervous about my interview at Spotify on Friday")
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json["reply"] == "Let's take this one step at a time."
    assert first.json["degraded"] == []
    second = _turn(client, user, "that advice didn't help", first.json["session_id"])
    assert second.status_code == 201
    sent = server.last_request
    persona = second.json["persona"]["name"]
    assert f"You are {persona}" in sent.system_instruction
    assert any("Spotify" in t for t in sent.content_texts("user"))  # the earlier turn


@pytest.mark.parametrize("mode", ["error_500", "error_429", "hang", "empty"])
def test_when_gemini_fails_the_template_answers_and_says_so(gemini_chat, user, mode):
    client, server = gemini_chat
    server.fail(mode, hang_seconds=5)
    r = _turn(client, user, "how do I learn SQL quickly?")
    assert r.status_code == 201
    assert r.json["degraded"] == ["reply_generator"]
    assert r.json["reply"].strip()
