"""A circuit breaker for a dependency that may be down: after a few consecutive failures, callers
fail fast instead of each waiting out a timeout, and one trial call per period finds out when it
is back. Used for the persona model and for Firestore."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Opens after `failures` consecutive failures; after `reset_seconds` one trial call may
    pass (half-open); a success closes it again."""

    def __init__(
        self, *, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold = failures
        self._reset = reset_seconds
        self._clock = clock  # a test's fake clock moves time without sleeping
        self._failures = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        opened = self._opened_at  # read once, unlocked: a success() may clear it meanwhile
        if opened is None:
            return "closed"
        return "half_open" if self._clock() - opened >= self._reset else "open"

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if self._clock() - self._opened_at >= self._reset:
                self._opened_at = self._clock()  # one trial per reset period
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def failure(self) -> bool:
        """Count a failure; whether this one opened a closed circuit."""
        with self._lock:
            self._failures += 1
            opened = self._opened_at is None and self._failures >= self._threshold
            if self._failures >= self._threshold:
                self._opened_at = self._clock()
            return opened
