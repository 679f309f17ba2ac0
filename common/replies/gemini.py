"""Replies from Gemini on Vertex AI through google-genai (an adapter at the edge).

google-genai is imported lazily, on first use, so that importing this module costs nothing at
cold start; the client is created once per configuration and kept for warm instances."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Iterator
from typing import Any

from common.breaker import CircuitBreaker
from common.replies.prompt import Prompt, PromptBuilder
from common.replies.types import GenerationError, ReplyRequest, Restart, WithheldForSafety
from common.replies.vet import vet_reply, whole_sentences

# The finish reasons of a whole answer. Any other (SAFETY, MODEL_ARMOR, OTHER,
# MALFORMED_RESPONSE, ...) withheld or broke it: an allowlist, so that a reason added later
# cannot pass a cut answer as whole. CONTINUATION too: google-genai asks for the rest itself and
# clears it, so one that reaches us had no token to go on with.
_FINISHED = frozenset({"STOP", "MAX_TOKENS"})
# A stream's chunks carry no reason ("") until the last: a stream must end on one of _FINISHED.
_COMPLETE = _FINISHED | {""}
# The finish reasons of an answer stopped for what the conversation says (a block reason of the
# prompt always is one): the chat service answers with care, not with the persona's plan (a
# PROHIBITED_CONTENT stop on "he keeps asking for my photos, im 14" got an upbeat exam plan).
_SAFETY_STOPS = frozenset(
    {
        "SAFETY",
        "PROHIBITED_CONTENT",
        "SPII",
        "BLOCKLIST",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "MODEL_ARMOR",
    }
)
# Google's configurable filters are off unless a request sets them: these block what is likely
# (medium and above) in each category, on top of the filters that always apply.
_FILTERED = (
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
)
_THRESHOLD = "BLOCK_MEDIUM_AND_ABOVE"

# /healthz reports the generator down after this many consecutive failed calls, for this long
# after the last of them: evidence from real turns, never a billed call of its own.
DOWN_AFTER_FAILURES = 3
DOWN_FOR_SECONDS = 60.0


_CLIENT_LOCK = threading.Lock()


def _client(project: str, location: str, base_url: str | None, timeout_ms: int) -> Any:
    """One google-genai client per configuration: the first caller makes it (the warm-up, or
    a cold instance's first turns), the others wait for it rather than each make their own."""
    with _CLIENT_LOCK:
        return _new_client(project, location, base_url, timeout_ms)


@functools.cache
def _new_client(project: str, location: str, base_url: str | None, timeout_ms: int) -> Any:
    from google import genai
    from google.genai import types

    credentials = None  # production: Application Default Credentials
    if base_url:
        # A local server needs no real token; AnonymousCredentials would make the SDK refresh.
        from google.oauth2.credentials import Credentials

        credentials = Credentials(token="local")  # noqa: S106 (a placeholder, not a secret)
    return genai.Client(
        vertexai=True,
        project=project,
        location=location,
        credentials=credentials,
        http_options=types.HttpOptions(base_url=base_url, timeout=timeout_ms),
    )


def _describe(exc: BaseException, timeout_seconds: float | None = None) -> str:
    """A short, human-readable cause for a failed call."""
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        status = getattr(exc, "status", None) or ""
        message = str(getattr(exc, "message", None) or "").strip()
        return f"HTTP {code} {status}".strip() + (f": {message[:200]}" if message else "")
    name = type(exc).__name__
    if "Timeout" in name or isinstance(exc, TimeoutError):
        after = f" after {timeout_seconds:g}s" if timeout_seconds else ""
        return f"timed out{after} ({name})"
    return f"{name}: {str(exc)[:200]}" if str(exc) else name


def _finish_reason(response: Any) -> str:
    candidates = getattr(response, "candidates", None) or []
    reason = getattr(candidates[0], "finish_reason", None) if candidates else None
    return str(getattr(reason, "value", reason) or "")


def _block_reason(response: Any) -> str:
    feedback = getattr(response, "prompt_feedback", None)
    reason = getattr(feedback, "block_reason", None) if feedback else None
    return str(getattr(reason, "value", reason) or "")


def _withheld(message: str, finish: str, block: str = "") -> GenerationError:
    """The error for an answer that ended on `finish` or whose prompt was blocked for `block`:
    WithheldForSafety for a safety stop or any block, which the chat service answers with care."""
    safety = bool(block) or finish in _SAFETY_STOPS
    return (WithheldForSafety if safety else GenerationError)(message)


class GeminiGenerator:
    """Persona replies from a Gemini model on Vertex AI; raises GenerationError on any failure,
    and for a reply that fails the checks of common/replies/vet.py."""

    costly = True  # billed by the token: asked only for a turn whose place is reserved

    def __init__(
        self,
        *,
        project: str,
        location: str,
        model: str,
        base_url: str | None = None,
        timeout_seconds: float = 8.0,
        max_output_tokens: int = 512,
        thinking_level: str = "minimal",
        prompt_builder: PromptBuilder | None = None,
        outcomes: CircuitBreaker | None = None,
    ) -> None:
        self.project = project
        self.location = location
        self.model = model
        self.base_url = base_url or None
        self.timeout_seconds = timeout_seconds
        # What one reply may cost (output is billed ~8x input) and how long it may go on.
        self.max_output_tokens = max_output_tokens
        # Thinking tokens count in max_output_tokens: a reply needs little, "" sends no level.
        self.thinking_level = thinking_level
        self.prompt_builder = prompt_builder or PromptBuilder()
        # Records whether calls reach Gemini, for /healthz; observed, not enforced: every turn
        # still calls. A withheld or empty answer counts as reached (the service is up).
        self.outcomes = outcomes or CircuitBreaker(
            failures=DOWN_AFTER_FAILURES, reset_seconds=DOWN_FOR_SECONDS
        )
        self._last_error: str | None = None

    def prepare(self) -> threading.Thread:
        """Import google-genai and make the client on a background thread while the instance
        starts (about 2 s here: 1.6 s of import, 0.4 s of client), so that the first turn of
        each new instance does not wait for it. A failure is left to that turn to report."""
        thread = threading.Thread(target=self._warm, name="gemini-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm(self) -> None:
        with contextlib.suppress(Exception):
            _client(self.project, self.location, self.base_url, self._timeout_ms())

    def _timeout_ms(self) -> int:
        return max(1, round(self.timeout_seconds * 1000))

    def health(self) -> dict:
        """This instance's view from its recent calls (error names only: /healthz is public)."""
        return {"circuit": self.outcomes.state, "last_error": self._last_error}

    def _failed(self, exc: BaseException) -> None:
        self._last_error = type(exc).__name__
        self.outcomes.failure()

    def _call_args(self, req: ReplyRequest) -> tuple[Any, dict[str, Any]]:
        """The cached client and the keyword arguments of one generate call."""
        try:
            from google.genai import types

            client = _client(self.project, self.location, self.base_url, self._timeout_ms())
        except Exception as exc:  # SDK missing, bad credentials or configuration
            self._failed(exc)
            raise GenerationError(f"Gemini client unavailable: {_describe(exc)}") from exc
        prompt: Prompt = self.prompt_builder.build(req)
        level = self.thinking_level.upper()
        return client, {
            "model": self.model,
            "contents": [dict(c, parts=[dict(p) for p in c["parts"]]) for c in prompt.contents],
            "config": types.GenerateContentConfig(
                system_instruction=prompt.system_instruction,
                max_output_tokens=self.max_output_tokens,
                thinking_config=types.ThinkingConfig(thinking_level=level) if level else None,
                safety_settings=[
                    types.SafetySetting(
                        category=types.HarmCategory(category),
                        threshold=types.HarmBlockThreshold(_THRESHOLD),
                    )
                    for category in _FILTERED
                ],
            ),
        }

    def generate(self, req: ReplyRequest) -> str:
        """The whole reply, or GenerationError."""
        client, kwargs = self._call_args(req)
        try:
            response = client.models.generate_content(**kwargs)
            text = (response.text or "").strip()
        except Exception as exc:
            self._failed(exc)
            raise GenerationError(
                f"Gemini {self.model} failed: {_describe(exc, self.timeout_seconds)}"
            ) from exc
        self.outcomes.success()
        reason, block = _finish_reason(response), _block_reason(response)
        if not text:
            raise _withheld(self._empty_message(response), reason, block)
        if reason not in _COMPLETE:
            raise _withheld(f"Gemini {self.model} withheld the answer (finish {reason})", reason)
        return self._kept(text, reason, req)

    def stream(self, req: ReplyRequest) -> Iterator[str]:
        """Text chunks as Gemini produces them, or GenerationError (possibly after some chunks:
        a caller that already sent them decides how to recover), also when the whole reply
        fails the vet; a reply cut at the token cap ends with a Restart chunk holding its whole
        sentences. On a care or after-crisis turn the reply comes as one chunk once vetted: no
        word of a reply that names another helpline may reach the screen, even for a moment."""
        hold = req.care or req.recent_crisis
        text = finish = ""
        for chunk, reason in self._chunks(req):
            text, finish = text + chunk, reason or finish
            if chunk and not hold:
                yield chunk
        kept = self._kept(text, finish, req)
        if hold:
            yield kept
        elif text[len(kept) :].strip():  # cut mid-sentence: what was shown is not the reply
            yield Restart(kept)

    def _kept(self, text: str, finish: str, req: ReplyRequest) -> str:
        """What is kept of a finished reply: vetted, and, when cut at max_output_tokens, its
        whole sentences (a reply cut mid-word was stored and replayed in later prompts); none
        in care, where a cut reply may have lost what the care rule asks for."""
        if finish == "MAX_TOKENS":
            where = "in care" if req.care else "in its first sentence"
            if req.care or not (whole := whole_sentences(text)):
                raise GenerationError(
                    f"Gemini {self.model} was cut at {self.max_output_tokens} tokens {where}"
                )
            text = whole
        return vet_reply(text, req)

    def _chunks(self, req: ReplyRequest) -> Iterator[tuple[str, str]]:
        """(text, finish reason) of Gemini's chunks as they come (the reason "" until the last).
        The client's timeout bounds only the wait for each chunk, so a model dripping chunks
        would hold the turn as long as it went on: the stream is cut at the first chunk that
        comes past timeout_seconds (the whole stream then took at most twice that)."""
        client, kwargs = self._call_args(req)
        produced = finished = False
        deadline = time.monotonic() + self.timeout_seconds
        try:
            with contextlib.closing(client.models.generate_content_stream(**kwargs)) as chunks:
                for chunk in chunks:
                    if time.monotonic() > deadline:  # closing() ends the HTTP stream
                        raise TimeoutError("the stream went on past the timeout")
                    reason, block = _finish_reason(chunk), _block_reason(chunk)
                    if block or reason not in _COMPLETE:
                        self.outcomes.success()
                        raise _withheld(
                            f"Gemini {self.model} withheld the answer ({block or reason})",
                            reason,
                            block,
                        )
                    finished = finished or reason in _FINISHED
                    text = chunk.text or ""
                    produced = produced or bool(text.strip())
                    yield text, reason
            if not finished:
                # A body that closed cleanly before the last chunk: what came is not the reply.
                raise ConnectionError("the stream ended without a finish reason")
        except GenerationError:
            raise
        except Exception as exc:
            self._failed(exc)
            raise GenerationError(
                f"Gemini {self.model} stream failed: {_describe(exc, self.timeout_seconds)}"
            ) from exc
        self.outcomes.success()
        if not produced:
            raise GenerationError(f"Gemini {self.model} returned an empty answer")

    def _empty_message(self, response: Any) -> str:
        if block := _block_reason(response):
            return f"Gemini {self.model} blocked the prompt ({block})"
        if not getattr(response, "candidates", None):
            return f"Gemini {self.model} returned no candidates"
        reason = _finish_reason(response)
        return f"Gemini {self.model} returned an empty answer (finish {reason or 'unknown'})"
