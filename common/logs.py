"""Structured logs that Cloud Logging understands: one JSON object per line with `severity`."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# A field of log entries only an operator can act on (a misconfiguration, a missing index):
# the monitoring module alerts on any entry that carries it.
NEEDS_OPERATOR = "needs_operator"

# The status a streamed response's `error` event carried, on the line that logs that failure:
# the response itself was a 200, so the monitoring module counts these lines as its 5xx.
STREAMED_STATUS = "streamed_status"


# The field of a throttled line (Throttle): how many occurrences it stands for, itself and those
# not logged since the previous such line of the same key on this instance.
COUNT = "count"
# A user's refusals (or other lines one user can repeat at will), per user and instance.
REFUSAL_LOG_SECONDS = 60
# A failing dependency's lines (one per call or delivery otherwise), per instance.
FAILURE_LOG_SECONDS = 30

# Cloud Logging's field that groups a request's entries under its trace.
TRACE_FIELD = "logging.googleapis.com/trace"

# What every log line of the request being served carries: its request id and trace, and the
# caller's user key once authenticated (never the uid). Threads a request hands work to run in
# a copy of its context (contextvars.copy_context), so their lines carry it too; work left for
# after the answer, in a new context holding these fields alone (common.after_answer).
_request: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "request", default=None
)


def bind(**fields: str) -> contextvars.Token:
    """Add fields to the current request's log lines (until `unbind` with the token)."""
    return _request.set({**(_request.get() or {}), **fields})


def unbind(token: contextvars.Token) -> None:
    _request.reset(token)


# The bound field naming the caller (common.edge binds it once the token is checked).
USER_KEY = "user_key"

# The one exception to "never the uid": a caller of the operators' API (insights). An operator
# is staff acting in role, and who read per-user data must be answerable (docs/OPERATIONS.md,
# "Operators: grant and remove access"), so their lines name them: uid and e-mail, in fields
# of their own, which no user's line carries. A caller refused there (no operator role) is
# named by uid alone: staff without the claim, or someone probing the operators' API.
OPERATOR_UID = "operator_uid"
OPERATOR_EMAIL = "operator_email"
REFUSED_UID = "refused_uid"


@contextlib.contextmanager
def unkeyed() -> Iterator[None]:
    """Lines logged inside carry no user key (the request's other fields stay): a crisis flag
    next to a stable key says who was in crisis to anyone who reads the logs, whatever the
    user chose for analytics, and the monitors that read those lines count them by detector."""
    token = _request.set({k: v for k, v in (_request.get() or {}).items() if k != USER_KEY})
    try:
        yield
    finally:
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


class Throttle:
    """Log once, then count: the first occurrence of a key is logged at once, the next ones at
    most once per `seconds` per key, the line carrying their count (COUNT): the occurrences
    since the key's previous line, this one included. A line per refused request or failed call
    would let one user (at 1,000 requests a second, ~72 GiB a day) or one outage write paid log
    volume without bound (docs/CAPACITY.md, section 5). At most `max_keys` keys, the least
    recently used dropped first (with any count they held back).
    The occurrences after a spell's last line are held until the key's next occurrence, maybe
    hours later, or lost with the key: a failure's caller says `resolved` at its next success,
    which logs them then; a user's refusals have no such moment (their tail is reported with the
    user's next refusal, or never)."""

    def __init__(
        self,
        seconds: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds, self._max_keys = seconds, max_keys
        self._clock = clock  # a test's fake clock moves time without sleeping
        self._keys: OrderedDict[str, tuple[float, int]] = OrderedDict()  # key: (line at, held)
        self._lock = threading.Lock()
        _THROTTLES.add(self)

    def due(self, key: str = "") -> int:
        """Count one occurrence of `key`: the occurrences its line should now stand for (this
        one and those held back since the key's last line), or 0 while the line is held back."""
        with self._lock:
            now = self._clock()
            last = self._keys.pop(key, None)
            if last is None or now - last[0] >= self._seconds:
                count, last = (last[1] if last else 0) + 1, (now, 0)
            else:
                count, last = 0, (last[0], last[1] + 1)
            self._keys[key] = last  # now the most recently used
            if len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)
            return count

    def warning(
        self, logger: logging.Logger, key: str, msg: str, *args: object, extra: dict | None = None
    ) -> None:
        """`logger.warning(msg, *args)` if a line of `key` is due, with its COUNT. The key stays
        in memory only: a uid as the key names no one in the logs (the line carries the bound
        user key, unless written inside `unkeyed()`, as the crisis lines are)."""
        self.log(logger, logging.WARNING, key, msg, *args, extra=extra)

    def log(
        self,
        logger: logging.Logger,
        level: int,
        key: str,
        msg: str,
        *args: object,
        extra: dict | None = None,
    ) -> None:
        """`logger.log(level, msg, *args)` if a line of `key` is due, with its COUNT."""
        if count := self.due(key):
            logger.log(level, msg, *args, extra={**(extra or {}), COUNT: count})

    def resolved(self, logger: logging.Logger, key: str, msg: str, *args: object) -> None:
        """At a success after `key`'s failures: `logger.warning(msg, *args)` with the COUNT of
        those held back since the key's last line, if any, once a line is due as in `due` (a
        dependency failing every other call still writes two lines a `seconds`, not one per
        call; a later success tells them), then forgets the key. A WARNING like the failures':
        the runbook adds up their `count` (docs/OPERATIONS.md, "Log volume")."""
        if key not in self._keys:  # read unlocked, the hot path: every success calls this
            return
        with self._lock:
            now, last = self._clock(), self._keys.get(key)
            if last is None or not last[1] or now - last[0] < self._seconds:
                return
            count = last[1]
            del self._keys[key]  # nothing held: the next failure is a new spell's first line
        logger.warning(msg, *args, extra={COUNT: count})


# Every throttle made, held weakly: for `forget_all_throttles`.
_THROTTLES: weakref.WeakSet[Throttle] = weakref.WeakSet()


def forget_all_throttles() -> None:
    """Every throttle forgets its keys, as on a new instance: each unit test starts with no line
    held back by an earlier test (module-level throttles run on the real clock)."""
    for throttle in list(_THROTTLES):
        with throttle._lock:
            throttle._keys.clear()
