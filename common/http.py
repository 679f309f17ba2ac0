"""The HTTP edge shared by every function: JSON in and out, errors in the one shape, routing."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WzMethodNotAllowed
from werkzeug.exceptions import NotFound as WzNotFound
from werkzeug.routing import Map, MapAdapter, RequestRedirect, Rule

from common import after_answer, formats, logs, timing
from common.config import get_settings
from common.errors import (
    ApiError,
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 32
# Every answer that does not say otherwise: user data must not outlive sign-out or an erasure
# in a phone's HTTP cache (iOS URLSession's default URLCache stores 2xx GETs unless told not to).
DEFAULT_CACHE_CONTROL = "no-store"


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> flask.Response:
    if isinstance(body, BaseModel):
        payload = body.model_dump_json()
    else:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return flask.Response(payload, status=status, headers=headers, mimetype="application/json")


def after_sending(
    response: flask.Response,
    work: list[Callable[[], object]],
    stale_after: float | None = None,
) -> flask.Response:
    """`response`, with `work` run once it has been sent (queued at the WSGI close, when the
    client has the whole answer; common.after_answer), in the request's log fields; dropped if
    it waited `stale_after` seconds. `work` may still grow until then: a streamed answer's."""
    response.call_on_close(after_answer.later(work, stale_after))
    return response


def error_response(error: ApiError) -> flask.Response:
    return json_response(error.body(), error.status, error.headers())


def read_json(request: flask.Request, *, max_bytes: int) -> Any:
    """The request body as JSON, or an ApiError that says exactly what is wrong with it."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Send the body as JSON with Content-Type: application/json.")
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"The body is larger than {max_bytes} bytes.")
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The body is larger than {max_bytes} bytes.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The body is not valid UTF-8.", code="invalid_utf8") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # ValueError: also an integer of over 4300 digits
        raise InvalidInput("The body is not valid JSON.", code="invalid_json") from None
    _check_shape(data, depth=0)
    return data


def _check_shape(value: Any, *, depth: int) -> None:
    """Reject what JSON allows but storage cannot hold: deep nesting and lone surrogates."""
    if depth > MAX_JSON_DEPTH:
        raise InvalidInput("The JSON is nested too deeply.", code="invalid_json")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("The body contains invalid Unicode.", code="invalid_utf8") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_shape(key, depth=depth + 1)
            _check_shape(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_shape(item, depth=depth + 1)


def parse(model: type[BaseModel], data: Any) -> Any:
    """Validate into a pydantic model; the first problem becomes a 400 that names the field."""
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object.", code="invalid_input")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        field = _field_path(first["loc"])
        kind = first["type"]
        said = first["msg"]
        if kind == "value_error":  # our validators' own words, without "Value error, "
            said = str(first.get("ctx", {}).get("error", said))
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            said = "must be a JSON object"  # not "... or instance of QuietHours"
        elif kind == "string_pattern_mismatch":  # the format in words, not the regex
            said = formats.WORDS.get(first.get("ctx", {}).get("pattern", ""), said)
        said = said.rstrip(".")
        if kind == "extra_forbidden" and first["loc"]:  # named by the unknown key itself
            parent, key = _field_path(first["loc"][:-1]), str(first["loc"][-1])
            field = f"{parent}.{key}" if parent else key
        if field is None:
            message = f"{said}."
        elif kind == "missing":
            message = f"'{field}' is required."
        elif kind == "extra_forbidden":
            message = f"'{field}' is not a known field."
        else:
            message = f"'{field}': {said}."
        raise InvalidInput(message, field=field) from None


def _field_path(loc: tuple) -> str | None:
    """The field a validation error is about; pydantic appends union-member tags such as
    "literal['up','down']" to the location, which name no field."""
    parts = []
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.isidentifier()):
            parts.append(str(part))
        else:
            break
    return ".".join(parts) or None


def handle_errors(fn: Callable[..., flask.Response]) -> Callable[..., flask.Response]:
    """Turn every failure into the error shape; an unexpected one is logged and is a 500. Any
    answer without a Cache-Control of its own gets DEFAULT_CACHE_CONTROL."""

    @wraps(fn)
    def wrapper(*args, **kwargs) -> flask.Response:
        token, started = timing.start(), time.perf_counter()
        request_id, trace = _trace_of(flask.request.headers)
        fields = {"request_id": request_id}
        if trace:
            fields[logs.TRACE_FIELD] = f"projects/{get_settings().project_id}/traces/{trace}"
        bound = logs.bind(**fields)
        try:
            response = _answer(fn, *args, **kwargs)
            value = timing.header(total_ms=(time.perf_counter() - started) * 1000)
            if value and get_settings().server_timing:
                response.headers["Server-Timing"] = value
            response.headers["X-Request-Id"] = request_id  # what a user can quote to support
            response.headers.setdefault("Cache-Control", DEFAULT_CACHE_CONTROL)
            return response
        finally:
            logs.unbind(bound)
            timing.reset(token)

    return wrapper


_HEX = re.compile(r"[0-9a-f]{32}")


def _trace_of(headers: Any) -> tuple[str, str | None]:
    """(this request's id, its Cloud Trace id): the trace Google's front end starts
    (X-Cloud-Trace-Context "TRACE/SPAN;o=1", or W3C traceparent "00-TRACE-SPAN-01"), which
    is the request id too; a request without one gets a fresh id."""
    cloud = headers.get("X-Cloud-Trace-Context", "").split("/")[0].lower()
    w3c = headers.get("traceparent", "").split("-")
    for candidate in (cloud, w3c[1].lower() if len(w3c) == 4 else ""):
        if _HEX.fullmatch(candidate) and candidate != "0" * 32:
            return candidate, candidate
    return uuid.uuid4().hex, None


def _answer(fn: Callable[..., flask.Response], *args, **kwargs) -> flask.Response:
    try:
        return fn(*args, **kwargs)
    except Exception as e:
        return error_response(as_api_error(e))


def as_api_error(exc: BaseException, *, streamed: bool = False) -> ApiError:
    """What the client is told of a failure, logged: a dependency failure as a warning, anything
    unexpected with its traceback (and as a generic 500: no detail of it reaches the client).
    `streamed`: a failure after a 200 began, told in an `error` event (common/sse.py) or by the
    connection dropped mid-body (common/json_stream.py), which no 5xx request metric counts: the
    line says the status (logs.STREAMED_STATUS), which the monitoring module's log-based metric
    counts instead."""
    api_error = exc if isinstance(exc, ApiError) else ApiError("Something went wrong on our side.")
    extra: dict[str, object] = {logs.STREAMED_STATUS: api_error.status} if streamed else {}
    if not isinstance(exc, ApiError):
        log.error("unhandled error: %s", type(exc).__name__, exc_info=exc, extra=extra)
    elif exc.status >= 500:
        if (cause := cause_of(exc)) is not None:
            extra["cause"] = cause
        log.warning("dependency failure: %s", exc.message, extra={"code": exc.code, **extra})
    return api_error


def streamed_error(exc: BaseException, fields: dict[str, str]) -> ApiError:
    """as_api_error(exc, streamed=True) logged with the request's log fields, `fields`
    (logs.bound() while the handler ran): a streamed body is read after the handler returned
    and unbound them."""
    token = logs.bind(**fields)
    try:
        return as_api_error(exc, streamed=True)
    finally:
        logs.unbind(token)


CAUSE_CHARS = 200
_DOCUMENT_PATH = re.compile(r"documents/\S+")


def cause_of(exc: BaseException) -> str | None:
    """Why the dependency failed, for the operator: the exception the 503 was raised from (not
    one suppressed with `from None`), as "Type: message". These are the Google clients' errors
    (Firestore, Auth, Pub/Sub, BigQuery) about the call, not its data; still, the message is cut
    to CAUSE_CHARS and a Firestore document path in it dropped (some documents are keyed by
    uid), so no user text, token or uid reaches the line."""
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is None:
        return None
    message = _DOCUMENT_PATH.sub("documents/...", str(cause))[:CAUSE_CHARS]
    return f"{type(cause).__name__}: {message}"


def _unrouted(_: Exception) -> flask.Response:
    return error_response(NotFound("There is nothing at this path.", code="route_not_found"))


class Routes:
    """A werkzeug URL map whose misses are errors in the API's shape."""

    def __init__(self, rules: dict[str, tuple[str, tuple[str, ...]]]) -> None:
        # rules: path pattern -> (endpoint name, methods)
        self._map = Map(
            [
                Rule(path, endpoint=ep, methods=list(methods))
                for path, (ep, methods) in rules.items()
            ],
            strict_slashes=False,
        )
        self._methods: dict[str, set[str]] = {}
        for endpoint, methods in rules.values():
            self._methods.setdefault(endpoint, set()).update(methods)
        if flask.has_app_context():  # built while functions-framework loads the function
            # Its own `/<path:path>` rule stops at a newline (%0A): that miss is ours to answer
            # in the error shape too, not as its HTML page.
            flask.current_app.register_error_handler(404, _unrouted)

    def match(self, request: flask.Request) -> tuple[str, Mapping[str, Any]]:
        """The endpoint and its path arguments. Only the methods a rule names: werkzeug adds
        HEAD to every GET rule, and a handler that reads "not GET, not PATCH" as DELETE would
        then erase on a HEAD."""
        try:
            endpoint, args = self._adapter().match(request.path, method=request.method)
            if request.method not in self._methods[endpoint]:
                raise WzMethodNotAllowed()
            return endpoint, args
        except (WzNotFound, RequestRedirect):  # a redirect: e.g. "//" in a path, as from "..%2F"
            raise NotFound("There is nothing at this path.", code="route_not_found") from None
        except WzMethodNotAllowed:
            raise MethodNotAllowed(
                f"{request.method} is not allowed on this path.",
                allowed=self.allowed_methods(request.path),
            ) from None

    def allowed_methods(self, path: str) -> tuple[str, ...]:
        """The methods `match` accepts on `path`: werkzeug's, less the HEAD it adds itself."""
        adapter, allowed = self._adapter(), []
        for method in adapter.allowed_methods(path):
            try:
                endpoint, _ = adapter.match(path, method=method)
            except HTTPException:  # RequestRedirect is one too
                continue
            if method in self._methods[endpoint]:
                allowed.append(method)
        return tuple(sorted(allowed))

    def _adapter(self) -> MapAdapter:
        return self._map.bind("local", url_scheme="http")
