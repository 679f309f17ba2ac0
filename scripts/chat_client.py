"""A terminal chat client that uses the API as an app does: it signs in through the Firebase
Auth emulator (sign-in, or sign-up the first time; the ID token refreshed before it expires),
sends turns through the gateway with streamed replies, and shows the persona and the two
alternatives.

    python -m scripts.chat_client [--email you@example.com] [--password ...] [--no-stream]

Commands: /persona <lua|riri|elro|nana|auto>, /up, /down, /history, /new, /help, /quit.
Anything else is a message. Lines can come from a pipe: `printf 'hi\\n/up\\n' | python -m …`."""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

import httpx
from httpx_sse import EventSource

API = os.environ.get("ION_API_URL", "http://127.0.0.1:8080")
AUTH = os.environ.get("ION_AUTH_URL", "http://127.0.0.1:9099")  # the Auth emulator
API_KEY = "local"  # the emulator accepts any key
REFRESH_MARGIN_SECONDS = 60
HISTORY_PAGE = 10
HELP = (
    "/persona <lua|riri|elro|nana|auto>  talk to one mentor, for the rest of the conversation\n"
    "             (auto: the best fit, from /new on)\n"
    "/up, /down   rate the last reply      /history   the turns of this conversation\n"
    "/new         start a new conversation /quit      leave"
)


class ApiProblem(Exception):
    """An answer in the API's error shape (or a transport failure), said plainly."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiProblem:
        try:
            error = response.json()["error"]
            return cls(response.status_code, error["code"], error["message"], error.get("field"))
        except (ValueError, KeyError, TypeError):
            return cls(response.status_code, "http_error", response.text[:200] or "no body")

    def __str__(self) -> str:
        return f"{self.message} ({self.status} {self.code})"


# --- Signing in -----------------------------------------------------------------------------


@dataclass
class Session:
    """A signed-in user: the ID token, refreshed with the refresh token before it expires."""

    http: httpx.Client
    auth_url: str
    uid: str
    id_token: str
    refresh_token: str
    expires_at: float

    @classmethod
    def sign_in(cls, http: httpx.Client, auth_url: str, email: str, password: str) -> Session:
        """Sign in; an unknown email signs up, as an app's first run would."""
        body = {"email": email, "password": password, "returnSecureToken": True}
        base = f"{auth_url}/identitytoolkit.googleapis.com/v1/accounts"
        answer = http.post(f"{base}:signInWithPassword", params={"key": API_KEY}, json=body)
        if answer.status_code == 400 and _auth_error(answer) in (
            "EMAIL_NOT_FOUND",
            "INVALID_LOGIN_CREDENTIALS",
        ):
            answer = http.post(f"{base}:signUp", params={"key": API_KEY}, json=body)
        if answer.status_code != 200:
            raise ApiProblem(answer.status_code, "sign_in_failed", _auth_error(answer))
        data = answer.json()
        return cls(
            http,
            auth_url,
            data["localId"],
            data["idToken"],
            data["refreshToken"],
            time.time() + int(data.get("expiresIn", 3600)),
        )

    def refresh(self) -> None:
        answer = self.http.post(
            f"{self.auth_url}/securetoken.googleapis.com/v1/token",
            params={"key": API_KEY},
            data={"grant_type": "refresh_token", "refresh_token": self.refresh_token},
        )
        if answer.status_code != 200:
            raise ApiProblem(answer.status_code, "refresh_failed", _auth_error(answer))
        data = answer.json()
        self.id_token, self.refresh_token = data["id_token"], data["refresh_token"]
        self.expires_at = time.time() + int(data.get("expires_in", 3600))

    def headers(self) -> dict[str, str]:
        if time.time() > self.expires_at - REFRESH_MARGIN_SECONDS:
            self.refresh()
        return {"Authorization": f"Bearer {self.id_token}"}


def _auth_error(response: httpx.Response) -> str:
    try:
        return response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


# --- The conversation -----------------------------------------------------------------------


@dataclass
class Chat:
    """One user's conversation with the API: the state an app keeps between turns."""

    session: Session
    api_url: str = API
    stream: bool = True
    persona: str | None = None
    session_id: str | None = None
    last_turn: dict | None = None
    streamed_last: bool = False  # whether the last reply arrived as Server-Sent Events

    def _request(self, method: str, path: str, **kw) -> httpx.Response:
        """One call; a 401 refreshes the token once and tries again."""
        for attempt in (1, 2):
            response = self.session.http.request(
                method, f"{self.api_url}{path}", headers=self.session.headers(), **kw
            )
            if response.status_code != 401 or attempt == 2:
                return response
            self.session.refresh()
        raise AssertionError("unreachable")

    def send(self, message: str, on_token=lambda text: None, on_reset=lambda: None) -> dict:
        """A turn: streamed when the server streams, the whole answer at once otherwise."""
        body = {
            "session_id": self.session_id,
            "client_turn_id": uuid.uuid4().hex,
            "message": message,
            "persona": self.persona,
        }
        if self.stream:
            turn = self._send_streaming({**body, "stream": True}, on_token, on_reset)
        else:
            turn = None
        if turn is None:  # not streamed: a server without streaming, or --no-stream
            response = self._request("POST", "/v2/chat/turns", json=body)
            if response.status_code not in (200, 201):
                raise ApiProblem.from_response(response)
            turn, self.streamed_last = response.json(), False
        self.session_id, self.last_turn = turn["session_id"], turn
        return turn

    def _send_streaming(self, body: dict, on_token, on_reset, retry: bool = True) -> dict | None:
        headers = {**self.session.headers(), "Accept": "text/event-stream"}
        with self.session.http.stream(
            "POST", f"{self.api_url}/v2/chat/turns", json=body, headers=headers
        ) as response:
            if response.status_code == 401 and retry:  # revoked or expired early: once more
                self.session.refresh()
                return self._send_streaming(body, on_token, on_reset, retry=False)
            if response.status_code == 400:
                response.read()
                problem = ApiProblem.from_response(response)
                if problem.field == "stream":  # a server that does not stream
                    self.stream = False
                    return None
                raise problem
            if response.status_code not in (200, 201):
                response.read()
                raise ApiProblem.from_response(response)
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                response.read()
                self.streamed_last = False
                return response.json()
            self.streamed_last = True
            for event in EventSource(response).iter_sse():
                if event.event == "token":
                    on_token(event.json()["text"])
                elif event.event == "reset":
                    on_reset()
                elif event.event == "final":
                    return event.json()
                elif event.event == "error":
                    error = event.json()["error"]
                    # the status the failure would have had, had the stream not begun
                    status = error.get("status", 200)
                    raise ApiProblem(status, error["code"], error["message"], error.get("field"))
        raise ApiProblem(502, "stream_ended", "The reply stream ended without a final answer.")

    def rate(self, rating: str) -> dict:
        if self.last_turn is None:
            raise ApiProblem(0, "nothing_to_rate", "There is no reply to rate yet.")
        response = self._request(
            "POST",
            "/v2/feedback",
            json={
                "turn_id": self.last_turn["turn_id"],
                "session_id": self.last_turn["session_id"],
                "rating": rating,
            },
        )
        if response.status_code not in (200, 201):
            raise ApiProblem.from_response(response)
        return response.json()

    def history(self, *, page_size: int = HISTORY_PAGE) -> Iterator[dict]:
        """Every turn of the conversation, a page at a time, oldest first."""
        if self.session_id is None:
            return
        after: int | None = -1
        while after is not None:
            response = self._request(
                "GET",
                f"/v2/sessions/{self.session_id}/turns",
                params={"after": after, "limit": page_size},
            )
            if response.status_code != 200:
                raise ApiProblem.from_response(response)
            page = response.json()
            yield from page["turns"]
            after = page["next_after"]

    def new(self) -> None:
        self.session_id, self.last_turn = None, None


# --- The terminal ---------------------------------------------------------------------------


def describe(turn: dict) -> str:
    persona = turn["persona"]
    others = ", ".join(f"{a['name']} {a['score']:.2f}" for a in turn["alternatives"])
    lines = [f"  — {persona['name']} ({persona['score']:.2f}) · alternatives: {others}"]
    lines += [f"    why: {reason}" for reason in persona.get("reasons", [])[:2]]
    if turn.get("degraded"):
        lines.append(f"    (degraded: {', '.join(turn['degraded'])})")
    if turn.get("safety", {}).get("crisis"):
        lines.append("    (crisis resources were included)")
    return "\n".join(lines)


def repl(chat: Chat, lines: Iterable[str], out: TextIO, *, prompt: str = "") -> None:
    """Read commands and messages until /quit or the end of input."""

    def say(text: str = "", end: str = "\n") -> None:
        out.write(text + end)
        out.flush()

    say(f"signed in as {chat.session.uid}; /help for commands")
    for raw in _prompted(lines, out, prompt):
        line = raw.strip()
        if not line:
            continue
        command, _, arg = line.partition(" ")
        try:
            if command == "/quit":
                break
            elif command == "/help":
                say(HELP)
            elif command == "/new":
                chat.new()
                say("(a new conversation)")
            elif command == "/persona":
                chat.persona = None if arg.strip() in ("", "auto") else arg.strip().lower()
                say(f"(persona: {chat.persona or 'auto'})")
            elif command in ("/up", "/down"):
                rated = chat.rate(command[1:])
                say(f"(rated {rated['rating']}: thanks)")
            elif command == "/history":
                turns = list(chat.history())
                if not turns:
                    say("(no turns yet)")
                for turn in turns:
                    say(f"[{turn['turn_index']}] you: {turn['message']}")
                    say(f"    {turn['persona']}: {turn['reply']}")
            elif command.startswith("/"):
                say(f"unknown command {command}; /help lists them")
            else:
                say("mentor: ", end="")
                turn = chat.send(
                    line,
                    on_token=lambda text: say(text, end=""),
                    on_reset=lambda: say("\n(the reply starts over)\nmentor: ", end=""),
                )
                if not chat.streamed_last:
                    say(turn["reply"], end="")
                say()
                say(describe(turn))
        except ApiProblem as problem:
            say(f"\nerror: {problem}")
        except httpx.HTTPError as e:
            say(f"\nerror: the API did not answer ({type(e).__name__}); is the stack up?")


def _prompted(lines: Iterable[str], out: TextIO, prompt: str) -> Iterator[str]:
    for line in lines:
        yield line
        if prompt:
            out.write(prompt)
            out.flush()


def _stdin_lines(prompt: str) -> Iterator[str]:
    if prompt:
        sys.stdout.write(prompt)
        sys.stdout.flush()
    yield from sys.stdin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with ION Mentoring from a terminal.")
    parser.add_argument("--api", default=API, help=f"the API's base URL (default {API})")
    parser.add_argument("--auth", default=AUTH, help=f"the Auth emulator (default {AUTH})")
    parser.add_argument("--email", default=os.environ.get("ION_EMAIL", "me@example.com"))
    parser.add_argument("--password", default=os.environ.get("ION_PASSWORD", "ion-local-pw"))
    parser.add_argument("--persona", help="start with this persona (lua, riri, elro, nana)")
    parser.add_argument("--no-stream", action="store_true", help="whole replies, not streamed")
    args = parser.parse_args(argv)
    prompt = "> " if sys.stdin.isatty() else ""
    with httpx.Client(timeout=httpx.Timeout(60.0, connect=3.0)) as http:
        try:
            session = Session.sign_in(http, args.auth, args.email, args.password)
        except (ApiProblem, httpx.HTTPError) as e:
            print(f"cannot sign in at {args.auth}: {e} (is the stack up? `make up`)")
            return 1
        chat = Chat(session, args.api, stream=not args.no_stream, persona=args.persona)
        repl(chat, _stdin_lines(prompt), sys.stdout, prompt=prompt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
