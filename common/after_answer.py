"""Work a request leaves for after its answer has been sent (a turn's event delivery), run on a
few threads of its own. Not on the request's: a WSGI server keeps the connection until that
thread is done, so the next request sent on the connection would wait behind the work.

Best effort: with MAX_PENDING pieces waiting, more are dropped (logged), and an instance that
stops may never run what waits. Only work that something else covers belongs here: a turn's
events are in the outbox, which the relay publishes once they are OUTBOX_GRACE_SECONDS old."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

THREADS = 2
MAX_PENDING = 256

_pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="after-answer")
_settled = threading.Condition()
_pending = 0


def later(work: list[Callable[[], object]]) -> Callable[[], None]:
    """A callable that queues each of `work` (the list as it is when called), to run in the
    caller's context as it is now (the request's log fields)."""
    context = contextvars.copy_context()
    return lambda: _submit(context, list(work))


def _submit(context: contextvars.Context, work: list[Callable[[], object]]) -> None:
    global _pending
    if not work:
        return
    with _settled:
        if _pending >= MAX_PENDING:
            context.run(log.warning, "work after the answer dropped: %d already waiting", _pending)
            return
        _pending += 1
    _pool.submit(_run, context, work)


def _run(context: contextvars.Context, work: list[Callable[[], object]]) -> None:
    global _pending
    try:
        for each in work:
            try:
                context.run(each)
            except Exception:
                context.run(log.exception, "work after the answer failed")
    finally:
        with _settled:
            _pending -= 1
            _settled.notify_all()


def wait_settled(timeout: float = 30.0) -> bool:
    """Wait until nothing is queued or running; False if `timeout` passed first. For code that
    reads what the work wrote in the same process (in-process tests and benchmarks)."""
    with _settled:
        return _settled.wait_for(lambda: _pending == 0, timeout)
