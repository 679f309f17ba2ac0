"""Per-user request budgets: a token bucket per uid in this instance's memory, so that one
signed-in user cannot fill a function's shared request slots or run up its reads. No I/O: a
request costs a dictionary lookup under a lock."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBuckets:
    """`burst` requests of one key at once, then `rate` a second. At most `max_keys` buckets,
    the least recently used dropped first (one unused for burst/rate seconds is full again, as a
    new one is, so a dropped bucket loses nothing unless `max_keys` users ask within that)."""

    def __init__(
        self,
        *,
        rate: float,
        burst: float,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs a positive rate and room for one request")
        self._rate, self._burst, self._max_keys = rate, burst, max_keys
        self._clock = clock  # a test's fake clock moves time without sleeping
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key: (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when a request of `key` may go now (it is counted), else the seconds until one may
        (a refused request costs nothing)."""
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.pop(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self._rate
            self._buckets[key] = (tokens, now)  # now the most recently used
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)
