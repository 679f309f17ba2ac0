"""A local stand-in for the FCM HTTP v1 API (`POST /v1/projects/{p}/messages:send`).

firebase-admin's `messaging.send` sends one such request per message (one per device), so this
is the whole wire protocol the push sender uses. Answers are driven per token: by default every
message is accepted; `respond(token, ...)` queues the answers FCM gives for that token, in the
error shapes FCM uses (google.rpc.Status with an `FcmError` detail):

    UNREGISTERED 404, INVALID_ARGUMENT 400, SENDER_ID_MISMATCH 403, THIRD_PARTY_AUTH_ERROR 401,
    QUOTA_EXCEEDED 429 (with Retry-After), UNAVAILABLE 503 (optionally with Retry-After),
    INTERNAL 500.

In-process tests start a `FakeFcmServer` (a context manager). The local stack runs it as a
process (`python -m tests.fakes.fcm_server --port 8102`); tests drive that one over HTTP:

    POST   /_fake/tokens/{token}  {"answers": ["QUOTA_EXCEEDED"], "then": "ok", "retry_after": 1}
    GET    /_fake/requests        every request received, oldest first
    DELETE /_fake/requests        forget the requests and the scripted answers
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fakes.serving import BackgroundServer

_SEND = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
_CONTROL_TOKEN = re.compile(r"^/_fake/tokens/(?P<token>[^/]+)$")

FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
# answer -> (HTTP status, google.rpc status, FCM error code, message)
ERRORS: dict[str, tuple[int, str, str, str]] = {
    "UNREGISTERED": (404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found."),
    "INVALID_ARGUMENT": (
        400,
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
    ),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch"),
    "THIRD_PARTY_AUTH_ERROR": (  # the APNs key or Web Push credentials in Firebase
        401,
        "UNAUTHENTICATED",
        "THIRD_PARTY_AUTH_ERROR",
        "Auth error from APNS or Web Push Service",
    ),
    "QUOTA_EXCEEDED": (
        429,
        "RESOURCE_EXHAUSTED",
        "QUOTA_EXCEEDED",
        "Quota exceeded for quota metric 'Send requests' of service 'fcm.googleapis.com'.",
    ),
    "UNAVAILABLE": (503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "INTERNAL", "Internal error encountered."),
}
ANSWERS = ("ok", *ERRORS)


@dataclass(frozen=True)
class RecordedRequest:
    project: str
    authorization: str | None
    body: dict[str, Any]
    answer: str  # what the fake answered: "ok" or an error name

    @property
    def message(self) -> dict[str, Any]:
        return self.body.get("message") or {}

    @property
    def token(self) -> str | None:
        return self.message.get("token")


@dataclass
class _Script:
    answers: deque[str]
    then: str = "ok"
    retry_after: int | None = None


@dataclass
class FakeFcmServer(BackgroundServer):
    """Serves FCM v1 `messages:send` on 127.0.0.1 (an ephemeral port unless one is given)."""

    thread_name = "fake-fcm"

    port_wanted: int = 0
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, _Script] = {}

    # What tests use

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond(
        self, token: str, *answers: str, then: str = "ok", retry_after: int | None = None
    ) -> None:
        """Answer the next requests for `token` with `answers` in order, then with `then`."""
        for answer in (*answers, then):
            if answer not in ANSWERS:
                raise ValueError(f"unknown answer {answer!r}; one of {ANSWERS}")
        with self._lock:
            self._scripts[token] = _Script(deque(answers), then, retry_after)

    def sent_to(self, token: str) -> list[RecordedRequest]:
        """Requests for `token` that FCM accepted."""
        with self._lock:
            return [r for r in self.requests if r.token == token and r.answer == "ok"]

    def for_token(self, token: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.token == token]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._scripts.clear()

    # The server side

    def _answer_for(self, token: str) -> tuple[str, int | None]:
        with self._lock:
            script = self._scripts.get(token)
            if script is None:
                return "ok", None
            answer = script.answers.popleft() if script.answers else script.then
            return answer, script.retry_after

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _status(code: int, status: str, message: str, fcm_code: str | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if fcm_code:
        error["details"] = [{"@type": FCM_ERROR, "errorCode": fcm_code}]
    return {"error": error}


def _invalid_message(body: Any) -> str | None:
    """What FCM would reject in the request itself (a 400 before any token is looked at)."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        return "Invalid JSON payload received. 'message' is required."
    message = body["message"]
    targets = [k for k in ("token", "topic", "condition") if message.get(k)]
    if len(targets) != 1:
        return "Exactly one of token, topic or condition must be specified."
    data = message.get("data") or {}
    if not all(isinstance(v, str) for v in data.values()):
        return "Invalid value at 'message.data': values must be strings."
    return None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeFcmServer
    server_version = "FakeFCM/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API: requests' pool reuses sockets

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded requests instead."""

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        control = _CONTROL_TOKEN.match(path)
        body = self._body()
        if control:
            self._control_token(unquote(control["token"]), body)
            return
        match = _SEND.match(path)
        if not match:
            self._json(404, _status(404, "NOT_FOUND", f"Unknown path {path}"))
            return
        auth = self.headers.get("Authorization")
        if not auth or not auth.startswith("Bearer "):
            self._json(
                401,
                _status(401, "UNAUTHENTICATED", "Request is missing required authentication."),
            )
            return
        problem = _invalid_message(body)
        token = body["message"].get("token") if isinstance(body, dict) and not problem else None
        answer, retry_after = ("INVALID_ARGUMENT", None) if problem else ("ok", None)
        if token:
            answer, retry_after = self.fake._answer_for(token)
        self.fake._record(
            RecordedRequest(
                project=match["project"],
                authorization=auth,
                body=body if isinstance(body, dict) else {},
                answer=answer,
            )
        )
        if problem:
            self._json(400, _status(400, "INVALID_ARGUMENT", problem))
        elif answer == "ok":
            name = f"projects/{match['project']}/messages/{uuid.uuid4().hex}"
            self._json(200, {"name": name})
        else:
            code, status, fcm_code, message = ERRORS[answer]
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            self._json(code, _status(code, status, message, fcm_code), headers)

    def do_GET(self) -> None:
        if urlsplit(self.path).path != "/_fake/requests":
            self._json(404, _status(404, "NOT_FOUND", "Unknown path"))
            return
        with self.fake._lock:
            recorded = [asdict(r) for r in self.fake.requests]
        self._json(200, {"requests": recorded})

    def do_DELETE(self) -> None:
        if urlsplit(self.path).path != "/_fake/requests":
            self._json(404, _status(404, "NOT_FOUND", "Unknown path"))
            return
        self.fake.reset()
        self._json(200, {})

    def _control_token(self, token: str, body: Any) -> None:
        body = body if isinstance(body, dict) else {}
        try:
            self.fake.respond(
                token,
                *body.get("answers", []),
                then=body.get("then", "ok"),
                retry_after=body.get("retry_after"),
            )
        except (ValueError, TypeError) as e:
            self._json(400, _status(400, "INVALID_ARGUMENT", str(e)))
            return
        self._json(200, {})

    def _json(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up


FakeFcmServer.handler = _Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.fcm_server")
    parser.add_argument("--port", type=int, default=8102)
    args = parser.parse_args(argv)
    server = FakeFcmServer(port_wanted=args.port).start()
    print(f"fake FCM v1 on {server.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
