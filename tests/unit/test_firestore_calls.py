"""common/adapters/firestore_calls.py's helpers for a job's many independent calls: in_parallel
waits for them side by side (the cleanup job's turn queries)."""

from __future__ import annotations

import threading

import pytest

from common.adapters.firestore_calls import in_parallel


def test_in_parallel_waits_for_calls_side_by_side_at_most_at_once():
    # Three calls meet at the barrier: one after the other, the first would wait there alone.
    barrier, lock = threading.Barrier(3, timeout=10), threading.Lock()
    running, most = [0], [0]

    def call(i: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        barrier.wait()
        with lock:
            running[0] -= 1
        return i * 10

    assert in_parallel(call, list(range(9)), at_once=3) == [i * 10 for i in range(9)]
    assert most[0] == 3


def test_in_parallel_raises_the_first_error_once_the_calls_under_way_returned():
    finished = []

    def call(i: int) -> int:
        if i == 1:
            raise ValueError("refused")
        finished.append(i)
        return i

    with pytest.raises(ValueError, match="refused"):
        in_parallel(call, [0, 1, 2], at_once=2)
    assert 0 in finished  # not abandoned half-way
