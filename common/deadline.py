"""Waiting for a call that may hang past any bound its library takes."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def wait_at_most(pool: ThreadPoolExecutor, seconds: float, fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) on a worker of `pool` (in a copy of this context: its log fields go along),
    waited for at most `seconds`; TimeoutError after that. A call still queued behind busy
    workers is cancelled, never started; one running goes on by itself."""
    future = pool.submit(contextvars.copy_context().run, fn, *args)
    try:
        return future.result(timeout=seconds)
    except TimeoutError:
        future.cancel()
        raise TimeoutError(f"no answer within {seconds} s") from None
