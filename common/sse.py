"""Server-Sent Events for a piece of work that produces text as it goes (flask).

The work runs in a thread and the response relays what it produces. A client that hangs up
mid-stream closes the response early; the work still runs to the end (the turn is stored
exactly once) because the response waits for it before it finishes, and a failure it ends in,
which that client never reads, is logged all the same. A failure before the first byte is an
ordinary error response; one after it is an `error` event in the error shape, whose
`error` also carries the `status` the response would have had and its `retry_after` (seconds),
as the 200 already sent cannot say them."""

from __future__ import annotations

import contextvars
import json
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import flask

from common import logs
from common.errors import ApiError
from common.http import streamed_error

_DONE = object()


# The line breaks JSON leaves raw in a string (it escapes the control characters) that line
# readers split on (str.splitlines(), so httpx's iter_lines()). Escaped, a `data:` line stays
# one line and holds the same JSON.
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def sse_event(event: str, data: Any) -> str:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_LINE_BREAKS)
    return f"event: {event}\ndata: {payload}\n\n"


class _QueueSink:
    def __init__(self, events: queue.Queue) -> None:
        self._events = events

    def token(self, text: str) -> None:
        self._events.put(("token", {"text": text}))

    def reset(self) -> None:
        self._events.put(("reset", {}))


def _error_body(exc: BaseException, fields: dict[str, str]) -> dict:
    # Logged as common.http logs it when nothing was sent yet, with the request's fields (gone by
    # the time the body is read) and the status the 200 hid (`streamed_status`).
    exc = streamed_error(exc, fields)
    body = exc.body()
    body["error"]["status"] = exc.status
    if exc.retry_after is not None:
        body["error"]["retry_after"] = exc.retry_after
    return body


def stream_events(work: Callable[[_QueueSink], Any]) -> flask.Response:
    """Run `work(sink)` in a thread: each `sink.token(text)` becomes a `token` event,
    `sink.reset()` a `reset` event, and the result a `final` event."""
    events: queue.Queue = queue.Queue()
    fields = logs.bound()  # the request's log fields, for a failure logged mid-stream

    def run() -> None:
        try:
            events.put(("final", work(_QueueSink(events))))
        except BaseException as exc:  # relayed to the client, then logged
            events.put(("error", exc))
        finally:
            events.put(_DONE)

    # In a copy of the request's context: its log fields and timing phases go on with the work.
    context = contextvars.copy_context()
    worker = threading.Thread(target=context.run, args=(run,), name="sse-work", daemon=True)
    worker.start()
    first = events.get()
    if first is _DONE or first[0] == "error":
        worker.join()
        if first is not _DONE:
            raise first[1]  # nothing sent yet: an ordinary error response
        raise ApiError("The reply ended before it started.")

    def body() -> Iterator[str]:
        item = first
        try:
            while item is not _DONE:
                kind, data = item
                yield (
                    sse_event("error", _error_body(data, fields))
                    if kind == "error"
                    else sse_event(kind, data)
                )
                item = events.get()
        finally:
            worker.join()  # a client that hung up still gets its turn stored
            # A client that hung up left the rest unread: a failure in it is logged all the same.
            if item is not _DONE:
                for kind, data in iter(events.get_nowait, _DONE):  # all queued, _DONE last
                    if kind == "error":
                        _error_body(data, fields)

    return flask.Response(
        body(),
        status=200,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
