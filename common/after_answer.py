"""Work a request leaves for after its answer has been sent (a turn's event delivery), run on a
few threads of its own. Not on the request's: a WSGI server keeps the connection until that
thread is done, so the next request sent on the connection would wait behind the work.

Best effort: with MAX_PENDING pieces waiting, more are dropped (logged), as is a piece that
waited past its `stale_after`, and an instance that stops may never run what waits. Only work
that something else covers belongs here: a turn's events are in the outbox, which the relay
publishes once they are due (OUTBOX_GRACE_SECONDS old, or marked due by a failed delivery)."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from common import logs

log = logging.getLogger(__name__)

THREADS = 2
MAX_PENDING = 256

_clock = time.monotonic
_pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="after-answer")
_settled = threading.Condition()
_pending = 0


def later(work: list[Callable[[], object]], stale_after: float | None = None) -> Callable[[], None]:
    """A callable that queues each of `work` (the list as it is when called), to run with the
    caller's log fields as they are now (the request's). Work still waiting `stale_after`
    seconds after it was queued is dropped: by then something else has done it (the relay)."""
    # A fresh context, not a copy of the request's: a copy would hold the rest of it, the crisis
    # scan's verdicts keyed by the user's message too, for as long as the work waits (on an idle
    # instance, MAX_PENDING requests' worth). The work needs nothing else from the request.
    context = contextvars.Context()
    context.run(logs.bind, **logs.bound())
    return lambda: _submit(context, list(work), stale_after)


def _submit(
    context: contextvars.Context, work: list[Callable[[], object]], stale_after: float | None
) -> None:
    global _pending
    if not work:
        return
    with _settled:
        if _pending >= MAX_PENDING:
            context.run(log.warning, "work after the answer dropped: %d already waiting", _pending)
            return
        _pending += 1
    due = _clock() + stale_after if stale_after is not None else None
    _pool.submit(context.run, _run, work, due)


def _run(work: list[Callable[[], object]], due: float | None) -> None:
    global _pending
    try:
        if due is not None and _clock() > due:
            log.warning("work after the answer dropped: it waited too long")
            return
        for each in work:
            try:
                each()
            except Exception:
                log.exception("work after the answer failed")
    finally:
        with _settled:
            _pending -= 1
            _settled.notify_all()


def wait_settled(timeout: float = 30.0) -> bool:
    """Wait until nothing is queued or running; False if `timeout` passed first. For code that
    reads what the work wrote in the same process (in-process tests and benchmarks)."""
    with _settled:
        return _settled.wait_for(lambda: _pending == 0, timeout)
