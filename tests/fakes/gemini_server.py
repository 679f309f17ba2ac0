"""A local stand-in for the Vertex AI Gemini REST API (generateContent and its SSE stream).

It speaks the same protocol the real google-genai SDK uses with `vertexai=True` and a
`base_url`, records every request body, and can be switched to fail the ways the real service
does (HTTP 500, 429, a hang, an empty or blocked answer, a stream cut short). Use the
`gemini_server` fixture:

    from tests.fakes.gemini_server import gemini_server_fixture  # noqa: F401

    def test_something(gemini_server: FakeGeminiServer) -> None: ...

(`from tests.fakes.gemini_server import gemini_server` works too, but ruff then reports F811
on every test that takes the fixture as an argument.)
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.serving import BackgroundServer

# "truncated": a stream's body ends cleanly before its last chunk, the one with finishReason
# (a connection cut between chunks); a whole answer is not affected.
Mode = Literal["ok", "error_500", "error_429", "hang", "empty", "blocked", "truncated"]

_PATH = re.compile(
    r"^/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$"
)

# Publisher models past their retirement date, as Vertex AI's model-versions page lists them:
# requests for them get Vertex's 404 (docs.cloud.google.com/gemini-enterprise-agent-platform/
# models/model-versions). A newer id is served.
RETIRED_MODELS = {
    "gemini-2.0-flash-001": date(2026, 2, 5),
    "gemini-2.0-flash-lite-001": date(2026, 2, 25),
    "gemini-2.5-pro": date(2026, 10, 16),
    "gemini-2.5-flash": date(2026, 10, 16),
    "gemini-2.5-flash-lite": date(2026, 10, 16),
}

DEFAULT_REPLY = "I hear you. Let's take one small step together: write down what you tried first."


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake server received."""

    path: str
    project: str
    location: str
    model: str
    stream: bool
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def system_instruction(self) -> str:
        """The concatenated text of the request's systemInstruction ("" when absent)."""
        parts = (self.body.get("systemInstruction") or {}).get("parts") or []
        return "".join(p.get("text", "") for p in parts)

    @property
    def thinking_level(self) -> str | None:
        """generationConfig.thinkingConfig's level, None when absent. google-genai sends the
        config's own fields in snake_case (thinking_level), which proto JSON takes as well as
        camelCase."""
        thinking = (self.body.get("generationConfig") or {}).get("thinkingConfig") or {}
        return thinking.get("thinkingLevel", thinking.get("thinking_level"))

    @property
    def safety_settings(self) -> dict[str, str]:
        """The request's safetySettings, {category: threshold} ({} when absent)."""
        return {
            s.get("category", ""): s.get("threshold", "")
            for s in self.body.get("safetySettings") or []
        }

    @property
    def contents(self) -> list[dict[str, Any]]:
        return self.body.get("contents") or []

    def content_texts(self, role: str | None = None) -> list[str]:
        """Texts of all content parts, optionally only those of one role."""
        return [
            part.get("text", "")
            for content in self.contents
            if role is None or content.get("role") == role
            for part in content.get("parts") or []
        ]


@dataclass
class FakeGeminiServer(BackgroundServer):
    """Serves the Vertex AI generateContent protocol on 127.0.0.1 and an ephemeral port."""

    thread_name = "fake-gemini"

    reply_text: str = DEFAULT_REPLY
    mode: Mode = "ok"
    hang_seconds: float = 5.0
    stream_chunks: int = 3
    chunk_delay: float = 0.0  # seconds between streamed chunks (a slow model)
    # How the answer ends. With another reason than STOP (MAX_TOKENS, SAFETY, MODEL_ARMOR, ...)
    # a whole answer keeps the text so far, as the real service's does, and a stream sends the
    # reason after the text, in a last candidate with no content.
    finish_reason: str = "STOP"
    # Why a "blocked" answer refused the prompt (promptFeedback.blockReason).
    block_reason: str = "SAFETY"
    # End each answer with " (reply N)", N counting answers: tells apart the replies written for
    # two requests (a reply a client must discard from the one it must show).
    numbered: bool = False
    requests: list[RecordedRequest] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)  # the text of every answer, in order

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Release hanging handlers, then stop serving and close the socket."""
        self._stopping.set()
        super().stop()

    # What tests use

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            assert self.requests, "the fake Gemini server received no request"
            return self.requests[-1]

    def fail(self, mode: Mode, *, hang_seconds: float | None = None) -> None:
        """Switch to a failure mode ("ok" restores normal answers)."""
        self.mode = mode
        if hang_seconds is not None:
            self.hang_seconds = hang_seconds

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def next_reply(self) -> str:
        """The text of the next answer: reply_text, numbered when `numbered` is set."""
        with self._lock:
            n = len(self.replies) + 1
            text = f"{self.reply_text} (reply {n})" if self.numbered else self.reply_text
            self.replies.append(text)
            return text

    def wait_or_stop(self, seconds: float) -> None:
        """Sleep, but wake up as soon as the server stops."""
        self._stopping.wait(seconds)

    # Response bodies, shaped like Vertex AI's GenerateContentResponse

    def response(self, model: str, prompt_tokens: int, text: str, *, final: bool) -> dict:
        candidate: dict[str, Any] = {}
        if text:
            candidate["content"] = {"role": "model", "parts": [{"text": text}]}
        if final:
            candidate["finishReason"] = self.finish_reason
        if final and self.finish_reason == "STOP":
            candidate["avgLogprobs"] = -0.12
        out_tokens = max(1, len(self.reply_text.split()))
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": out_tokens,
                "totalTokenCount": prompt_tokens + out_tokens,
                "trafficType": "ON_DEMAND",
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
                "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": out_tokens}],
            },
            "modelVersion": model,
            "createTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "responseId": uuid.uuid4().hex[:24],
        }

    def empty_response(self, model: str) -> dict:
        return {
            "candidates": [],
            "usageMetadata": {"promptTokenCount": 0, "totalTokenCount": 0},
            "modelVersion": model,
        }

    def blocked_response(self, model: str, prompt_tokens: int) -> dict:
        return {
            "promptFeedback": {
                "blockReason": self.block_reason,
                "blockReasonMessage": f"The prompt was blocked ({self.block_reason}).",
            },
            "usageMetadata": {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens},
            "modelVersion": model,
        }

    def chunks(self, text: str) -> list[str]:
        """The reply split into `stream_chunks` pieces that join back to `text`."""
        words = re.findall(r"\S+\s*", text) or [text]
        n = max(1, min(self.stream_chunks, len(words)))
        size = -(-len(words) // n)
        return ["".join(words[i : i + size]) for i in range(0, len(words), size)]


# The thinking levels Vertex AI takes (generationConfig.thinkingConfig.thinkingLevel).
THINKING_LEVELS = {"MINIMAL", "LOW", "MEDIUM", "HIGH"}

_ERRORS = {
    "error_500": (500, "INTERNAL", "Internal error encountered."),
    "error_429": (
        429,
        "RESOURCE_EXHAUSTED",
        "Resource exhausted. Please try again later.",
    ),
}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGeminiServer
    server_version = "FakeVertexAI/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded requests instead."""

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        match = _PATH.match(url.path)
        if not match:
            self._json(404, _error(404, "NOT_FOUND", f"Unknown path {url.path}"))
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received."))
            return
        query = parse_qs(url.query)
        stream = match["method"] == "streamGenerateContent"
        fake = self.fake
        recorded = RecordedRequest(
            path=url.path,
            project=match["project"],
            location=match["location"],
            model=match["model"],
            stream=stream,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        fake.record(recorded)
        if not body.get("contents"):
            self._json(400, _error(400, "INVALID_ARGUMENT", "contents is not specified"))
            return
        if recorded.thinking_level not in {None, *THINKING_LEVELS}:
            message = "Invalid value at 'generation_config.thinking_config.thinking_level'"
            self._json(400, _error(400, "INVALID_ARGUMENT", message))
            return

        mode, model = fake.mode, match["model"]
        if model in RETIRED_MODELS:
            message = (
                f"Publisher Model `projects/{match['project']}/locations/{match['location']}/"
                f"publishers/google/models/{model}` was not found or your project does not have "
                "access to it. Please ensure you are using a valid model version."
            )
            self._json(404, _error(404, "NOT_FOUND", message))
            return
        prompt_tokens = max(1, len(json.dumps(body)) // 4)
        if mode in _ERRORS:
            code, status, message = _ERRORS[mode]
            self._json(code, _error(code, status, message), retry_after=mode == "error_429")
            return
        if mode == "hang":
            fake.wait_or_stop(fake.hang_seconds)
        if mode == "empty":
            payloads = [fake.empty_response(model)]
        elif mode == "blocked":
            payloads = [fake.blocked_response(model, prompt_tokens)]
        elif stream:
            chunks = fake.chunks(fake.next_reply())
            cut = fake.finish_reason != "STOP"  # the text so far, then the reason on its own
            payloads = [
                fake.response(model, prompt_tokens, c, final=not cut and i == len(chunks) - 1)
                for i, c in enumerate(chunks)
            ]
            if cut:
                payloads.append(fake.response(model, prompt_tokens, "", final=True))
            if mode == "truncated":
                payloads.pop()
        else:
            payloads = [fake.response(model, prompt_tokens, fake.next_reply(), final=True)]

        if stream and query.get("alt") == ["sse"]:
            self._sse(payloads)
        elif stream:
            self._json(200, payloads)  # without alt=sse the REST API answers a JSON array
        else:
            self._json(200, payloads[0])

    def _json(self, code: int, payload: Any, *, retry_after: bool = False) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            if retry_after:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout): nothing left to answer

    def _sse(self, payloads: list[dict]) -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for i, payload in enumerate(payloads):
                if i and self.fake.chunk_delay:
                    self.fake.wait_or_stop(self.fake.chunk_delay)
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True


FakeGeminiServer.handler = _Handler


def _error(code: int, status: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "status": status}}


@pytest.fixture(name="gemini_server")
def gemini_server_fixture() -> Iterator[FakeGeminiServer]:
    """A running fake Vertex AI Gemini server; switch it with `.fail(mode)`."""
    with FakeGeminiServer() as server:
        yield server


# Both names provide the `gemini_server` fixture; importing `gemini_server_fixture` keeps
# ruff's F811 quiet in test functions that take a `gemini_server` argument.
gemini_server = gemini_server_fixture
