"""Chat function: turns, sessions, sync, the earlier /api/chat/enhanced shape, and /healthz."""

from __future__ import annotations

import gc

gc.disable()  # until the end of the import: common.prefork.share_with_workers

import hashlib
import json
import re
import threading
from collections.abc import Callable
from datetime import timedelta

import flask
import functions_framework

from common import clients
from common.analysis.safety import scanned_once
from common.chat import over_long, service
from common.chat.models import SESSION_ID_PATTERN, LegacyChatRequest, TurnCreate
from common.chat.over_long import Body
from common.chat.wiring import turn_ports
from common.config import get_settings, require_analytics_key
from common.edge import authenticate, utcnow, within_budget
from common.errors import Forbidden, InvalidInput, NotFound
from common.health import check_all, serves_users
from common.http import Routes, after_sending, handle_errors, json_response, parse, read_json
from common.logs import setup_logging
from common.prefork import in_each_worker, share_with_workers
from common.safety import parse_locale
from common.sse import stream_events
from common.warmup import draw_in_background, load_for_turns, samples_thompson

setup_logging(get_settings().log_level)
require_analytics_key()
load_for_turns(gemini=get_settings().response_generator == "gemini")
# While the worker starts: Vertex AI's token, google-genai's import and client, and numpy.
if get_settings().model_google_auth and (model := clients.persona_model()) is not None:
    in_each_worker(model.prepare)
if get_settings().response_generator == "gemini":
    in_each_worker(clients.response_generator().prepare)
if samples_thompson(get_settings()):  # numpy, kept out of this process (common/warmup.py)
    in_each_worker(draw_in_background)

ROUTES = Routes(
    {
        "/v2/chat/turns": ("create_turn", ("POST",)),
        "/v2/sessions/<session_id>": ("get_session", ("GET",)),
        "/v2/sessions/<session_id>/turns": ("list_turns", ("GET",)),
        "/api/chat/enhanced": ("legacy_chat", ("POST",)),
        "/healthz": ("healthz", ("GET",)),
        # The same, where API Gateway asks for it: Cloud Run answers /healthz itself
        # (scripts/openapi_endpoints.BACKEND_PATHS).
        "/health": ("healthz", ("GET",)),
    }
)
HEALTH_RETRY_AFTER = 30  # seconds: a degraded /healthz's 503, as every 503 says when to retry


@functions_framework.http
@handle_errors
def chat(request: flask.Request) -> flask.Response:
    endpoint, args = ROUTES.match(request)
    if endpoint == "healthz":  # public: the uptime check has no user
        report = check_all(get_settings())
        if serves_users(report):  # all ok, or only background work waits (common/health.py)
            return json_response(report)
        # The report, not the error shape (uptime checks read it), but a 503's Retry-After.
        return json_response(report, 503, {"Retry-After": str(HEALTH_RETRY_AFTER)})
    # A turn counts against the user's request budget once its message is read (_spend_on).
    caller = authenticate(request, spend=endpoint not in ("create_turn", "legacy_chat"))
    return HANDLERS[endpoint](request, caller.uid, **args)


def _spend_on(uid: str, message: str) -> bool:
    """A turn's share of the user's request budget; True when it was spent already. Like every
    per-user limit on turns, it never refuses a message the crisis patterns flag: such a turn
    is then answered with the crisis reply alone, with nothing read or stored
    (service.crisis_past_budget), so that a script sending crisis words costs little more
    than a refusal."""
    return not within_budget(uid, unless=lambda: service.patterns_say_crisis(message))


def _turn(
    uid: str,
    body: TurnCreate,
    locale: str | None,
    client: str,
    sink: service.ReplySink | None = None,
    replay_for: timedelta | None = None,
    past: str | None = None,
    *,
    later: list,
):
    if past is not None:
        ports = turn_ports()
        return service.crisis_past_budget(
            uid=uid,
            body=body,
            baseline=ports["baseline"],
            rank=ports["rank"],
            settings=ports["settings"],
            now=utcnow(),
            locale=locale,
            sink=sink,
            publisher=ports["publisher"],
            limit=past,
        )
    return service.take_turn(
        uid=uid,
        body=body,
        now=utcnow(),
        locale=locale,
        client=client,
        sink=sink,
        replay_for=replay_for,
        after_answer=later.append,
        **turn_ports(),
    )


def _read(model: type[Body], request: flask.Request, uid: str) -> tuple[Body, str | None]:
    """The body as `model`, and the limit it is past if the turn is answered with the crisis
    reply alone (service.crisis_past_budget): the budget (_spend_on), or the message's length
    when its first or last MAX_MESSAGE_CHARS the patterns flag, cut to them (over_long); any
    other body gets parse's 400."""
    data = read_json(request, max_bytes=get_settings().max_body_bytes)
    try:
        body = parse(model, data)
    except InvalidInput:
        if not (cuts := over_long.cuts(model, data)):
            raise
        # Counted as a turn before its scan, and no more refused than one when a crisis.
        within_budget(uid, unless=lambda: over_long.crisis_cut(cuts) is not None)
        if (cut := over_long.crisis_cut(cuts)) is None:  # the verdicts: scanned once
            raise
        return cut, service.MESSAGE_LENGTH
    return body, service.REQUEST_BUDGET if _spend_on(uid, body.message) else None


@scanned_once()  # the budget's verdict on the message is the turn's (service.take_turn)
def create_turn(request: flask.Request, uid: str) -> flask.Response:
    body, past = _read(TurnCreate, request, uid)
    locale = parse_locale(request.headers.get("Accept-Language"))
    later: list = []  # the turn's events, published once the answer is out
    if body.stream:
        replayed = threading.Event()
        response = stream_events(
            lambda sink: _streamed_turn(uid, body, locale, sink, replayed, past, later)
        )
        # A turn stored before this request is known before the first event, so before the
        # headers go out; one a concurrent request stored while this one was streaming may not
        # be (the header says false then), and its `reset` event replaces the tokens sent.
        response.headers["Idempotent-Replayed"] = str(replayed.is_set()).lower()
        return _then_deliver(response, later)
    response, replayed = _turn(uid, body, locale, "v2", past=past, later=later)
    headers = {"Idempotent-Replayed": str(replayed).lower()}
    return _then_deliver(json_response(response, 200 if replayed else 201, headers), later)


def _then_deliver(response: flask.Response, later: list) -> flask.Response:
    """`response`, then the turn's event delivery (`later`): left to the relay once the events
    are past the outbox's grace, as it may have published them by then. (Only a stored turn's:
    a crisis turn not stored has no outbox copy and sent its event before answering.)"""
    return after_sending(response, later, stale_after=get_settings().outbox_grace_seconds)


def _streamed_turn(
    uid: str,
    body: TurnCreate,
    locale: str | None,
    sink: service.ReplySink,
    replayed: threading.Event,
    past: str | None,
    later: list,
) -> dict:
    """A turn for `"stream": true` (run off the request thread: no flask objects here); sets
    `replayed` before its first event when it repeats a stored turn."""
    response, was_replayed = _turn(uid, body, locale, "v2", sink, past=past, later=later)
    if was_replayed:  # a retry of a stored turn: its reply in one piece
        replayed.set()
        # This request may have streamed a reply of its own before another request with the
        # same client_turn_id stored first: the client discards those tokens.
        sink.reset()
        sink.token(response["reply"])
    return response


def _session_id(session_id: str) -> str:
    if not re.fullmatch(SESSION_ID_PATTERN, session_id):
        raise NotFound(service.SESSION_GONE, code="session_not_found")
    return session_id


def get_session(request: flask.Request, uid: str, session_id: str) -> flask.Response:
    out = service.get_session(
        uid=uid, session_id=_session_id(session_id), store=clients.session_store(), now=utcnow()
    )
    etag = hashlib.sha256(out.model_dump_json().encode()).hexdigest()[:32]
    headers = {"Cache-Control": "private, no-cache"}
    # If-None-Match compares weakly (RFC 9110): a proxy that compresses may send W/"<etag>".
    response = (
        flask.Response(status=304, headers=headers)
        if request.if_none_match.contains_weak(etag)
        else json_response(out, headers=headers)
    )
    response.set_etag(etag)
    return response


def list_turns(request: flask.Request, uid: str, session_id: str) -> flask.Response:
    after = _int_arg(request, "after", default=-1, low=-1, high=10**9)
    limit = _int_arg(request, "limit", default=50, low=1, high=200)
    page = service.list_turns(
        uid=uid,
        session_id=_session_id(session_id),
        after=after,
        limit=limit,
        store=clients.session_store(),
        now=utcnow(),
    )
    return json_response(page)


def _int_arg(request: flask.Request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"'{name}' must be an integer.", field=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"'{name}' must be between {low} and {high}.", field=name)
    return value


@scanned_once()
def legacy_chat(request: flask.Request, uid: str) -> flask.Response:
    legacy, past = _read(LegacyChatRequest, request, uid)
    if legacy.userId != uid:
        raise Forbidden("userId does not match the signed-in user.", code="user_mismatch")
    client_turn_id, replay_for = _legacy_turn_id(request, legacy)
    body = TurnCreate(
        session_id=legacy.sessionId, client_turn_id=client_turn_id, message=legacy.message
    )
    locale = parse_locale(request.headers.get("Accept-Language"))
    later: list = []
    turn, _ = _turn(uid, body, locale, "legacy", replay_for=replay_for, past=past, later=later)
    out = {
        "success": True,
        "sessionId": turn["session_id"],
        "response": turn["reply"],
        "persona": turn["persona"],
        "alternatives": turn["alternatives"],
        "safety": turn["safety"],
        "degraded": turn["degraded"],
    }
    if legacy.enableAIAnalysis:
        out["analysis"] = turn["analysis"]
    return _then_deliver(json_response(out), later)


LEGACY_RETRY = timedelta(minutes=2)


def _legacy_turn_id(
    request: flask.Request, legacy: LegacyChatRequest
) -> tuple[str, timedelta | None]:
    """The turn's client_turn_id and how long its stored turn answers a retry. Old clients may
    send an Idempotency-Key header. Without one, a retry is recognised by the same session,
    history length and message within two minutes; later, the same (a new conversation's
    "hi") is a new turn, which takes the key over. No time slot in the id: a retry sent while
    the first request is still answered must share its key, so that one of them is stored and
    the other replays it (with two-minute slots, one across a slot's end was stored twice)."""
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        return _legacy_id(key), None
    said = json.dumps([legacy.sessionId, len(legacy.conversationHistory), legacy.message])
    return _legacy_id(said), LEGACY_RETRY


def _legacy_id(key: str) -> str:
    return "legacy-" + hashlib.sha256(key.encode()).hexdigest()[:40]


HANDLERS: dict[str, Callable[..., flask.Response]] = {
    "create_turn": create_turn,
    "get_session": get_session,
    "list_turns": list_turns,
    "legacy_chat": legacy_chat,
}
share_with_workers()  # last: after everything the import made
