"""Structured logs that Cloud Logging understands: one JSON object per line with `severity`."""

from __future__ import annotations

import contextvars
import logging
import sys
from functools import cache
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# A field of log entries only an operator can act on (a misconfiguration, a missing index):
# the monitoring module alerts on any entry that carries it.
NEEDS_OPERATOR = "needs_operator"

# The status a streamed response's `error` event carried, on the line that logs that failure:
# the response itself was a 200, so the monitoring module counts these lines as its 5xx.
STREAMED_STATUS = "streamed_status"


# Cloud Logging's field that groups a request's entries under its trace.
TRACE_FIELD = "logging.googleapis.com/trace"

# What every log line of the request being served carries: its request id and trace, and the
# caller's user key once authenticated (never the uid). Threads a request hands work to run in
# a copy of its context (contextvars.copy_context), so their lines carry it too.
_request: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "request", default=None
)


def bind(**fields: str) -> contextvars.Token:
    """Add fields to the current request's log lines (until `unbind` with the token)."""
    return _request.set({**(_request.get() or {}), **fields})


def unbind(token: contextvars.Token) -> None:
    _request.reset(token)


def bound() -> dict[str, str]:
    """The fields bound now, to `bind` again where they are gone: a streamed response's body is
    read after the request's handler returned and unbound them."""
    return dict(_request.get() or {})


class RequestFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_request.get() or {}).items():
            setattr(record, name, value)
        return True


def formatter() -> JsonFormatter:
    # `stack_trace`: the field Error Reporting reads a traceback from (not `exc_info`).
    renamed: dict[str, Any] = {"levelname": "severity", "name": "logger", "exc_info": "stack_trace"}
    return JsonFormatter("%(levelname)s %(name)s %(message)s", rename_fields=renamed)


@cache
def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter())
    handler.addFilter(RequestFields())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx writes an INFO line per call (each persona-model prediction, each Gemini call: "200
    # OK" even for an answer the client then refuses): paid log volume at load that says
    # nothing the client's own lines do not (docs/CAPACITY.md, section 5). Warnings still show.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
